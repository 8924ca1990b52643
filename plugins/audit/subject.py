"""The trail's part of a person's data (`crm_subject_data`): every entry about the contact or
a record that belongs to it, for a right-of-access export and for the erasure preview (where
these are the details `crm_subject_erase` will blank; the entries themselves stay)."""

from __future__ import annotations

import json
from typing import Any

from core.events import EventContext, Section
from plugins.audit.present import parsed, summary
from plugins.audit.queries import EntryFilter, stream_entries

KEY = "audit.history"
TITLE = "Activity log"
COLUMNS = ["When", "Who", "What", "Personal details"]


def _personal_details(entry: Any) -> str | None:
    """The erasable part of an entry as one text: its label and values (None when blank)."""
    details = parsed(entry.details)
    parts = [part for part in (
        entry.label,
        json.dumps(details, ensure_ascii=False, sort_keys=True) if details else None,
    ) if part]
    return " ".join(parts) or None


def subject_sections(ctx: EventContext, contact: Any) -> list[Section]:
    """The contact's entries, oldest first: when, who, what, and the personal details kept
    (redacted entries show none). Empty outside a tenant."""
    if ctx.tenant is None:
        return []
    rows = [
        [entry.at, entry.actor, summary(entry), _personal_details(entry)]
        for entry in stream_entries(ctx.tenant_id, EntryFilter(contact_id=contact.id))
    ]
    return [Section(KEY, TITLE, list(COLUMNS), rows, plugin="audit")]
