"""The one definition of validity, in SQL and Python, at the edges; months and zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.db import db
from plugins.gdpr_consents import consents
from plugins.gdpr_consents.models import Consent, ConsentState
from plugins.gdpr_consents.validity import current_state, is_valid_at, valid_at_clause

GIVEN = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def valid_in_sql(consent: Consent, moment: datetime) -> bool:
    found = db.session.scalar(
        select(Consent.id).where(Consent.id == consent.id, valid_at_clause(moment))
    )
    return found is not None


def test_sql_and_python_agree_on_every_edge(actx):
    ctx = actx.ctx()
    contact = actx.contact("ana.novak@firma.si")
    consent = consents.grant(ctx, contact, "newsletter", given_at=GIVEN, duration_months=3)
    expires = consent.expires_at
    withdrawn = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    consents.withdraw(ctx, consent, withdrawn_at=withdrawn)
    cases = {
        GIVEN - SECOND: False,
        GIVEN: True,  # given_at <= t
        withdrawn - SECOND: True,
        withdrawn: False,  # withdrawn at or before t
        expires - SECOND: False,
    }
    for moment, expected in cases.items():
        assert is_valid_at(consent, moment) is expected, moment
        assert valid_in_sql(consent, moment) is expected, moment


def test_expiry_instant_is_exclusive(actx):
    ctx = actx.ctx()
    consent = consents.grant(ctx, actx.contact("a@x.si"), "newsletter", given_at=GIVEN,
                             duration_months=1)
    for moment, expected in [(consent.expires_at - SECOND, True), (consent.expires_at, False)]:
        assert is_valid_at(consent, moment) is expected
        assert valid_in_sql(consent, moment) is expected
    assert current_state(consent, consent.expires_at) == ConsentState.EXPIRED
    assert current_state(consent, consent.expires_at - SECOND) == ConsentState.GRANTED


def test_refused_and_pending_are_never_valid(actx):
    ctx = actx.ctx()
    refused = consents.refuse(ctx, actx.contact("r@x.si"), "sms", refused_at=GIVEN)
    pending = consents.request_confirmation(ctx, actx.contact("p@x.si"), "events",
                                            requested_at=GIVEN, source="manual")
    for consent in (refused, pending):
        assert not is_valid_at(consent, GIVEN + timedelta(days=1))
        assert not valid_in_sql(consent, GIVEN + timedelta(days=1))


@pytest.mark.parametrize(("given", "months", "expected_local"), [
    ("2025-01-31", 1, datetime(2025, 2, 28)),   # clamped at February's end
    ("2024-01-31", 1, datetime(2024, 2, 29)),   # leap year
    ("2025-03-31", 1, datetime(2025, 4, 30)),
    ("2024-08-31", 6, datetime(2025, 2, 28)),
    ("2025-01-15", 12, datetime(2026, 1, 15)),
])
def test_months_are_added_in_the_local_calendar_clamped(actx, given, months, expected_local):
    consent = consents.grant(actx.ctx(), actx.contact("m@x.si"), "newsletter", given_at=given,
                             duration_months=months)
    local = consent.expires_at.astimezone(ZoneInfo("Europe/Ljubljana"))
    assert local.replace(tzinfo=None) == expected_local


def test_a_date_is_midnight_in_the_tenants_zone_across_dst(actx):
    # given in winter (UTC+1), expires in summer (UTC+2): same local midnight
    consent = consents.grant(actx.ctx(), actx.contact("d@x.si"), "newsletter",
                             given_at="2025-01-31", duration_months=3)
    assert consent.given_at == datetime(2025, 1, 30, 23, 0, tzinfo=UTC)
    assert consent.expires_at == datetime(2025, 4, 29, 22, 0, tzinfo=UTC)


def test_new_york_dates_are_new_york_midnight(app, beta_ny):
    with app.app_context(), beta_ny.scope():
        consent = consents.grant(beta_ny.ctx(), beta_ny.contact("n@y.com"), "newsletter",
                                 given_at="2025-03-01", duration_months=1)
        assert consent.given_at == datetime(2025, 3, 1, 5, 0, tzinfo=UTC)  # EST
        # DST starts 9 March 2025 in New York: midnight of 1 April is 04:00 UTC
        assert consent.expires_at == datetime(2025, 4, 1, 4, 0, tzinfo=UTC)
