"""Deliverability: an address marked undeliverable (a hard bounce, a `cleaned` event from a
mailing system, or by hand) with when, why and from where. An active mark keeps the address
out of every segment; clearing it keeps the row as history. Not committed here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db import db
from core.emails import InvalidEmail, normalize_email
from core.events import EventContext
from core.models import Contact
from plugins.gdpr_consents.consents import parse_when, tenant_zone
from plugins.gdpr_consents.errors import ConsentInputError
from plugins.gdpr_consents.models import Undeliverable


def _address(email: str) -> str:
    try:
        return normalize_email(email or "")
    except InvalidEmail as exc:
        raise ConsentInputError("email", str(exc)) from None


def active_mark(email: str | None) -> Undeliverable | None:
    """Return the active undeliverable mark of a normalized address, or None."""
    if not email:
        return None
    return db.session.scalar(
        select(Undeliverable).where(Undeliverable.email == email,
                                    Undeliverable.cleared_at.is_(None))
    )


def marks_of(email: str | None) -> list[Undeliverable]:
    """Return every mark (active and cleared) of a normalized address, newest first."""
    if not email:
        return []
    return list(db.session.scalars(
        select(Undeliverable).where(Undeliverable.email == email)
        .order_by(Undeliverable.marked_at.desc(), Undeliverable.id.desc())
    ))


def mark_undeliverable(
    ctx: EventContext,
    email: str,
    *,
    reason: str,
    source: str = "manual",
    detail: str | None = None,
    at: Any = None,
) -> Undeliverable:
    """Mark `email` undeliverable (idempotent: an active mark is returned as it is).
    Raises ConsentInputError for a bad address or a missing reason."""
    address = _address(email)
    reason = (reason or "").strip()
    if not reason:
        raise ConsentInputError("reason", "say why the address is undeliverable "
                                "(e.g. hard bounce).")
    existing = active_mark(address)
    if existing is not None:
        return existing
    contact_id = db.session.scalar(select(Contact.id).where(Contact.email == address))
    mark = Undeliverable(
        email=address, contact_id=contact_id, reason=reason[:255],
        source=(source or "manual")[:32], detail=detail,
        marked_at=parse_when(at, "at", tenant_zone(ctx)) or ctx.at, marked_by=ctx.actor,
    )
    db.session.add(mark)
    db.session.flush()
    return mark


def clear_undeliverable(ctx: EventContext, email: str) -> Undeliverable | None:
    """Lift the active mark of `email` (the row stays as history); return it, or None
    when there was none."""
    mark = active_mark(_address(email))
    if mark is None:
        return None
    mark.cleared_at = ctx.at
    mark.cleared_by = ctx.actor
    db.session.flush()
    return mark
