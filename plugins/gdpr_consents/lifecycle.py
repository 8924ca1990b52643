"""What happens when a tenant enables the plugin: the default purposes, and for the demo
tenant a few consents in varied states so the pages have something to show.

Runs from `crm_plugin_enabled`, so the core's `crm demo` stays plugin-agnostic: it enables
every installed plugin for the tenant `demo`, and this plugin seeds its part.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import g
from sqlalchemy import select

from core.db import db
from core.events import EventContext, set_actor
from core.models import Contact
from core.scoping import tenant_scope
from plugins.gdpr_consents import consents as consent_logic
from plugins.gdpr_consents.deliverability import mark_undeliverable
from plugins.gdpr_consents.email_classes import EmailClass, rules_for
from plugins.gdpr_consents.models import Consent
from plugins.gdpr_consents.purposes import ensure_default_purposes, find_purpose

DEMO_TENANT = "demo"
DEMO_NOTICE = (
    "Demo d.o.o. will send you its newsletter and invitations. You can withdraw your consent "
    "at any time with the link in every message or by writing to info@demo.example."
)


def on_enabled(ctx: EventContext) -> None:
    """Give a tenant that has no purposes the defaults; seed the demo tenant's consents.
    The rows are written as `ctx.actor` (the record events name who enabled the plugin,
    also from a command that set no actor)."""
    with tenant_scope(ctx.tenant_id), _acting_as(ctx):
        ensure_default_purposes()
        if ctx.tenant.slug == DEMO_TENANT:
            seed_demo_consents(ctx)
        db.session.flush()


@contextmanager
def _acting_as(ctx: EventContext) -> Iterator[None]:
    if g.get("crm_actor") is not None:
        yield
        return
    set_actor(ctx.actor, ctx.user_id)
    try:
        yield
    finally:
        g.pop("crm_actor", None)
        g.pop("crm_user_id", None)


def seed_demo_consents(ctx: EventContext, seed: int = 2024) -> int:
    """Record consents in varied states for the demo's personal contacts (once: nothing
    happens when the tenant has consents already); return how many were recorded."""
    if db.session.scalar(select(Consent.id).limit(1)) is not None:
        return 0
    rng = random.Random(seed)  # noqa: S311  (demo data, not security)
    rules = rules_for(ctx.tenant_id)
    people = [c for c in db.session.scalars(select(Contact).order_by(Contact.id))
              if c.email and rules.classify(c.email) != EmailClass.ROLE]
    newsletter, events, sms = (find_purpose(code) for code in ("newsletter", "events", "sms"))
    now = ctx.at
    recorded = 0
    for index, contact in enumerate(people[:80]):
        given = now - timedelta(days=rng.randint(20, 700), hours=rng.randint(0, 10))
        detail = rng.choice(["sejem Ljubljana 2024", "spletni obrazec", "telefonski klic", None])
        consent_logic.grant(ctx, contact, newsletter, given_at=given, source="manual",
                            source_detail=detail, notice_version="2024-01",
                            notice_text=DEMO_NOTICE)
        recorded += 1
        kind = index % 8
        if kind == 1:
            consent_logic.withdraw(ctx, consent_logic.find_consent(contact, newsletter),
                                   withdrawn_at=now - timedelta(days=rng.randint(1, 15)),
                                   reason="Ne želim več prejemati novic.")
        elif kind == 2:
            soon = now - timedelta(days=365 * 2 - rng.randint(1, 25))
            consent_logic.grant(ctx, contact, events, given_at=soon, duration_months=24,
                                source="manual", source_detail="sejem")
            recorded += 1
        elif kind == 3:
            consent_logic.refuse(ctx, contact, sms, refused_at=given, source="manual")
            recorded += 1
        elif kind == 4:
            consent_logic.request_confirmation(
                ctx, contact, events, requested_at=now - timedelta(hours=3), source="manual")
            recorded += 1
        elif kind == 5:
            old = now - timedelta(days=800)
            consent_logic.grant(ctx, contact, sms, given_at=old, duration_months=12,
                                source="manual", source_detail="prodajalna")
            recorded += 1
        elif kind == 6:
            mark_undeliverable(ctx, contact.email, reason="hard bounce", source="manual",
                               detail="550 mailbox unavailable")
    return recorded
