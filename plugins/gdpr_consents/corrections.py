"""The rectification form of a consent: the values it shows, and which submitted values
are changes to pass to `consents.rectify`.

A field left as shown is no change, so a consent given online at 14:32 keeps its time when
only its source detail is corrected. The duration and the expiry date are one choice: the
form shows the months when the consent has them, else the expiry date.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.events import EventContext
from plugins.gdpr_consents.consents import tenant_zone
from plugins.gdpr_consents.models import Consent

FORM_FIELDS = ("given_at", "duration_months", "expires_at", "source", "source_detail",
               "withdrawn_at", "withdrawal_reason")


def _day(moment: datetime | None, ctx: EventContext) -> str:
    return "" if moment is None else moment.astimezone(tenant_zone(ctx)).date().isoformat()


def form_values(ctx: EventContext, consent: Consent) -> dict[str, str]:
    """Return the form's values for `consent`: dates as YYYY-MM-DD in the tenant's zone."""
    return {
        "given_at": _day(consent.given_at, ctx),
        "duration_months": "" if consent.duration_months is None else str(
            consent.duration_months),
        "expires_at": "" if consent.duration_months else _day(consent.expires_at, ctx),
        "source": consent.source or "",
        "source_detail": consent.source_detail or "",
        "withdrawn_at": _day(consent.withdrawn_at, ctx),
        "withdrawal_reason": consent.withdrawal_reason or "",
    }


def changes_from(ctx: EventContext, consent: Consent, submitted: dict[str, Any]
                 ) -> dict[str, str]:
    """Return {field: new value} for the submitted fields that differ from what the form
    showed (fields the form did not send are no change)."""
    shown = form_values(ctx, consent)
    changes = {}
    for field in FORM_FIELDS:
        if field not in submitted:
            continue
        value = str(submitted[field] or "").strip()
        if value != shown[field]:
            changes[field] = value
    return changes
