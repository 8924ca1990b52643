"""The tables of the `trash` plugin (all named `trash_...`).

- `TrashUnit`: one row per trashed unit (a record and its dependants, which carry the same
  `deletion_unit`): what it is, who trashed it and when, how many rows it holds. The trash
  page and retention read this table, never every soft-deletable table.
- `TrashErasure`: the erasure ledger of a tenant: a keyed hash (HMAC-SHA256, key in the
  instance folder, never in the database) of each erased address, how and when. It answers
  `crm_is_suppressed`. A copy of every entry is appended to a file in the instance folder
  (`plugins/trash/ledger.py`), which a restore of an older backup does not overwrite.

Neither table reports its rows through `crm_record_created`: a unit's label names the
person, and the audit trail has its own entries about the trashed records.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import SafeString, db
from core.scoping import TenantOwned


class TrashUnit(TenantOwned, db.Model):
    """A unit in the trash: the record that was deleted and everything trashed with it."""

    __tablename__ = "trash_unit"
    __crm_events__ = False
    __table_args__ = (Index("ix_trash_unit_tenant_deleted_at", "tenant_id", "deleted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(SafeString(36), unique=True)
    record_type: Mapped[str] = mapped_column(SafeString(64))
    record_id: Mapped[int]
    label: Mapped[str] = mapped_column(SafeString(255))
    rows: Mapped[int] = mapped_column(default=1)
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_by: Mapped[str] = mapped_column(SafeString(255))
    deleted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )

    def __str__(self) -> str:
        return f"{self.record_type} {self.label}"


class TrashErasure(TenantOwned, db.Model):
    """One erased address of a tenant: its keyed hash, how (erase or anonymize), when, by
    whom and how many contacts had it."""

    __tablename__ = "trash_erasure"
    __crm_events__ = False
    __table_args__ = (UniqueConstraint("tenant_id", "email_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(SafeString(64))
    mode: Mapped[str] = mapped_column(SafeString(16))
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_by: Mapped[str] = mapped_column(SafeString(255))
    contacts: Mapped[int] = mapped_column(default=0)

    def __str__(self) -> str:
        return f"erasure of {self.erased_at:%Y-%m-%d}"


MODELS = [TrashUnit, TrashErasure]
