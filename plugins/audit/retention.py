"""Retention: entries older than the tenant's retention period (default five years) are
removed from the start of the chain, in batches, each batch its own short transaction.

The chain stays verifiable: each batch moves the chain's checkpoint (sequence number and
hash of the last removed entry, where verification now starts) and appends a `log_purged`
entry that records the same checkpoint, so removing entries from the start any other way
is still detected. Only a prefix of the chain is ever removed: the purge stops at the
first entry that is young enough to keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from core.clock import utcnow
from core.db import db
from core.events import EventContext
from core.settings import Setting, get_setting
from plugins.audit.actions import LOG_PURGED
from plugins.audit.chain import GENESIS, insert_ignoring_conflict
from plugins.audit.models import AuditChain, AuditCheckpoint, AuditEntry, chain_key
from plugins.audit.recorder import record
from plugins.audit.scope import chain_scope, only_chain

RETENTION_KEY = "retention_days"
DEFAULT_RETENTION_DAYS = 1826  # five years
MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 1, 36_500
BATCH_SIZE = 5_000

SETTINGS = [
    Setting(
        RETENTION_KEY, "int", DEFAULT_RETENTION_DAYS, "Keep audit entries for (days)",
        help="Entries older than this are removed by 'crm audit purge' (default five years).",
        minimum=MIN_RETENTION_DAYS, maximum=MAX_RETENTION_DAYS,
    )
]

_CHECKPOINTS = AuditCheckpoint.__table__


@dataclass
class PurgeResult:
    """What a purge removed: entries, batches (transactions), up to which seq."""

    cutoff: datetime
    purged: int = 0
    batches: int = 0
    through_seq: int | None = None


def retention_days(tenant_id: int | None) -> int:
    """The tenant's retention period in days (the default for the platform chain)."""
    if tenant_id is None:
        return DEFAULT_RETENTION_DAYS
    return int(get_setting(tenant_id, "audit", RETENTION_KEY))


def purge(
    ctx: EventContext,
    older_than_days: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> PurgeResult:
    """Remove the entries of `ctx.tenant`'s chain (the platform's when None) older than
    `older_than_days` (default: the tenant's retention), oldest first, committing after each
    batch of at most `batch_size` entries. Entries written during the purge are kept."""
    tenant_id = ctx.tenant_id
    days = retention_days(tenant_id) if older_than_days is None else older_than_days
    result = PurgeResult(cutoff=utcnow() - timedelta(days=days))
    key = chain_key(tenant_id)
    head = db.session.execute(
        select(AuditChain.last_seq).where(AuditChain.chain == key)
    ).scalar()
    db.session.commit()
    while head:
        removed, last_seq, more = _purge_batch(ctx, result.cutoff, head, batch_size)
        if removed:
            db.session.commit()
            result.purged += removed
            result.batches += 1
            result.through_seq = last_seq
        else:
            db.session.rollback()
        if not more:
            break
    return result


def _purge_batch(ctx: EventContext, cutoff: datetime, head: int, batch_size: int
                 ) -> tuple[int, int | None, bool]:
    """Remove one batch; return (entries removed, last seq removed, whether to go on)."""
    tenant_id = ctx.tenant_id
    key = chain_key(tenant_id)
    connection = db.session.connection()
    insert_ignoring_conflict(connection, _CHECKPOINTS, {
        "chain": key, "tenant_id": tenant_id, "seq": 0, "hash": GENESIS, "purged": 0,
        "purged_at": utcnow(),
    }, "chain")
    # purges of one chain queue here, one batch at a time
    start, purged_so_far = connection.execute(
        select(_CHECKPOINTS.c.seq, _CHECKPOINTS.c.purged)
        .where(_CHECKPOINTS.c.chain == key).with_for_update()
    ).one()
    with chain_scope(tenant_id):
        rows = db.session.execute(only_chain(
            select(AuditEntry.seq, AuditEntry.at, AuditEntry.hash)
            .where(AuditEntry.seq > start, AuditEntry.seq <= head)
            .order_by(AuditEntry.seq).limit(batch_size),
            tenant_id,
        )).all()
        old = []
        for row in rows:
            if row.at >= cutoff:
                break
            old.append(row)
        if not old:
            return 0, None, False
        last = old[-1]
        removed = db.session.execute(only_chain(
            delete(AuditEntry)
            .where(AuditEntry.seq > start, AuditEntry.seq <= last.seq)
            .execution_options(synchronize_session=False, audit_maintenance=True),
            tenant_id,
        )).rowcount
    connection.execute(
        update(_CHECKPOINTS).where(_CHECKPOINTS.c.chain == key).values(
            seq=last.seq, hash=last.hash, purged=purged_so_far + removed, purged_at=utcnow()
        )
    )
    record(ctx, LOG_PURGED, info={
        "through_seq": last.seq, "through_hash": last.hash, "count": removed,
    })
    more = len(old) == len(rows) == batch_size
    return removed, last.seq, more
