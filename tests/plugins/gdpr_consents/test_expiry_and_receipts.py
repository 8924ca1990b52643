"""Expiry (idempotent, one event each), the expiring-soon list, and consent receipts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.db import db
from core.settings import set_setting
from plugins.gdpr_consents import consents, expiry
from plugins.gdpr_consents.models import ConsentEvent, ConsentState, EventKind
from plugins.gdpr_consents.receipts import ReceiptUnavailable, receipt

NOW = datetime(2025, 6, 15, 10, 0, tzinfo=UTC)


def test_expire_is_idempotent_with_one_event_per_consent(actx):
    ctx = actx.ctx()
    old = consents.grant(ctx, actx.contact("a@firma.si"), "sms", given_at="2024-01-01")
    edge = consents.grant(ctx, actx.contact("b@firma.si"), "newsletter",
                          given_at=NOW - timedelta(days=31), expires_at=NOW)
    fresh = consents.grant(ctx, actx.contact("c@firma.si"), "newsletter",
                           given_at="2025-06-01")
    db.session.commit()
    assert expiry.expire_due(ctx) == 2
    db.session.commit()
    assert expiry.expire_due(ctx) == 0
    assert (old.state, edge.state, fresh.state) == (
        ConsentState.EXPIRED, ConsentState.EXPIRED, ConsentState.GRANTED)
    expired = db.session.scalars(select(ConsentEvent).where(
        ConsentEvent.kind == EventKind.EXPIRE)).all()
    assert sorted(e.consent_id for e in expired) == sorted([old.id, edge.id])
    assert {e.effective_at for e in expired} == {old.expires_at, edge.expires_at}


def test_expiring_soon_lists_the_next_30_days(actx):
    ctx = actx.ctx()
    soon = consents.grant(ctx, actx.contact("a@firma.si"), "newsletter",
                          given_at=NOW - timedelta(days=10), expires_at=NOW + timedelta(days=29))
    consents.grant(ctx, actx.contact("b@firma.si"), "newsletter",
                   given_at=NOW - timedelta(days=10), expires_at=NOW + timedelta(days=31))
    gone = consents.grant(ctx, actx.contact("c@firma.si"), "newsletter",
                          given_at=NOW - timedelta(days=10), expires_at=NOW + timedelta(days=5))
    consents.withdraw(ctx, gone, withdrawn_at=NOW - timedelta(days=1))
    assert [c.id for c in expiry.expiring_soon(NOW)] == [soon.id]


def test_receipt_has_the_kantara_shape(actx):
    ctx = actx.ctx()
    set_setting(actx.id, "gdpr_consents", "policy_url", "https://acme.si/zasebnost")
    set_setting(actx.id, "gdpr_consents", "controller_email", "dpo@acme.si")
    consent = consents.grant(ctx, actx.contact("ana@firma.si"), "newsletter",
                             given_at="2025-01-10", source_detail="sejem",
                             notice_version="2025-01", notice_text="Pošiljali vam bomo novice.")
    document = receipt(ctx, consent)
    assert document["version"] == "KI-CR-v1.1.0"
    assert document["jurisdiction"] == "SI"
    assert document["consentTimestamp"] == int(consent.given_at.timestamp())
    assert document["collectionMethod"].endswith(": sejem")
    assert uuid.UUID(document["consentReceiptID"])
    assert document["piiPrincipalId"] == "ana@firma.si"
    [controller] = document["piiControllers"]
    assert controller["piiController"] == "Acme d.o.o."
    assert controller["email"] == "dpo@acme.si"
    assert set(controller["address"]) == {"streetAddress", "addressCountry"}
    assert document["policyUrl"] == "https://acme.si/zasebnost"
    [service] = document["services"]
    [purpose] = service["purposes"]
    assert purpose["consentType"] == "EXPLICIT" and purpose["primaryPurpose"] is True
    assert "Art. 6(1)(a)" in purpose["purposeCategory"][0]
    assert "6 - Marketing" in purpose["purposeCategory"]
    assert purpose["termination"].startswith("Ends on 2027-01-09T23:00:00+00:00")
    assert document["sensitive"] is False and document["spiCat"] == []
    assert document["x-crm-gdpr"]["noticeSha256"] == consent.notice_hash
    assert receipt(ctx, consent) == document  # the same state gives the same receipt


def test_no_receipt_for_a_refusal(actx):
    refused = consents.refuse(actx.ctx(), actx.contact("r@firma.si"), "sms",
                              refused_at="2025-01-01")
    with pytest.raises(ReceiptUnavailable):
        receipt(actx.ctx(), refused)
    assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == 1
