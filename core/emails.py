"""E-mail normalization, done once for the whole project.

Syntax checking and IDN handling are delegated to the `email_validator` package.
`EmailNormalizer` gives the same answers for many addresses at once (an import), asking
`email_validator` about each domain only once.
"""

from __future__ import annotations

import unicodedata

import email_validator
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import DOT_ATOM_TEXT, DOT_ATOM_TEXT_INTL, EMAIL_MAX_LENGTH

# Zero-width space, non-joiner, joiner, word joiner and the BOM / zero-width no-break space:
# invisible, not whitespace to str.isspace(), and common in pasted addresses.
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")

_DROP_ZERO_WIDTH = dict.fromkeys(map(ord, _ZERO_WIDTH))

# Longer values are shortened in error messages so the sentence stays readable.
_MAX_SHOWN = 80


class InvalidEmail(ValueError):
    """Raised when a value is not a valid e-mail address; str() is one plain sentence."""

    def __init__(self, value: str, reason: str) -> None:
        self.value = value
        self.reason = reason
        shown = value if len(value) <= _MAX_SHOWN else value[:_MAX_SHOWN] + "…"
        super().__init__(f"{shown!r} is not a valid e-mail address: {reason}")


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


def _cleaned(raw: str) -> str:
    """`raw` without whitespace, Unicode space separators and zero-width characters,
    lower-cased (every space separator, category Zs, is whitespace to str.isspace(), and
    str.split() splits at exactly those characters)."""
    text = "".join(raw.split())
    if not text.isascii():
        text = text.translate(_DROP_ZERO_WIDTH)
    return text.lower()


def normalize_email(raw: str) -> str:
    """Return the canonical form of the e-mail address `raw`: without any whitespace, Unicode
    space separators or zero-width characters, lower-cased, with an internationalized domain
    in ASCII (punycode). Raise InvalidEmail if the result is not a valid address."""
    return _validated(raw, _cleaned(raw))


def _validated(raw: str, cleaned: str) -> str:
    if not cleaned:
        raise InvalidEmail(raw, "the address is empty.")
    try:
        # No DNS lookups: normalization must be fast and work offline.
        result = validate_email(cleaned, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(raw.strip(), _as_clause(str(exc))) from None
    return f"{result.local_part}@{result.ascii_domain}"


def _plain_international(local: str, address: str) -> bool:
    """True when `email_validator` takes `local`, the part of `address` before its first
    @-sign, as it is: an internationalized dot-atom (no quotes, no angle bracket) that is
    NFC already and holds only letters, digits, punctuation, symbols and combining marks
    after the first character, with an @-sign nothing combines with."""
    if not email_validator.ALLOW_SMTPUTF8 or email_validator.STRICT:
        return False
    if not DOT_ATOM_TEXT_INTL.match(local) or unicodedata.normalize("NFC", local) != local:
        return False
    if unicodedata.normalize("NFC", address[len(local):len(local) + 32])[0] != "@":
        return False
    for position, char in enumerate(local):
        if char.isascii():  # the dot-atom's ASCII characters are letters, digits, P and S
            continue
        category = unicodedata.category(char)[0]
        if category not in "LNPS" and not (category == "M" and position > 0):
            return False
    return True


class EmailNormalizer:
    """`normalize_email` for many addresses (an import): the same result, or the same
    InvalidEmail, for every address, several times faster when domains repeat.

    For an address whose part before the first @-sign is a plain dot-atom (the usual
    `ana.novak@firma.si`, or `žiga.černe@firma.si`), `email_validator` accepts the local
    part as it is and checks the domain on its own, then the lengths: so the domain's
    verdict is asked once (as `a@domain`) and kept, and only the length is checked per
    address. Anything else, or a domain it refuses, goes through `normalize_email` itself
    (so the message is the same)."""

    def __init__(self) -> None:
        # domain -> (its ASCII form, the longest of its forms in UTF-8 bytes), or None
        # when the domain needs the full check
        self._domains: dict[str, tuple[str, int] | None] = {}

    def __call__(self, raw: str) -> str:
        """The canonical form of `raw`, as `normalize_email(raw)` returns it."""
        cleaned = _cleaned(raw)
        local, at, domain = cleaned.partition("@")
        if at and (DOT_ATOM_TEXT.match(local) if cleaned.isascii()
                   else _plain_international(local, cleaned)):
            known = self._domain(domain)
            if known is not None and len(local.encode()) + 1 + known[1] <= EMAIL_MAX_LENGTH:
                return f"{local}@{known[0]}"
        return _validated(raw, cleaned)

    def _domain(self, domain: str) -> tuple[str, int] | None:
        if domain not in self._domains:
            try:
                result = validate_email(f"a@{domain}", check_deliverability=False)
            except EmailNotValidError:
                self._domains[domain] = None
            else:
                forms = (domain, result.domain, result.ascii_domain)
                self._domains[domain] = (result.ascii_domain,
                                         max(len(form.encode()) for form in forms))
        return self._domains[domain]
