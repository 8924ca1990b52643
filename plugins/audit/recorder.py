"""Recording: a hook's event becomes a pending entry of the current transaction, and the
transaction's commit appends its pending entries to their chains.

Pending entries live in `session.info` (not in the unit of work): they are inserted once,
already numbered and hashed, by the `before_commit` listener below, inside the same
transaction as the user's action. So the action and its entries commit together or not at
all. Entries recorded inside a SAVEPOINT that is rolled back are dropped with it; a
rolled-back or closed transaction drops them all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from core.db import CrmSession, db
from core.events import EventContext
from core.text import search_key
from plugins.audit import chain
from plugins.audit.models import LIMITS

PENDING_KEY = "audit.pending"
ERASED_KEY = "audit.erased"
COMMITTING_KEY = "audit.committing"
PERSONAL_FIELDS = ("label", "label_key", "ip", "user_agent", "details")
MAX_FLUSHES = 100


@dataclass
class PendingEntry:
    """An entry waiting for its transaction's commit, and the SAVEPOINT it belongs to."""

    values: dict[str, Any]
    savepoint: SessionTransaction | None


def record(
    ctx: EventContext,
    action: str,
    *,
    target_type: str | None = None,
    target_id: int | None = None,
    label: str | None = None,
    contact_id: int | None = None,
    user_id: int | None = None,
    info: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record an entry in `ctx.tenant`'s chain (the platform chain when it has none) as part
    of the current transaction; return its column values (numbered at commit).

    `info` holds non-personal facts (counts, field names) and is chained as it is;
    `label` and `details` are personal and erasable (only their digest is chained).
    Never commits or flushes: safe to call from inside a flush.
    """
    values: dict[str, Any] = {
        "tenant_id": ctx.tenant_id,
        "seq": None,
        "at": ctx.at,
        "actor": chain.clean_text(ctx.actor, LIMITS["actor"]),
        "user_id": user_id if user_id is not None else ctx.user_id,
        "action": chain.clean_text(action, LIMITS["action"]),
        "target_type": chain.clean_text(target_type, LIMITS["target_type"]),
        "target_id": target_id,
        "contact_id": contact_id,
        "request_id": chain.clean_text(ctx.request_id, LIMITS["request_id"]),
        "info": chain.json_text(info),
        "label": chain.clean_text(label, LIMITS["label"]),
        "ip": chain.clean_text(ctx.ip, LIMITS["ip"]),
        "user_agent": chain.clean_text(ctx.user_agent, LIMITS["user_agent"]),
        "details": chain.json_text(details),
        "redacted_at": None,
        "redaction": None,
    }
    values["label_key"] = chain.clean_text(search_key(values["label"]), LIMITS["label_key"]) \
        if values["label"] else None
    session = db.session()
    if is_erased(session, values):
        strip_personal(values)
    session.info.setdefault(PENDING_KEY, []).append(
        PendingEntry(values, session.get_nested_transaction())
    )
    return values


def strip_personal(values: dict[str, Any]) -> None:
    """Blank the personal part of a pending entry (it is digested when appended)."""
    for name in PERSONAL_FIELDS:
        values[name] = None


def pending_entries(session: Session) -> list[PendingEntry]:
    """The entries this session's transaction has recorded so far."""
    return session.info.get(PENDING_KEY, [])


def mark_erased(session: Session, targets: set[tuple[str, int]], contact_ids: set[int]) -> None:
    """Remember, for the rest of the transaction, records whose details must not be
    recorded any more (their person was erased or the record purged)."""
    erased = session.info.setdefault(ERASED_KEY, {"targets": set(), "contacts": set()})
    erased["targets"] |= targets
    erased["contacts"] |= contact_ids


def is_erased(session: Session, values: dict[str, Any]) -> bool:
    """True when the entry is about a record erased earlier in this transaction."""
    erased = session.info.get(ERASED_KEY)
    if not erased:
        return False
    return (values["contact_id"] in erased["contacts"]
            or (values["target_type"], values["target_id"]) in erased["targets"])


def append_pending(session: Session, flush: bool = True) -> int:
    """Flush the session (so the user's rows are written before the chain is locked), then
    append every pending entry to its chain, in the order they were recorded; chains are
    taken in a fixed order so that two transactions never wait for each other's heads.
    `flush=False` when called from inside a flush. Returns the number of entries appended.
    """
    if flush:
        for _ in range(MAX_FLUSHES):
            if not (session.new or session.dirty or session.deleted):
                break
            session.flush()
    pending = session.info.pop(PENDING_KEY, [])
    if not pending:
        return 0
    by_chain: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for entry in pending:
        chain.seal_personal_part(entry.values)
        by_chain[entry.values["tenant_id"]].append(entry.values)
    connection = session.connection()
    for tenant_id in sorted(by_chain, key=lambda t: -1 if t is None else t):
        chain.append(connection, tenant_id, by_chain[tenant_id])
    return len(pending)


def _forget(session: Session) -> None:
    for key in (PENDING_KEY, ERASED_KEY, COMMITTING_KEY):
        session.info.pop(key, None)


def _inside(savepoint: SessionTransaction | None, boundary: SessionTransaction) -> bool:
    while savepoint is not None:
        if savepoint is boundary:
            return True
        savepoint = savepoint.parent
    return False


@event.listens_for(CrmSession, "before_commit")
def _append_on_commit(session: Session) -> None:
    # A SAVEPOINT being released: its entries wait for the outermost commit.
    if session.in_nested_transaction():
        return
    session.info[COMMITTING_KEY] = True
    append_pending(session)


@event.listens_for(CrmSession, "after_flush_postexec")
def _append_late_entries(session: Session, flush_context: Any) -> None:
    # Another before_commit listener added rows after ours: commit flushes them, and the
    # entries their events recorded join the chain here (the head is already locked).
    if session.info.get(COMMITTING_KEY) and session.info.get(PENDING_KEY):
        append_pending(session, flush=False)


@event.listens_for(CrmSession, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    if not session.info.get(PENDING_KEY):
        return
    # the transaction the database really rolled back: the outermost or a SAVEPOINT
    boundary = previous
    while boundary.parent is not None and not boundary.nested:
        boundary = boundary.parent
    if not boundary.nested:
        _forget(session)
        return
    session.info[PENDING_KEY] = [
        entry for entry in session.info[PENDING_KEY] if not _inside(entry.savepoint, boundary)
    ]


@event.listens_for(CrmSession, "after_transaction_end")
def _drop_on_end(session: Session, transaction: SessionTransaction) -> None:
    # the outermost transaction ended (committed, rolled back or closed): nothing may
    # carry over into the next one
    if transaction.parent is None:
        _forget(session)
