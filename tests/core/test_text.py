"""Behaviour of the project's one text sanitizer and the search key."""

import enum

import pytest

from core.text import sanitize_json, sanitize_text, search_key, xml_safe


def test_sanitize_text_removes_nul_and_other_c0_controls():
    assert sanitize_text("Ana\x00 Novak\x01\x08\x0b\x0c\x1f") == "Ana Novak"


def test_sanitize_text_keeps_tab_newline_and_carriage_return():
    assert sanitize_text("a\tb\nc\r\nd") == "a\tb\nc\r\nd"


def test_sanitize_text_removes_c1_controls_surrogates_and_non_characters():
    assert sanitize_text("a\x80b\x9fc\ud800d\udfffe\ufffef\uffff") == "abcdef"


def test_sanitize_text_keeps_printable_ascii_and_delete_and_strips_its_controls():
    assert sanitize_text("Ana Novak <ana@firma.si> ~!\x7f") == "Ana Novak <ana@firma.si> ~!\x7f"
    assert sanitize_text("Ana\x00\x1b Novak\t") == "Ana Novak\t"


def test_sanitize_text_returns_a_plain_str_for_a_str_subclass():
    class Code(enum.StrEnum):
        GRANTED = "granted"

    cleaned = sanitize_text(Code.GRANTED)
    assert cleaned == "granted"
    assert type(cleaned) is str


def test_sanitize_text_normalises_to_nfc():
    decomposed = "C\u030cesnik"  # C + combining caron
    assert sanitize_text(decomposed) == "Česnik"


def test_sanitize_text_composes_across_a_removed_control():
    assert sanitize_text("c\x00\u030c") == "č"


def test_sanitize_text_keeps_slovenian_letters_and_emoji():
    assert sanitize_text("Žiga Černe 😀") == "Žiga Černe 😀"


def test_sanitize_json_cleans_keys_and_values_recursively():
    value = {
        "na\x00me": "Ana\x00",
        "tags": ["a\x01", ("b\x02", 3)],
        "nested": {"x": None, "y": 1.5, "z": True},
    }
    assert sanitize_json(value) == {
        "name": "Ana",
        "tags": ["a", ("b", 3)],
        "nested": {"x": None, "y": 1.5, "z": True},
    }


def test_sanitize_json_leaves_non_strings_alone():
    assert sanitize_json(42) == 42
    assert sanitize_json(None) is None


def test_xml_safe_replaces_characters_xml_cannot_hold():
    assert xml_safe("a\x00b\x0bc\ud800d\ufffe") == "a\ufffdb\ufffdc\ufffdd\ufffd"


def test_xml_safe_uses_the_given_replacement():
    assert xml_safe("a\x00b", replacement="") == "ab"


def test_xml_safe_keeps_emoji_and_whitespace():
    assert xml_safe("Žiga\t😀\n\r") == "Žiga\t😀\n\r"


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("Česnik",), "cesnik"),
        (("Župančič",), "zupancic"),
        (("Đurđević",), "durdevic"),
        (("Łukasz", "Øster"), "lukasz oster"),
        (("Æsir", "Œuvre"), "aesir oeuvre"),
        (("Straße",), "strasse"),
        (("Þór",), "thor"),
        (("  Ana ", None, "", "Novak\t\n  d.o.o. "), "ana novak d.o.o."),
        (("ANA", "Novak", "Ana.Novak@Firma.SI"), "ana novak ana.novak@firma.si"),
        (("Ana\x00", "\x1fNovak"), "ana novak"),
        ((), ""),
    ],
)
def test_search_key_examples(parts, expected):
    assert search_key(*parts) == expected


def test_search_key_of_a_query_matches_the_stored_key():
    stored = search_key("Žiga", "Černe", "žiga.cerne@firma.si")
    query = search_key("  CERNE ")
    assert query in stored


def test_search_key_of_ascii_text_is_the_same_as_through_unicode_folding():
    # ASCII text takes a short cut; the full folding must give the same key
    for text in ["Ana NOVAK", "o'Brien-Smith  d.o.o.", "X\tY\r\nZ", "K.-H. Müller"]:
        assert search_key(text) == search_key(text + " ́").rstrip()
