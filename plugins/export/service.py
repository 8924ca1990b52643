"""Producing an export: find the record, gather, leave out what was unticked, write the file,
keep an `ExportRecord` and report it through `crm_records_exported` (so the audit log holds
what went out, in which format, about whom, and which items were left out).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core.db import db
from core.emails import InvalidEmail, normalize_email
from core.events import EventContext, emit
from core.models import Company, Contact
from plugins.export.formats import FORMATS, file_name, write
from plugins.export.gather import Pack, attachments_for, company_pack, contact_pack
from plugins.export.models import ExportRecord


class UnknownSubject(LookupError):
    """No live contact or company matches; the message is one sentence for the user."""


@dataclass
class Produced:
    """A written export: its bytes, download name, media type and record."""

    data: bytes
    name: str
    file_format: str
    record: ExportRecord


def contact_by_email(raw: str) -> Contact:
    """The tenant's live contact whose normalized address is exactly `raw` normalized
    (never a substring); raise ValueError for an invalid address, UnknownSubject if none."""
    try:
        email = normalize_email(raw)
    except InvalidEmail as exc:
        raise ValueError(str(exc)) from None
    contact = db.session.scalar(select(Contact).where(Contact.email == email))
    if contact is None:
        raise UnknownSubject(f"No contact has the address {email} in this tenant; check the "
                             "spelling or look the person up on the Contacts page.")
    return contact


def pack_for(ctx: EventContext, kind: str, record: Contact | Company) -> Pack:
    """Gather the pack of a contact or a company."""
    return contact_pack(ctx, record) if kind == "contact" else company_pack(ctx, record)


def produce(ctx: EventContext, pack: Pack, file_format: str,
            left_out: list[dict[str, str]] | None = None, *, via: str = "web") -> Produced:
    """Write `pack` (already reduced to what was ticked) as `file_format`, record it and
    report it through `crm_records_exported`. Flushed, not committed: the caller commits."""
    if file_format not in FORMATS:
        raise ValueError(f"'{file_format}' is not an export format; use one of "
                         f"{', '.join(FORMATS)}")
    left_out = list(left_out or [])
    buffer = io.BytesIO()
    files = attachments_for(pack) if file_format == "zip" else []
    write(pack, file_format, buffer, files)
    sections = {s.key: len(s.items) for s in pack.sections}
    record = ExportRecord(
        actor=ctx.actor, what=pack.what, file_format=file_format,
        subject_label=pack.label[:255],
        contact_id=pack.record_id if pack.kind == "contact" else None,
        company_id=pack.record_id if pack.kind == "company" else None,
        rows=pack.row_count, left_out=len(left_out),
        details={"sections": sections, "left_out": [f"{e['section']}:{e['item']}"
                                                    for e in left_out],
                 "via": via, "files": len(files)},
    )
    db.session.add(record)
    db.session.flush()
    details: dict[str, Any] = {
        "export_id": record.id,
        "record": f"{pack.kind} #{pack.record_id}",
        "sections": sections,
        "left_out": left_out,
        "via": via,
    }
    if file_format == "zip":
        details["attachments"] = len(files)
    emit("crm_records_exported", ctx, what=pack.what, file_format=file_format,
         subject=_subject(pack), rows=pack.row_count, details=details)
    return Produced(buffer.getvalue(), file_name(pack, file_format), file_format, record)


def _subject(pack: Pack) -> str:
    return f"{pack.label} <{pack.email}>" if pack.email else pack.label
