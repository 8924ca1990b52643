"""Recognising a Mailchimp audience export (the ZIP of subscribed, unsubscribed and
cleaned CSVs, or one of them) by its columns, and reading its system columns."""

from __future__ import annotations

import re

from plugins.gdpr_consents.intake.headers import fold
from plugins.gdpr_consents.intake.readers import Sheet

AUDIENCE_RE = re.compile(r"(subscribed|unsubscribed|cleaned)?[_-]?.*?_([0-9a-z]{6,})\.csv$",
                         re.IGNORECASE)
STATUSES = ("subscribed", "unsubscribed", "cleaned")
NOTE_UTC = "Mailchimp export times carry no zone; they were read as UTC."


def is_audience_export(sheet: Sheet) -> bool:
    """True when the sheet has Mailchimp's system columns."""
    folded = {fold(h) for h in sheet.headers}
    return "emailaddress" in folded and bool(
        folded & {"optintime", "confirmtime"}) and bool(folded & {"leid", "euid"})


def status_of(sheet: Sheet) -> str:
    """`subscribed`, `unsubscribed` or `cleaned`: from the file name, else the columns."""
    lower = sheet.name.lower()
    for status in ("unsubscribed", "cleaned", "subscribed"):
        if lower.startswith(status):
            return status
    folded = {fold(h) for h in sheet.headers}
    if "unsubtime" in folded:
        return "unsubscribed"
    if "cleantime" in folded:
        return "cleaned"
    return "subscribed"


def audience_id(sheet: Sheet) -> str | None:
    """The audience (list) id in the export's file name, e.g. `a1b2c3d4e5`."""
    match = AUDIENCE_RE.search(sheet.name)
    return match.group(2) if match else None


def column(sheet: Sheet, name: str) -> int | None:
    """The index of the system column `name` (e.g. `CONFIRM_TIME`), or None."""
    wanted = fold(name)
    for index, header in enumerate(sheet.headers):
        if fold(header) == wanted:
            return index
    return None


def split_tags(cell: object) -> list[str]:
    """Mailchimp's TAGS cell: one cell, comma-separated (quoted names kept whole)."""
    if cell is None:
        return []
    return [t.strip().strip('"') for t in str(cell).split(",") if t.strip().strip('"')]
