"""The consent source "signed at the counter" and its required receipt number."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from crm_acme_consents.settings import setting

SOURCE = "counter"


def counter_source() -> dict[str, Any]:
    """The consent source (for `crm_consent_sources`)."""
    return {"code": SOURCE, "label": "Signed at the counter", "required": []}


def receipt_field(ctx: Any) -> dict[str, Any]:
    """The receipt number field of counter consents (for `crm_consent_fields`)."""
    pattern = setting(ctx, "receipt_pattern")
    return {"name": "receipt_number", "label": "Receipt number", "sources": [SOURCE],
            "required": True, "help": f"As printed on the till receipt ({pattern}).",
            "check": receipt_check(pattern)}


def receipt_check(pattern: str) -> Callable[[str], str | None]:
    """A check that says what is wrong with a receipt number, or None when it fits."""

    def check(value: str) -> str | None:
        try:
            fits = re.fullmatch(pattern, value) is not None
        except re.error:
            return (f"the receipt number pattern '{pattern}' in the acme_consents settings "
                    "is not a valid regular expression; ask your administrator.")
        if not fits:
            return f"'{value}' is not a receipt number of the form {pattern}."
        return None

    return check
