"""Redaction: erase what the trail holds about a person or a purged record, keep the proof.

The personal part of each entry about the record (label, IP address, user agent, values)
and its salt are blanked; the digest stays, so the chain still verifies, and the entry is
marked with the key of a new `redacted` entry that says how many entries it blanked
(`verify` checks that no entry lost its details without such an entry). Entries about the
record that this transaction has recorded but not yet written are written without their
personal part, and so are the ones it records later (e.g. the delete that follows a purge).

A list view is about no record, but its search text may name the person: when a contact is
erased or purged, list views whose search text is part of the person's name or address
(`novak`, `ana@`) are blanked too. A short search matches many people and is blanked with
each of them: more is erased than needed, never less.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import literal, update

from core.clock import utcnow
from core.db import db
from core.events import EventContext, RecordRef
from core.text import search_key
from plugins.audit.actions import LIST_VIEWED, PURGED, REDACTED
from plugins.audit.models import AuditEntry
from plugins.audit.recorder import mark_erased, pending_entries, record, strip_personal
from plugins.audit.scope import chain_scope, only_chain

CHUNK = 500


def _chunks(values: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def person_texts(*values: str | None) -> set[str]:
    """The folded texts a search for a person could be part of: name, address."""
    return {folded for folded in (search_key(v) for v in values if v) if folded}


def _searched_for(values: dict[str, Any], texts: set[str]) -> bool:
    """True for a list view whose search text is part of one of `texts`."""
    key = values["label_key"]
    return values["action"] == LIST_VIEWED and bool(key) and any(key in t for t in texts)


def redact(
    ctx: EventContext,
    targets: set[tuple[str, int]],
    contact_ids: set[int],
    reason: str,
    texts: set[str] | None = None,
) -> int:
    """Blank the personal part of the entries of `ctx.tenant`'s chain whose target is one
    of `targets` ((type, id) pairs) or whose contact is one of `contact_ids`, and of the
    list views that searched for part of one of `texts` (folded names and addresses);
    record one `redacted` entry. Returns how many entries were blanked (written and
    pending)."""
    texts = texts or set()
    session = db.session()
    pending = 0
    for entry in pending_entries(session):
        values = entry.values
        if values["contact_id"] in contact_ids or (
            values["target_type"], values["target_id"]
        ) in targets or _searched_for(values, texts):
            strip_personal(values)
            pending += 1
    mark_erased(session, targets, contact_ids)
    key = secrets.token_hex(16)
    stored = _blank_stored(ctx.tenant_id, targets, contact_ids, key, texts)
    if stored or pending:
        single = next(iter(targets)) if len(targets) == 1 else (None, None)
        record(
            ctx, REDACTED, target_type=single[0], target_id=single[1],
            contact_id=next(iter(contact_ids)) if len(contact_ids) == 1 else None,
            info={"key": key, "count": stored, "reason": reason,
                  "records": len(targets | {("contact", c) for c in contact_ids})},
        )
    return stored + pending


def _blank_stored(tenant_id: int | None, targets: set[tuple[str, int]],
                  contact_ids: set[int], key: str, texts: set[str]) -> int:
    conditions: list[Any] = []
    by_type: dict[str, list[int]] = defaultdict(list)
    for target_type, target_id in sorted(targets):
        by_type[target_type].append(target_id)
    for target_type, ids in by_type.items():
        for chunk in _chunks(ids):
            conditions.append(
                (AuditEntry.target_type == target_type) & AuditEntry.target_id.in_(chunk)
            )
    for chunk in _chunks(sorted(contact_ids)):
        conditions.append(AuditEntry.contact_id.in_(chunk))
    for text in sorted(texts):
        # the search text is a part of the person's name or address
        conditions.append((AuditEntry.action == LIST_VIEWED) & AuditEntry.label_key.is_not(None)
                          & literal(text).contains(AuditEntry.label_key))
    now = utcnow()
    blanked = 0
    with chain_scope(tenant_id):
        for condition in conditions:
            statement = only_chain(
                update(AuditEntry)
                .where(condition, AuditEntry.redaction.is_(None), AuditEntry.action != REDACTED)
                .values(label=None, label_key=None, ip=None, user_agent=None, details=None,
                        salt=None, redacted_at=now, redaction=key)
                .execution_options(synchronize_session=False, audit_maintenance=True),
                tenant_id,
            )
            blanked += db.session.execute(statement).rowcount or 0
    return blanked


def records_purged(ctx: EventContext, records: list[RecordRef]) -> None:
    """Records are removed for good: blank what the trail holds about them and record a
    `purged` entry for each (type and id only)."""
    if not records:
        return
    targets = {(ref.type, ref.id) for ref in records}
    contacts = {ref.id for ref in records if ref.type == "contact"}
    texts = person_texts(*(text for ref in records for text in (
        ref.label if ref.type == "contact" else None, ref.email)))
    redact(ctx, targets, contacts, reason="purged", texts=texts)
    for ref in records:
        record(ctx, PURGED, target_type=ref.type, target_id=ref.id,
               contact_id=ref.id if ref.type == "contact" else None)


def records_anonymized(ctx: EventContext, records: list[RecordRef]) -> None:
    """Records stay but lose a person's details (an anonymizing erasure): blank what the
    trail holds about them, as for a purge, without a `purged` entry."""
    if not records:
        return
    targets = {(ref.type, ref.id) for ref in records}
    redact(ctx, targets, set(), reason="anonymize",
           texts=person_texts(*(ref.email for ref in records)))


def subject_erased(ctx: EventContext, contact: Any, mode: str) -> list[str]:
    """A person is erased or anonymized: blank the trail's details about the contact and
    return the line for the erasure report."""
    texts = person_texts(contact.first_name, contact.last_name,
                         f"{contact.first_name or ''} {contact.last_name or ''}", contact.email)
    count = redact(ctx, {("contact", contact.id)}, {contact.id}, reason=mode, texts=texts)
    return [
        f"audit: blanked the personal details of {count} log "
        f"{'entry' if count == 1 else 'entries'} (the entries and their proof stay)"
    ]
