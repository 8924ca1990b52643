"""The tables of the `export` plugin (all named `export_...`).

- `ExportRecord`: one subject or company export that was produced (when, by whom, which
  format, how many rows, which items were left out). It lets a subject request name the
  export that answered it; it holds keys and counts only, never the exported data.
- `SubjectRequest`: the register of data-subject requests (GDPR Art. 15 to 21): what was
  asked, when and how it arrived, whether the identity was checked, the due date (one month
  after receipt, Art. 12(3), extendable by up to two months with a reason), the status and
  what answered it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from core.clock import add_months, utcnow
from core.db import SafeJSON, SafeString, SafeText, db
from core.emails import normalize_email
from core.models import Contact
from core.scoping import TenantOwned

MAX_EXTENSION_MONTHS = 2
"""Art. 12(3): the month may be extended by two further months where necessary."""


def _enum(cls: type[enum.Enum], length: int) -> Enum:
    return Enum(cls, native_enum=False, length=length,
                values_callable=lambda e: [m.value for m in e])


class RequestKind(enum.StrEnum):
    """What the data subject asks for."""

    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    PORTABILITY = "portability"
    OBJECTION = "objection"
    RESTRICTION = "restriction"

    @property
    def article(self) -> str:
        """The GDPR article of the right, e.g. `Art. 15`."""
        return {
            "access": "Art. 15", "rectification": "Art. 16", "erasure": "Art. 17",
            "restriction": "Art. 18", "portability": "Art. 20", "objection": "Art. 21",
        }[self.value]


class RequestChannel(enum.StrEnum):
    """How the request reached the company."""

    EMAIL = "email"
    LETTER = "letter"
    PHONE = "phone"
    IN_PERSON = "in_person"
    WEB_FORM = "web_form"
    OTHER = "other"


class RequestStatus(enum.StrEnum):
    """Where the request stands."""

    OPEN = "open"
    DONE = "done"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class ExportRecord(TenantOwned, db.Model):
    """One export about a person or a company that was produced (keys and counts only)."""

    __tablename__ = "export_record"
    __table_args__ = (Index("ix_export_record_tenant_contact", "tenant_id", "contact_id"),)
    # the export is reported through `crm_records_exported`; a create event would repeat it
    __crm_events__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(SafeString(255))
    what: Mapped[str] = mapped_column(SafeString(64))
    file_format: Mapped[str] = mapped_column(SafeString(16))
    subject_label: Mapped[str] = mapped_column(SafeString(255))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact.id", ondelete="SET NULL"), default=None
    )
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("company.id", ondelete="SET NULL"), index=True, default=None
    )
    rows: Mapped[int] = mapped_column(default=0)
    left_out: Mapped[int] = mapped_column(default=0)
    details: Mapped[dict[str, Any]] = mapped_column(SafeJSON(), default=dict)

    def __str__(self) -> str:
        return (f"export #{self.id}: {self.what}, {self.file_format}, "
                f"{self.at:%Y-%m-%d %H:%M} UTC")


class SubjectRequest(TenantOwned, db.Model):
    """A data-subject request and how it was answered."""

    __tablename__ = "export_subject_request"
    __table_args__ = (Index("ix_export_subject_request_open", "tenant_id", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RequestKind] = mapped_column(_enum(RequestKind, 16))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    channel: Mapped[RequestChannel] = mapped_column(
        _enum(RequestChannel, 16), default=RequestChannel.EMAIL
    )
    requester_name: Mapped[str | None] = mapped_column(SafeString(255), default=None)
    requester_email: Mapped[str | None] = mapped_column(SafeString(320), default=None)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact.id", ondelete="SET NULL"), index=True, default=None
    )
    identity_checked: Mapped[bool] = mapped_column(default=False)
    identity_note: Mapped[str | None] = mapped_column(SafeText, default=None)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    extension_months: Mapped[int] = mapped_column(default=0)
    extension_reason: Mapped[str | None] = mapped_column(SafeText, default=None)
    status: Mapped[RequestStatus] = mapped_column(
        _enum(RequestStatus, 16), default=RequestStatus.OPEN
    )
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    answered_by_export_id: Mapped[int | None] = mapped_column(
        ForeignKey("export_record.id", ondelete="SET NULL"), default=None
    )
    answer_reference: Mapped[str | None] = mapped_column(SafeString(255), default=None)
    notes: Mapped[str | None] = mapped_column(SafeText, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    contact: Mapped[Contact | None] = relationship()
    answered_by_export: Mapped[ExportRecord | None] = relationship()

    @validates("requester_email")
    def _normalize_email(self, key: str, value: str | None) -> str | None:
        return normalize_email(value) if value and value.strip() else None

    def set_due(self, time_zone: str) -> datetime:
        """Set and return the due date: one month after receipt plus the extension, months
        counted in the tenant's local calendar (Art. 12(3))."""
        self.due_at = add_months(self.received_at, 1 + (self.extension_months or 0),
                                 time_zone)
        return self.due_at

    def is_overdue(self, now: datetime | None = None) -> bool:
        """True while the request is open and its due date has passed."""
        return self.status == RequestStatus.OPEN and (now or utcnow()) > self.due_at

    def __str__(self) -> str:
        who = self.requester_name or self.requester_email or f"contact #{self.contact_id}"
        return f"{self.kind.value} request #{self.id} of {who}"


MODELS: tuple[type, ...] = (ExportRecord, SubjectRequest)

__all__ = [
    "MAX_EXTENSION_MONTHS",
    "MODELS",
    "ExportRecord",
    "RequestChannel",
    "RequestKind",
    "RequestStatus",
    "SubjectRequest",
]
