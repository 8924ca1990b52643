"""Deleting a record: the one path every delete takes (admin pages, bulk actions, commands).

`crm_delete_record` lets a plugin take the delete over (the trash plugin moves the record to
the trash); when none does, the core deletes the row for real. Either way
`crm_record_deleted` reports it, and `crm_records_purged` is called before a real delete so
that plugins drop or redact what they keep about the record.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.attachments import attachment_store, owned_by
from core.db import db
from core.events import EventContext, RecordRef, emit, record_type
from core.models import Attachment

DELETED = "deleted"


def record_ref(record: Any) -> RecordRef:
    """A RecordRef for `record` (type, id, label and e-mail if it has one)."""
    return RecordRef(
        type=record_type(record),
        id=record.id,
        label=str(record),
        email=getattr(record, "email", None),
    )


def delete_record(ctx: EventContext, record: Any) -> str:
    """Delete `record` as `ctx.actor` (not committed); return how: `"deleted"` or what the
    plugin that took the delete over answered (e.g. `"trashed"`)."""
    how = emit("crm_delete_record", ctx, record=record)
    if how is None:
        emit("crm_records_purged", ctx, records=[record_ref(record)])
        _remove_attachment_files(record)
        db.session.delete(record)
        how = DELETED
    db.session.flush()
    emit("crm_record_deleted", ctx, record=record, how=how)
    return how


def _remove_attachment_files(record: Any) -> None:
    """A real delete also removes the record's attachments, rows and bytes."""
    store = attachment_store()
    if isinstance(record, Attachment):
        store.remove_file_on_commit(record, db.session())
        return
    attachments = db.session.scalars(
        select(Attachment).where(owned_by(record, [record.id]))
    ).all()
    for attachment in attachments:
        store.remove_file_on_commit(attachment, db.session())
        db.session.delete(attachment)
