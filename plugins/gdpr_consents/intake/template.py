"""The downloadable import template: the recognised headers and an example row per
purpose of the tenant, with a second sheet that lists the purposes."""

from __future__ import annotations

from typing import Any

from core.spreadsheets import Sheet, write_xlsx
from plugins.gdpr_consents.purposes import list_purposes

TEMPLATE_HEADERS = ["Email", "First name", "Last name", "Purpose", "Source", "Given at",
                    "Duration months", "Consent", "Note"]


def write_template(target: Any, tz: str) -> int:
    """Write the tenant's import template (XLSX) to `target` (a path or binary stream);
    return the number of example rows."""
    purposes = [p for p in list_purposes() if p.active]
    examples = [["ana.novak@example.si", "Ana", "Novak", p.code, "signed paper form",
                 "25.5.2025", p.default_months or "", "Da", ""] for p in purposes]
    listing = [[p.code, p.name, p.legal_basis.value, p.default_months or ""]
               for p in purposes]
    return write_xlsx(target, [
        Sheet("Consents", TEMPLATE_HEADERS, examples),
        Sheet("Purposes", ["Code", "Name", "Legal basis", "Default months"], listing),
    ], tz=tz)
