"""Finding the columns of a sheet: headers matched without regard to case, spaces,
punctuation, accents or a BOM, with English and Slovenian synonyms."""

from __future__ import annotations

import unicodedata
from typing import Any

FIELDS = ("email", "first_name", "last_name", "phone", "purpose", "source", "given_at",
          "duration_months", "expires_at", "consent", "note")
"""The fields an import row can fill."""

SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "email address", "e-mail address", "mail", "e-pošta",
              "e-posta", "elektronska pošta", "e-naslov", "naslov e-pošte", "eposta"),
    "first_name": ("first name", "firstname", "given name", "fname", "ime"),
    "last_name": ("last name", "lastname", "surname", "family name", "lname", "priimek"),
    "phone": ("phone", "phone number", "telephone", "mobile", "telefon", "gsm",
              "telefonska številka"),
    "purpose": ("purpose", "purpose code", "namen", "namen obdelave"),
    "source": ("source", "vir", "izvor", "channel", "kanal"),
    "given_at": ("given at", "given", "consent date", "date", "date given", "datum",
                 "datum soglasja", "datum podaje", "dano"),
    "duration_months": ("duration months", "duration", "months", "duration (months)",
                        "trajanje", "trajanje (mesecev)", "trajanje mesecev", "meseci",
                        "veljavnost (mesecev)"),
    "expires_at": ("expires at", "expires", "expiry", "valid until", "velja do",
                   "datum poteka", "potek"),
    "consent": ("consent", "consented", "agreed", "granted", "soglasje", "soglaša",
                "strinjanje", "da/ne", "yes/no"),
    "note": ("note", "notes", "comment", "opomba", "opombe", "komentar"),
}


def fold(header: Any) -> str:
    """The comparable form of a header: no BOM, accents, case, spaces or punctuation."""
    text = unicodedata.normalize("NFKD", str(header or "").replace("\ufeff", ""))
    return "".join(c for c in text.lower() if c.isalnum() and not unicodedata.combining(c))


_KNOWN = {fold(name): field for field, names in SYNONYMS.items() for name in names}


def match_headers(headers: list[Any], mapping: dict[str, str] | None = None
                  ) -> tuple[dict[str, int], list[str]]:
    """Return ({field: column index}, problems). A saved `mapping` ({field: header}) wins
    over the synonyms; a header recognised twice for one field is a problem."""
    folded = [fold(h) for h in headers]
    found: dict[str, int] = {}
    problems: list[str] = []
    for field, header in (mapping or {}).items():
        if field not in FIELDS:
            problems.append(f"the mapping names an unknown field '{field}'.")
            continue
        if not header:
            continue
        if fold(header) not in folded:
            problems.append(f"the mapping's column '{header}' for {field} is not in the file.")
            continue
        found[field] = folded.index(fold(header))
    for index, key in enumerate(folded):
        field = _KNOWN.get(key)
        if field is None or index in found.values():
            continue
        if field in found:
            if (mapping or {}).get(field):
                continue
            problems.append(f"two columns mean {field}: '{headers[found[field]]}' and "
                            f"'{headers[index]}'; choose one with a mapping.")
            continue
        found[field] = index
    return found, problems
