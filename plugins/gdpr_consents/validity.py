"""The one definition of "a consent is valid at t" (design guide §5), in SQL and in Python.

A consent is valid at the instant t when it was given (its state is granted, or withdrawn or
expired after having been granted), `given_at <= t < expires_at` (no expiry: open-ended),
and it was not withdrawn at or before t (`withdrawn_at` is empty or later than t). Refused
and pending consents are never valid. Trashed consents vanish through the core's
soft-delete filter before this is asked.

Segments, lists and the contact page all ask these two functions; a test checks that they
agree on every edge (the instants of grant, expiry and withdrawal themselves).

As of a past date, the answer comes from the consent's current record: a consent withdrawn
and granted again counts from its new grant only (the safe side); the full story is in
the consent's events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from plugins.gdpr_consents.models import Consent, ConsentState

GIVEN_STATES = (ConsentState.GRANTED, ConsentState.WITHDRAWN, ConsentState.EXPIRED)
"""States of a consent that was given at some point (the others never were)."""


def valid_at_clause(moment: datetime, consent: Any = Consent) -> ColumnElement[bool]:
    """Return the SQL condition "`consent` is valid at `moment`" (an aware datetime);
    `consent` may be an alias of the Consent model."""
    return and_(
        consent.state.in_(GIVEN_STATES),
        consent.given_at <= moment,
        or_(consent.expires_at.is_(None), consent.expires_at > moment),
        or_(consent.withdrawn_at.is_(None), consent.withdrawn_at > moment),
    )


def is_valid_at(consent: Consent, moment: datetime) -> bool:
    """Return True when `consent` is valid at `moment` (the same rule as the SQL)."""
    return (
        consent.deleted_at is None
        and consent.state in GIVEN_STATES
        and consent.given_at is not None
        and consent.given_at <= moment
        and (consent.expires_at is None or moment < consent.expires_at)
        and (consent.withdrawn_at is None or consent.withdrawn_at > moment)
    )


def objected_at_clause(moment: datetime, consent: Any = Consent) -> ColumnElement[bool]:
    """Return the SQL condition "the person said no at or before `moment`": a withdrawal
    effective by then, or a refusal. Role addresses need no consent, but an objection still
    keeps them out of a segment."""
    return or_(
        and_(consent.withdrawn_at.is_not(None), consent.withdrawn_at <= moment),
        consent.state == ConsentState.REFUSED,
    )


def current_state(consent: Consent, now: datetime) -> ConsentState:
    """Return the state as it is at `now`: a granted consent whose expiry has passed is
    expired even before `crm consents expire` turned it so."""
    if (
        consent.state == ConsentState.GRANTED
        and consent.expires_at is not None
        and consent.expires_at <= now
    ):
        return ConsentState.EXPIRED
    return consent.state
