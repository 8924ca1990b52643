"""The audit plugin's tables: the entries, one chain head per chain and the purge checkpoint.

An entry has two parts:

* the **chained part** (who, what, which target, when, request id, non-personal facts in
  `info`, and `digest`): covered by the entry's `hash`, which also covers the previous
  entry's hash, so that changing, removing or reordering entries breaks the chain;
* the **personal part** (target label, IP address, user agent, field values in
  `details`): covered only through `digest`, a salted SHA-256 of it. Redaction (erasure,
  purge of the record) blanks the personal part and its salt, keeps `digest`, and marks
  the row with the key of the redaction entry, so the chain still verifies.

`info` and `details` hold canonical JSON text (not a JSON column): the hash and the digest
cover exactly the stored text, so `verify` hashes what it reads without re-serialising.

Entries are never changed or deleted through the ORM: the guards at the bottom refuse it.
Entries are written by `plugins.audit.recorder` at commit time, through Core inserts;
retention (`plugins.audit.retention`) deletes old ones in batches with plain SQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, event, text
from sqlalchemy.orm import Mapped, ORMExecuteState, mapped_column

from core.db import CrmSession, SafeString, SafeText, db
from core.scoping import TenantOwned

# SQLite's auto-increment works on INTEGER PRIMARY KEY only; elsewhere entries get 64 bits.
ENTRY_ID = BigInteger().with_variant(Integer(), "sqlite")

CHAINED_COLUMNS = (
    "tenant_id", "seq", "at", "actor", "user_id", "action", "target_type", "target_id",
    "contact_id", "request_id", "info", "digest", "hash",
)
PERSONAL_COLUMNS = ("label", "label_key", "ip", "user_agent", "details", "salt")

# Length limits of the text columns; the recorder truncates to them before hashing.
LIMITS = {
    "actor": 255, "action": 32, "target_type": 64, "request_id": 64, "label": 255,
    "label_key": 255, "ip": 64, "user_agent": 512,
}


class AuditEntryReadOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry through the ORM."""


class AuditEntry(TenantOwned, db.Model):
    """One recorded event. `tenant_id` is None for the platform chain."""

    __tablename__ = "audit_entry"
    __crm_events__ = False
    __table_args__ = (
        Index("uq_audit_entry_tenant_seq", "tenant_id", "seq", unique=True),
        Index(
            "uq_audit_entry_platform_seq", "seq", unique=True,
            sqlite_where=text("tenant_id IS NULL"), postgresql_where=text("tenant_id IS NULL"),
        ),
        Index("ix_audit_entry_tenant_at", "tenant_id", "at", "id"),
        Index("ix_audit_entry_tenant_action", "tenant_id", "action", "at", "id"),
        Index("ix_audit_entry_tenant_user", "tenant_id", "user_id", "at", "id"),
        Index("ix_audit_entry_tenant_target", "tenant_id", "target_type", "target_id", "at",
              "id"),
        Index("ix_audit_entry_tenant_contact", "tenant_id", "contact_id", "at", "id"),
    )

    id: Mapped[int] = mapped_column(ENTRY_ID, primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        ForeignKey("tenant.id", ondelete="CASCADE"), nullable=True
    )
    # chained part
    seq: Mapped[int] = mapped_column(BigInteger())
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(SafeString(LIMITS["actor"]))
    user_id: Mapped[int | None] = mapped_column(default=None)
    action: Mapped[str] = mapped_column(SafeString(LIMITS["action"]))
    target_type: Mapped[str | None] = mapped_column(SafeString(LIMITS["target_type"]))
    target_id: Mapped[int | None] = mapped_column(BigInteger())
    contact_id: Mapped[int | None]
    request_id: Mapped[str | None] = mapped_column(SafeString(LIMITS["request_id"]))
    info: Mapped[str | None] = mapped_column(SafeText)
    digest: Mapped[str] = mapped_column(SafeString(64))
    hash: Mapped[str] = mapped_column(SafeString(64))
    # personal part (erasable; covered by `digest`)
    label: Mapped[str | None] = mapped_column(SafeString(LIMITS["label"]))
    label_key: Mapped[str | None] = mapped_column(SafeString(LIMITS["label_key"]))
    ip: Mapped[str | None] = mapped_column(SafeString(LIMITS["ip"]))
    user_agent: Mapped[str | None] = mapped_column(SafeString(LIMITS["user_agent"]))
    details: Mapped[str | None] = mapped_column(SafeText)
    salt: Mapped[str | None] = mapped_column(SafeString(32))
    redacted_at: Mapped[datetime | None]
    redaction: Mapped[str | None] = mapped_column(SafeString(32))

    def __str__(self) -> str:
        return f"audit entry {self.seq} ({self.action})"


class AuditChain(db.Model):
    """The head of one chain: its last sequence number and hash. Locked while a
    transaction appends to the chain. `chain` is the tenant's id, 0 for the platform."""

    __tablename__ = "audit_chain"
    __crm_events__ = False

    chain: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tenant_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenant.id", ondelete="CASCADE"), default=None
    )
    last_seq: Mapped[int] = mapped_column(BigInteger(), default=0)
    last_hash: Mapped[str] = mapped_column(SafeString(64))
    updated_at: Mapped[datetime]


class AuditCheckpoint(db.Model):
    """Where a chain now starts after retention purged its oldest entries: the sequence
    number and hash of the last purged entry."""

    __tablename__ = "audit_checkpoint"
    __crm_events__ = False

    chain: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tenant_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenant.id", ondelete="CASCADE"), default=None
    )
    seq: Mapped[int] = mapped_column(BigInteger())
    hash: Mapped[str] = mapped_column(SafeString(64))
    purged: Mapped[int] = mapped_column(BigInteger(), default=0)
    purged_at: Mapped[datetime]


def chain_key(tenant_id: int | None) -> int:
    """The key of a chain: the tenant's id, 0 for the platform chain."""
    return 0 if tenant_id is None else int(tenant_id)


# --- guards: append-only through the app ---------------------------------------------------

_GUARDED = (AuditEntry, AuditChain, AuditCheckpoint)


def _refuse(change: str, advice: str) -> Any:
    def listener(mapper: Any, connection: Any, target: Any) -> None:
        raise AuditEntryReadOnly(f"{type(target).__name__} rows cannot be {change}; {advice}")

    return listener


for _model in _GUARDED:
    event.listen(_model, "before_update", _refuse("changed", "the audit trail is append-only"))
    event.listen(_model, "before_delete",
                 _refuse("deleted", "use 'crm audit purge' for retention"))


@event.listens_for(CrmSession, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    # redaction and retention say so explicitly (plugins.audit.redaction, .retention)
    if state.execution_options.get("audit_maintenance"):
        return
    if any(m.class_ in _GUARDED for m in state.all_mappers):
        raise AuditEntryReadOnly(
            "audit rows cannot be changed or deleted through the ORM; the trail is append-only"
        )

