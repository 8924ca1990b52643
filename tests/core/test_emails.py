"""Behaviour of the project's one e-mail normalization."""

import idna
import pytest

from core.emails import EmailNormalizer, InvalidEmail, normalize_email


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ana.Novak@Firma.SI ", "ana.novak@firma.si"),
        ("ana\u00a0novak@firma.si", "ananovak@firma.si"),
        ("Boris.Kopitar@Example.si", "boris.kopitar@example.si"),
        ("\u200bana@firma.si\ufeff", "ana@firma.si"),
        ("ana\u2060.novak@firma\u2003.si", "ana.novak@firma.si"),
        ("ana .novak@firma.si\n", "ana.novak@firma.si"),
        ("\u3000Ana\u1680@Firma.si\x1c\u202f", "ana@firma.si"),
        ("Žiga\u200c.Černe@firma.si\u2029", "žiga.černe@firma.si"),
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


# EmailNormalizer: the same answer as normalize_email for every kind of address
SAME_AS_NORMALIZE_EMAIL = [
    "Ana.Novak@Firma.SI", "  ana.novak@firma.si ", "ana\u00a0novak@firma.si",
    "\u200bana@firma.si\ufeff", "info@Čebelica.si", "info@xn--ebelica-i6a.si", "Žiga@firma.si",
    "o'brien+news@mail.example.com", "a@b", "a@", "@firma.si", "not-an-email", "", "   ",
    "ana..novak@firma.si", ".ana@firma.si", "ana.@firma.si", "ana@firma..si", "ana@-firma.si",
    "ana@firma-.si", "ana@firma.123", "ana@localhost", "ana@printer.local", "ana@test",
    "ana@firma.invalid", "ana@[192.168.0.1]", '"ana novak"@firma.si', "Ana <ana@firma.si>",
    "ana@firma@si", "ana@firma.si.", "ana@fir_ma.si", "ana@xn--zz.si", "ana\uff20firma.si",
    "postmaster@firma.si", "x" * 64 + "@firma.si", "x" * 65 + "@firma.si",
    "x" * 64 + "@" + ".".join(["d" * 63] * 3) + ".si",
    "a" * 60 + "@" + ".".join(["d" * 60] * 3) + ".example.si",
    "a" * 10 + "@" + ".".join(["d" * 63] * 3) + ".si",
    "x" * 60 + "@čebelica" + ".d" * 90 + ".si",
    "Žiga.Černe@Firma.si", "müller.garcía@firma.si", "名前@firma.si", "ana\u0301@firma.si",
    "\u0301ana@firma.si", "a\u0301na@firma.si", "ana\u200e@firma.si", "ana@\u0301firma.si",
    "ana\u0338@firma.si", "ž<ana@firma.si", "ž\"ana\"@firma.si", "ž.@firma.si", "ž..a@firma.si",
    "ž" * 64 + "@firma.si", "ž" * 120 + "@firma.si", "ž" * 100 + "@" + "d" * 50 + ".si",
    "žiga@čebelica.si", "žiga\ue000@firma.si", "Ω@firma.si", "ǅ@firma.si", "a·b@firma.si",
]


def _outcome(function, raw):
    try:
        return function(raw)
    except InvalidEmail as exc:
        return ("error", str(exc))


@pytest.mark.parametrize("raw", SAME_AS_NORMALIZE_EMAIL)
def test_email_normalizer_answers_as_normalize_email(raw):
    normalizer = EmailNormalizer()
    expected = _outcome(normalize_email, raw)
    assert _outcome(normalizer, raw) == expected
    # the second time the domain's verdict is reused
    assert _outcome(normalizer, raw) == expected


def test_email_normalizer_reuses_a_domain_across_addresses():
    normalizer = EmailNormalizer()
    addresses = [f"Oseba.{n}@Firma.SI" for n in range(50)] + ["ana..x@firma.si", "a@firma.si"]
    assert [_outcome(normalizer, a) for a in addresses] == [
        _outcome(normalize_email, a) for a in addresses]
    assert normalizer("Oseba.1@Firma.SI") == "oseba.1@firma.si"
