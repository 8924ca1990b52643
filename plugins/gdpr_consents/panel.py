"""The consent panel on the contact page: an overview per purpose (which purposes need a
consent, the current state, dates, source, proofs, receipt, correct and withdraw), the
address's class and deliverability, the short "add a consent or a refusal" form and the
history beneath, where a rectification shows each corrected field's old and new value."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import render_template
from markupsafe import Markup

from core.admin.localtime import show_time
from core.events import EventContext, Panel
from core.models import Contact
from plugins.gdpr_consents import PLUGIN
from plugins.gdpr_consents.consents import (
    consent_fields,
    consents_of,
    corrected_fields,
    history,
    known_sources,
    proofs_of,
)
from plugins.gdpr_consents.deliverability import active_mark
from plugins.gdpr_consents.email_classes import rules_for
from plugins.gdpr_consents.models import ConsentEvent, ConsentState
from plugins.gdpr_consents.purposes import list_purposes
from plugins.gdpr_consents.validity import current_state, is_valid_at

STATE_BADGES = {
    ConsentState.GRANTED: "success",
    ConsentState.WITHDRAWN: "secondary",
    ConsentState.EXPIRED: "warning",
    ConsentState.REFUSED: "danger",
    ConsentState.PENDING: "info",
}


def overview(ctx: EventContext, contact: Contact) -> dict[str, Any]:
    """What the panel shows, as template variables."""
    by_purpose = {c.purpose_id: c for c in consents_of(contact)}
    proofs = proofs_of(c.id for c in by_purpose.values())
    rows = []
    for purpose in list_purposes():
        consent = by_purpose.get(purpose.id)
        if consent is None and not purpose.active:
            continue
        state = current_state(consent, ctx.at) if consent is not None else None
        rows.append({
            "purpose": purpose,
            "consent": consent,
            "state": state,
            "badge": STATE_BADGES.get(state, "light"),
            "valid": consent is not None and is_valid_at(consent, ctx.at),
            "proofs": proofs.get(consent.id, []) if consent is not None else [],
            "can_withdraw": state in (ConsentState.GRANTED, ConsentState.PENDING),
        })
    rules = rules_for(ctx.tenant_id)
    sources = known_sources(ctx)
    return {
        "contact": contact,
        "rows": rows,
        "events": history(contact_id=contact.id),
        "email_class": rules.classify(contact.email) if contact.email else None,
        "mark": active_mark(contact.email),
        "sources": sorted(sources.values(), key=lambda s: s["code"]),
        "fields": [{**spec, "source_labels": [sources[s]["label"] for s in spec["sources"]
                                              if s in sources]}
                   for spec in consent_fields(ctx)],
        "purposes": [p for p in list_purposes(active_only=True)],
        "form": {},
        "error": None,
        "show_time": show_time,
        "corrected": corrected,
    }


def _shown_value(value: Any) -> str:
    """A snapshot value as shown: instants (ISO 8601 in the snapshot) in local time."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return show_time(moment)
    return "" if value is None else str(value)


def corrected(event: ConsentEvent) -> list[dict[str, str]]:
    """For a rectification event, each field it corrected with its old and new value as
    shown ([] for any other event)."""
    return [{"field": field, "before": _shown_value(old), "after": _shown_value(new)}
            for field, (old, new) in corrected_fields(event).items()]


def consent_panel(ctx: EventContext, contact: Contact) -> Panel:
    """The "Consents" panel of `contact`'s page."""
    html = render_template("gdpr_consents/contact_panel.html", **overview(ctx, contact))
    return Panel(title="Consents", html=Markup(html), order=20, plugin=PLUGIN)  # noqa: S704
