"""Reading the trail: filters, pages, a contact's history, streaming for exports.

Every filter has an index that starts with the tenant and ends with (at, id), the order of
pages (newest first): user, action, target, contact, date range. Text search runs on the
labels' normalized key (case- and accent-insensitive) along the same indexes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from core.db import db
from core.text import search_key
from plugins.audit.models import AuditEntry
from plugins.audit.scope import chain_scope, only_chain

PAGE_SIZE = 50
HISTORY_SIZE = 25
STREAM_BATCH = 1_000


@dataclass(frozen=True)
class EntryFilter:
    """What to show: every given criterion must hold (`since` inclusive, `until`
    exclusive, `text` a part of the label)."""

    user_id: int | None = None
    actor: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: int | None = None
    contact_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The criteria that are set, as JSON-ready data (for logging an export)."""
        return {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in asdict(self).items()
            if value not in (None, "")
        }


@dataclass
class Page:
    """One page of entries, newest first, and whether there are more after it."""

    entries: list[AuditEntry]
    number: int
    size: int
    has_more: bool


def apply_filter(statement: Select, criteria: EntryFilter) -> Select:
    """Add `criteria` to a select over `AuditEntry`."""
    conditions = []
    if criteria.user_id is not None:
        conditions.append(AuditEntry.user_id == criteria.user_id)
    if criteria.actor:
        conditions.append(AuditEntry.actor == criteria.actor)
    if criteria.action:
        conditions.append(AuditEntry.action == criteria.action)
    if criteria.target_type:
        conditions.append(AuditEntry.target_type == criteria.target_type)
    if criteria.target_id is not None:
        conditions.append(AuditEntry.target_id == criteria.target_id)
    if criteria.contact_id is not None:
        conditions.append(AuditEntry.contact_id == criteria.contact_id)
    if criteria.since is not None:
        conditions.append(AuditEntry.at >= criteria.since)
    if criteria.until is not None:
        conditions.append(AuditEntry.at < criteria.until)
    if criteria.text and search_key(criteria.text):
        conditions.append(AuditEntry.label_key.contains(search_key(criteria.text),
                                                        autoescape=True))
    return statement.where(*conditions) if conditions else statement


def newest_first(statement: Select) -> Select:
    """Order a select over `AuditEntry` newest first (the order of every index's tail)."""
    return statement.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def entries_page(
    tenant_id: int | None, criteria: EntryFilter | None = None, page: int = 0,
    size: int = PAGE_SIZE,
) -> Page:
    """Return page `page` (0-based) of the chain's entries matching `criteria`."""
    statement = newest_first(apply_filter(
        only_chain(select(AuditEntry), tenant_id), criteria or EntryFilter()
    )).limit(size + 1).offset(max(page, 0) * size)
    with chain_scope(tenant_id):
        entries = list(db.session.scalars(statement))
    return Page(entries[:size], page, size, len(entries) > size)


HISTORY_COLUMNS = (
    AuditEntry.id, AuditEntry.seq, AuditEntry.at, AuditEntry.actor, AuditEntry.user_id,
    AuditEntry.action, AuditEntry.target_type, AuditEntry.target_id, AuditEntry.contact_id,
    AuditEntry.label, AuditEntry.info, AuditEntry.details, AuditEntry.redaction,
)


def contact_history(tenant_id: int, contact_id: int, limit: int = HISTORY_SIZE
                    ) -> list[Any]:
    """The newest entries about a contact: about the contact itself or about a record that
    belongs to it (consents, attachments), newest first, as read-only rows with the
    columns a history shows (lighter than entries: the contact page shows it every time)."""
    statement = newest_first(
        only_chain(select(*HISTORY_COLUMNS), tenant_id)
        .where(AuditEntry.contact_id == contact_id)
    ).limit(limit)
    with chain_scope(tenant_id):
        return list(db.session.execute(statement))


def stream_entries(tenant_id: int | None, criteria: EntryFilter | None = None,
                   batch_size: int = STREAM_BATCH) -> Iterator[Any]:
    """Yield every matching entry in chain order (oldest first) as read-only rows with the
    entry's columns as attributes, fetched in batches (for exports and the terminal)."""
    columns = [getattr(AuditEntry, column.key) for column in AuditEntry.__table__.columns]
    after = 0
    while True:
        statement = apply_filter(
            only_chain(select(*columns), tenant_id).where(AuditEntry.seq > after),
            criteria or EntryFilter(),
        ).order_by(AuditEntry.seq).limit(batch_size)
        with chain_scope(tenant_id):
            rows = db.session.execute(statement).all()
        yield from rows
        if len(rows) < batch_size:
            return
        after = rows[-1].seq
