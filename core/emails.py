"""E-mail normalization, done once for the whole project.

Syntax checking and IDN handling are delegated to the `email_validator` package.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

# Zero-width space, non-joiner, joiner, word joiner and the BOM / zero-width no-break space:
# invisible, not whitespace to str.isspace(), and common in pasted addresses.
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")

# Longer values are shortened in error messages so the sentence stays readable.
_MAX_SHOWN = 80


class InvalidEmail(ValueError):
    """Raised when a value is not a valid e-mail address; str() is one plain sentence."""

    def __init__(self, value: str, reason: str) -> None:
        self.value = value
        self.reason = reason
        shown = value if len(value) <= _MAX_SHOWN else value[:_MAX_SHOWN] + "…"
        super().__init__(f"{shown!r} is not a valid e-mail address: {reason}")


def _is_removed(char: str) -> bool:
    return char.isspace() or char in _ZERO_WIDTH or unicodedata.category(char) == "Zs"


def _as_clause(message: str) -> str:
    """Turn email_validator's message (one or more sentences) into one clause ending in '.'."""
    sentences = [part.strip() for part in message.strip().rstrip(".").split(". ") if part.strip()]
    clauses = []
    for sentence in sentences:
        # Lower-case the first word unless it looks like an acronym ("IDNA", "DNS").
        if len(sentence) > 1 and sentence[1].islower():
            sentence = sentence[0].lower() + sentence[1:]
        clauses.append(sentence)
    return "; ".join(clauses) + "."


def normalize_email(raw: str) -> str:
    """Return the canonical form of the e-mail address `raw`: without any whitespace, Unicode
    space separators or zero-width characters, lower-cased, with an internationalized domain
    in ASCII (punycode). Raise InvalidEmail if the result is not a valid address."""
    cleaned = "".join(char for char in raw if not _is_removed(char)).lower()
    if not cleaned:
        raise InvalidEmail(raw, "the address is empty.")
    try:
        # No DNS lookups: normalization must be fast and work offline.
        result = validate_email(cleaned, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(raw.strip(), _as_clause(str(exc))) from None
    return f"{result.local_part}@{result.ascii_domain}"
