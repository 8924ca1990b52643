"""Behaviour of the project's one e-mail normalization."""

import idna
import pytest

from core.emails import InvalidEmail, normalize_email


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ana.Novak@Firma.SI ", "ana.novak@firma.si"),
        ("ana\u00a0novak@firma.si", "ananovak@firma.si"),
        ("Boris.Kopitar@Example.si", "boris.kopitar@example.si"),
        ("\u200bana@firma.si\ufeff", "ana@firma.si"),
        ("ana\u2060.novak@firma\u2003.si", "ana.novak@firma.si"),
        ("ana .novak@firma.si\n", "ana.novak@firma.si"),
    ],
)
def test_normalize_email_trims_removes_invisible_space_and_lower_cases(raw, expected):
    assert normalize_email(raw) == expected


def test_normalize_email_converts_an_idn_domain_to_punycode():
    expected_domain = idna.encode("čebelica.si").decode("ascii")
    assert expected_domain == "xn--ebelica-i6a.si"
    assert normalize_email("info@Čebelica.si") == f"info@{expected_domain}"


def test_normalize_email_keeps_an_internationalized_local_part_lower_cased():
    assert normalize_email("Žiga@firma.si") == "žiga@firma.si"


@pytest.mark.parametrize("raw", ["not-an-email", "", "   ", "a@", "@firma.si", "a@b"])
def test_normalize_email_rejects_invalid_addresses(raw):
    with pytest.raises(InvalidEmail):
        normalize_email(raw)


def test_invalid_email_is_a_value_error_with_one_plain_sentence():
    with pytest.raises(ValueError) as caught:
        normalize_email("ana.novak@")
    assert str(caught.value) == (
        "'ana.novak@' is not a valid e-mail address: there must be something after the @-sign."
    )
    assert caught.value.value == "ana.novak@"


def test_invalid_email_message_for_an_empty_value():
    with pytest.raises(InvalidEmail, match="is not a valid e-mail address: the address is empty"):
        normalize_email("")
