"""Expiry: overdue consents turn to expired (with an event), and what expires soon.

`expire_due` is what `crm consents expire` runs (from cron): it is idempotent, because it
only picks granted consents whose expiry has passed, and each of them once. Segments do not
wait for it: validity is computed from the times (see `validity.py`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from core.db import db
from core.events import EventContext
from plugins.gdpr_consents.consents import expire
from plugins.gdpr_consents.models import Consent, ConsentState, Purpose

BATCH = 500
SOON_DAYS = 30


def expire_due(ctx: EventContext) -> int:
    """Expire the tenant's granted consents whose expiry is at or before `ctx.at`, each
    with an `expire` event; return how many (0 on a repeated run). Not committed."""
    count = 0
    last_id = 0
    while True:
        batch = db.session.scalars(
            select(Consent)
            .where(
                Consent.state == ConsentState.GRANTED,
                Consent.expires_at.is_not(None),
                Consent.expires_at <= ctx.at,
                Consent.id > last_id,
            )
            .order_by(Consent.id)
            .limit(BATCH)
        ).all()
        if not batch:
            return count
        for consent in batch:
            if expire(ctx, consent) is not None:
                count += 1
            last_id = consent.id


def expiring_soon(now: datetime, days: int = SOON_DAYS) -> list[Consent]:
    """Return the tenant's granted consents that expire within `days` days after `now`
    (not yet expired), soonest first."""
    until = now + timedelta(days=days)
    return list(db.session.scalars(
        select(Consent)
        .join(Purpose, Purpose.id == Consent.purpose_id)
        .where(
            Consent.state == ConsentState.GRANTED,
            Consent.withdrawn_at.is_(None),
            Consent.expires_at > now,
            Consent.expires_at <= until,
        )
        .order_by(Consent.expires_at, Consent.id)
    ))
