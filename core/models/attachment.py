"""Attachment metadata; the bytes live in the instance folder (see `core.attachments`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import SafeString, db
from core.scoping import SoftDeletable, TenantOwned


class Attachment(TenantOwned, SoftDeletable, db.Model):
    """A stored file attached to a record (`owner_type` names the record's kind, e.g.
    `contact`, `company`, `activity`, or a plugin's `gdpr_consents.consent`)."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_owner", "tenant_id", "owner_type", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(SafeString(64))
    owner_id: Mapped[int]
    filename: Mapped[str] = mapped_column(SafeString(255))
    content_type: Mapped[str] = mapped_column(SafeString(127))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(SafeString(64))
    storage_key: Mapped[str] = mapped_column(SafeString(64), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __str__(self) -> str:
        return self.filename
