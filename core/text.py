"""The one text sanitizer of the project, plus the normalized search key.

Everything user-supplied that is stored or exported goes through `sanitize_text`:
PostgreSQL rejects NUL in text and JSONB columns, and XML (XLSX, DOCX) cannot hold
the other control characters, lone surrogates or the non-characters U+FFFE/U+FFFF.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# C0 controls except \t \n \r, C1 controls, surrogates (a str holds only lone ones:
# a valid astral character is a single code point) and the non-characters U+FFFE/U+FFFF.
_UNSAFE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x80-\x9f\ud800-\udfff\ufffe\uffff]")

# The complement of XML 1.0's Char production.
_NOT_XML_CHAR_RE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# Letters that NFKD does not decompose into a base letter plus combining marks.
# Only lower-case keys are needed (the text is casefolded first); upper case is
# listed too so the table is safe on its own.
_FOLD_LETTERS = str.maketrans(
    {
        "đ": "d",
        "Đ": "d",
        "ł": "l",
        "Ł": "l",
        "ø": "o",
        "Ø": "o",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ß": "ss",
        "þ": "th",
        "Þ": "th",
    }
)


def sanitize_text(value: str) -> str:
    """Return `value` NFC-normalised, without NUL, the other C0 controls (tab, LF and CR are
    kept), C1 controls (U+0080-U+009F), lone surrogates and U+FFFE/U+FFFF."""
    if type(value) is str and value.isascii():
        # ASCII is NFC already, and printable ASCII holds none of the removed controls
        # (most stored text: every text column's value passes here); a subclass (a StrEnum
        # member) still comes back as a plain str below
        return value if value.isprintable() else _UNSAFE_RE.sub("", value)
    # Remove first, then normalise: a control between a letter and its combining mark
    # would otherwise block the composition.
    return unicodedata.normalize("NFC", _UNSAFE_RE.sub("", value))


def sanitize_json(value: Any) -> Any:
    """Return a copy of a JSON-like value with `sanitize_text` applied to every str key and
    value inside dicts, lists and tuples (recursively); other values are returned unchanged."""
    if isinstance(value, str):
        return sanitize_text(value)
    if isinstance(value, dict):
        return {
            (sanitize_text(key) if isinstance(key, str) else key): _sanitized_item(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_sanitized_item(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_sanitized_item(item) for item in value)
    return value


_LEAVES = frozenset({type(None), bool, int, float})


def _sanitized_item(item: Any) -> Any:
    # the usual leaves of a document (snapshots are mostly None, numbers and plain text)
    # without a second call
    kind = type(item)
    if kind is str:
        return sanitize_text(item)
    return item if kind in _LEAVES else sanitize_json(item)


def xml_safe(value: str, replacement: str = "\ufffd") -> str:
    """Return `value` with every character XML 1.0 cannot hold replaced by `replacement`
    (U+FFFD by default). Astral-plane characters such as emoji are kept."""
    return _NOT_XML_CHAR_RE.sub(replacement, value)


def search_key(*parts: str | None) -> str:
    """Return the normalized search key of `parts`: the non-empty parts joined by a space,
    casefolded, without accents (``Župančič`` -> ``zupancic``), with đ ł ø æ œ ß þ spelled
    in ASCII and whitespace collapsed to single spaces. Use it for stored keys and for the
    query alike, so a LIKE comparison matches."""
    text = sanitize_text(" ".join(part for part in parts if part))
    if text.isascii():  # nothing to decompose, strip or spell out; casefold is lower()
        return " ".join(text.lower().split())
    # NFKD before casefold as well as after: compatibility forms such as U+210C
    # (black-letter H) only become a cased letter once decomposed.
    text = unicodedata.normalize("NFKD", text).casefold()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.translate(_FOLD_LETTERS)
    return " ".join(text.split())
