"""Recording consents: state transitions, history never overwritten, bad input, proofs,
the plugin's own extension points, and tenant isolation."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import Attachment
from plugins.gdpr_consents import consents
from plugins.gdpr_consents.errors import ConsentInputError
from plugins.gdpr_consents.models import (
    OWNER_TYPE,
    Consent,
    ConsentEvent,
    ConsentState,
    EventKind,
    Notice,
)
from plugins.gdpr_consents.purposes import get_purpose

from .conftest import NOW, enable_consents

GIVEN = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def events_of(consent: Consent) -> list[ConsentEvent]:
    return list(db.session.scalars(
        select(ConsentEvent).where(ConsentEvent.consent_id == consent.id)
        .order_by(ConsentEvent.id)))


def counts() -> tuple[int, int, int]:
    return (db.session.scalar(select(func.count()).select_from(Consent)),
            db.session.scalar(select(func.count()).select_from(ConsentEvent)),
            db.session.scalar(select(func.count()).select_from(Attachment)))


def test_grant_withdraw_regrant_keeps_every_step(actx):
    ctx = actx.ctx()
    contact = actx.contact("ana.novak@firma.si")
    consent = consents.grant(ctx, contact, "newsletter", given_at=GIVEN, source="manual",
                             source_detail="sejem", duration_months=24)
    assert consent.state == ConsentState.GRANTED
    assert consent.recorded_by == "user:admin@test"
    consents.withdraw(ctx, consent, withdrawn_at=GIVEN + timedelta(days=30),
                      reason="Ne želim več.")
    regranted = consents.grant(ctx, contact, "newsletter", given_at=GIVEN + timedelta(days=60))
    assert regranted.id == consent.id  # one current state per contact and purpose
    assert regranted.withdrawn_at is None
    history = events_of(consent)
    assert [e.kind for e in history] == [EventKind.GRANT, EventKind.WITHDRAW, EventKind.GRANT]
    assert [(e.state_before, e.state_after) for e in history] == [
        (None, "granted"), ("granted", "withdrawn"), ("withdrawn", "granted")]
    # the before/after of each step is kept as it was
    assert history[0].after["source_detail"] == "sejem"
    assert history[1].after["withdrawal_reason"] == "Ne želim več."
    assert history[2].before["withdrawn_at"] == (GIVEN + timedelta(days=30)).isoformat()
    assert all(e.actor == "user:admin@test" and e.at == NOW for e in history)


def test_renewal_and_a_repeated_grant(actx):
    ctx = actx.ctx()
    contact = actx.contact("b@firma.si")
    consent = consents.grant(ctx, contact, "newsletter", given_at=GIVEN)
    again = consents.grant(ctx, contact, "newsletter", given_at=GIVEN)
    assert again is consent and len(events_of(consent)) == 1  # a repeated import: no change
    consents.grant(ctx, contact, "newsletter", given_at=GIVEN + timedelta(days=1))
    assert [e.kind for e in events_of(consent)] == [EventKind.GRANT, EventKind.RENEW]


def test_an_older_grant_never_undoes_a_newer_withdrawal(actx):
    ctx = actx.ctx()
    contact = actx.contact("c@firma.si")
    consent = consents.grant(ctx, contact, "newsletter", given_at=GIVEN)
    consents.withdraw(ctx, consent, withdrawn_at=GIVEN + timedelta(days=10))
    with pytest.raises(ConsentInputError) as error:
        consents.grant(ctx, contact, "newsletter", given_at=GIVEN + timedelta(days=5))
    assert error.value.field == "given_at"
    assert consent.state == ConsentState.WITHDRAWN


def test_refusal_is_recorded_and_can_be_followed_by_a_grant(actx):
    ctx = actx.ctx()
    contact = actx.contact("d@firma.si")
    refused = consents.refuse(ctx, contact, "sms", refused_at="2025-02-01", reason="Ne.")
    assert refused.state == ConsentState.REFUSED and refused.given_at is None
    assert events_of(refused)[0].kind == EventKind.REFUSE
    with pytest.raises(ConsentInputError, match="refused"):
        consents.grant(ctx, contact, "sms", given_at="2025-01-15")
    consents.grant(ctx, contact, "sms", given_at="2025-03-01")
    assert [e.kind for e in events_of(refused)] == [EventKind.REFUSE, EventKind.GRANT]
    with pytest.raises(ConsentInputError, match="withdraw it instead"):
        consents.refuse(ctx, contact, "sms", refused_at="2025-04-01")


def test_pending_then_confirmed(actx):
    ctx = actx.ctx()
    contact = actx.contact("e@firma.si")
    pending = consents.request_confirmation(
        ctx, contact, "events", requested_at=GIVEN, source="web_form", ip="192.0.2.1",
        user_agent="Firefox", notice_version="v3", notice_text="We invite you to events.")
    assert pending.state == ConsentState.PENDING
    confirmed = consents.grant(ctx, contact, "events", given_at=GIVEN + timedelta(hours=1),
                               source="web_form", ip="192.0.2.1", user_agent="Firefox",
                               notice_version="v3", notice_text="We invite you to events.")
    assert confirmed.requested_at == GIVEN and confirmed.state == ConsentState.GRANTED
    assert confirmed.notice_hash == consents.notice_hash("We invite you to events.")
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 1  # stored once
    assert [e.kind for e in events_of(confirmed)] == [EventKind.REQUEST, EventKind.GRANT]


def test_rectification_keeps_the_old_values(actx):
    ctx = actx.ctx()
    consent = consents.grant(ctx, actx.contact("f@firma.si"), "newsletter",
                             given_at="2025-01-10", duration_months=12)
    with pytest.raises(ConsentInputError) as error:
        consents.rectify(ctx, consent, reason="", given_at="2025-01-12")
    assert error.value.field == "reason"
    consents.rectify(ctx, consent, reason="typo on the paper form", given_at="2025-01-12",
                     source_detail="sejem Celje")
    rectified = events_of(consent)[-1]
    assert rectified.kind == EventKind.RECTIFY
    assert rectified.before["given_at"].startswith("2025-01-09T23:00")
    assert rectified.after["given_at"].startswith("2025-01-11T23:00")
    assert rectified.after["expires_at"].startswith("2026-01-11T23:00")  # from the duration
    assert events_of(consent)[0].after["given_at"].startswith("2025-01-09T23:00")


def test_events_are_append_only(actx):
    consent = consents.grant(actx.ctx(), actx.contact("g@firma.si"), "newsletter",
                             given_at=GIVEN)
    db.session.commit()
    entry = events_of(consent)[0]
    entry.reason = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(events_of(consent)[0])
    with pytest.raises(RuntimeError, match="only with their consent"):
        db.session.flush()
    db.session.rollback()
    for entry in events_of(consent):  # a consent deleted for good takes its events along
        db.session.delete(entry)
    db.session.delete(db.session.get(Consent, consent.id))
    db.session.flush()
    assert events_of(consent) == []


@pytest.mark.parametrize(("purpose", "changes", "field", "words"), [
    (None, {"given_at": "2025-01-01"}, "purpose", "choose the purpose"),
    ("nope", {"given_at": "2025-01-01"}, "purpose", "no purpose 'nope'"),
    ("newsletter", {"given_at": ""}, "given_at", "a date is needed"),
    ("newsletter", {"given_at": "31.13.2025"}, "given_at", "is not a date"),
    ("newsletter", {"given_at": "2030-01-01"}, "given_at", "lies in the future"),
    ("newsletter", {"given_at": "2025-01-01", "duration_months": "1.5"}, "duration_months",
     "not a whole number of months"),
    ("newsletter", {"given_at": "2025-01-01", "duration_months": "12 months"},
     "duration_months", "not a whole number"),
    ("newsletter", {"given_at": "2025-01-01", "duration_months": 0}, "duration_months",
     "1 to 1200"),
    ("newsletter", {"given_at": "2025-01-01", "expires_at": "2024-12-31"}, "expires_at",
     "must come after"),
    ("newsletter", {"given_at": "2025-01-01", "expires_at": "2025-01-01"}, "expires_at",
     "must come after"),
    ("newsletter", {"given_at": "2025-01-01", "expires_at": "2026-01-01",
                    "duration_months": 3}, "expires_at", "not both"),
    ("newsletter", {"given_at": "2025-01-01", "source": "carrier_pigeon"}, "source",
     "not a consent source"),
    ("newsletter", {"given_at": "2025-01-01", "source": "web_form"}, "ip", "needs its ip"),
])
def test_bad_input_names_the_field_and_stores_nothing(actx, purpose, changes, field, words):
    contact = actx.contact("h@firma.si")
    db.session.commit()
    before = counts()
    with pytest.raises(ConsentInputError) as error:
        consents.grant(actx.ctx(), contact, purpose, **changes)
    db.session.rollback()
    assert error.value.field == field
    assert words in str(error.value)
    assert str(error.value).startswith(f"{field}: ")
    assert counts() == before


def test_a_proof_is_stored_and_a_forbidden_one_stores_nothing(app, actx):
    ctx = actx.ctx()
    contact = actx.contact("i@firma.si")
    db.session.commit()
    consent = consents.grant(ctx, contact, "newsletter", given_at=GIVEN,
                             proofs=[consents.Proof("podpis.pdf", io.BytesIO(PDF))])
    db.session.commit()
    [proof] = consents.proofs_of([consent.id])[consent.id]
    assert proof.owner_type == OWNER_TYPE and proof.content_type == "application/pdf"
    store = app.extensions["crm"]["attachments"]
    assert store.path(proof).read_bytes() == PDF
    files_before = sorted(p.name for p in (store.root / str(actx.id)).iterdir())

    other = actx.contact("j@firma.si")
    db.session.commit()
    before = counts()
    bad = [consents.Proof("ok.pdf", io.BytesIO(PDF)),
           consents.Proof("virus.exe", io.BytesIO(b"MZ\x90\x00" + b"\x00" * 200))]
    with pytest.raises(ConsentInputError) as error:
        consents.grant(ctx, other, "newsletter", given_at=GIVEN, proofs=bad)
    db.session.rollback()
    assert error.value.field == "proof" and error.value.status == 415
    assert "virus.exe" in str(error.value)
    assert counts() == before
    assert sorted(p.name for p in (store.root / str(actx.id)).iterdir()) == files_before

    app.extensions["crm"]["attachments"].max_bytes = 10
    with pytest.raises(ConsentInputError) as error:
        consents.grant(ctx, other, "newsletter", given_at=GIVEN,
                       proofs=[consents.Proof("big.pdf", io.BytesIO(PDF))])
    db.session.rollback()
    assert error.value.status == 413 and counts() == before


def test_another_tenants_consents_and_purposes_are_not_reachable(app, acme, beta_ny):
    with app.app_context():
        with beta_ny.scope():
            theirs = consents.grant(beta_ny.ctx(), beta_ny.contact("x@beta.com"), "newsletter",
                                    given_at=GIVEN)
            their_purpose = get_purpose("newsletter")
            db.session.commit()
            ids = theirs.id, their_purpose.id
        db.session.expunge_all()
        with acme.scope():
            with pytest.raises(ConsentInputError) as error:
                consents.get_consent(ids[0])
            assert error.value.status == 404
            from plugins.gdpr_consents.purposes import get_purpose_by_id

            with pytest.raises(ConsentInputError):
                get_purpose_by_id(ids[1])
            assert db.session.scalars(select(Consent)).all() == []


def test_extension_points_rules_sources_and_change_listener(rules_app, tenant_a):
    tenant = enable_consents(rules_app, tenant_a.slug)
    with rules_app.app_context(), tenant.scope():
        ctx = tenant.ctx()
        contact = tenant.contact("k@firma.si")
        with pytest.raises(ConsentInputError) as error:
            consents.grant(ctx, contact, "sms", given_at=GIVEN)
        assert error.value.field == "consent"
        assert "the contact has no phone number" in str(error.value)
        db.session.rollback()
        contact = tenant.contact("l@firma.si", phone="+386 41 000 000")
        with pytest.raises(ConsentInputError, match="source_detail"):
            consents.grant(ctx, contact, "sms", given_at=GIVEN, source="call_centre")
        consent = consents.grant(ctx, contact, "sms", given_at=GIVEN, source="call_centre",
                                 source_detail="agent 7")
        assert consent.source == "call_centre"
        assert "call_centre" in consents.known_sources(ctx)
        assert rules_app.extensions["acme_changes"] == [("grant", consent.purpose_id,
                                                         "granted")]


def test_plugin_form_fields_are_checked_and_kept_with_the_event(rules_app, tenant_a):
    tenant = enable_consents(rules_app, tenant_a.slug)
    with rules_app.app_context(), tenant.scope():
        ctx = tenant.ctx()
        contact = tenant.contact("m@firma.si", phone="+386 41 000 000")
        db.session.commit()
        assert [f["name"] for f in consents.consent_fields(ctx)] == ["agent_id"]
        with pytest.raises(ConsentInputError) as error:
            consents.grant(ctx, contact, "sms", given_at=GIVEN, source="call_centre",
                           source_detail="fair", fields={"agent_id": "seven"})
        assert str(error.value) == "agent_id: use the agent's number."
        db.session.rollback()
        consent = consents.grant(ctx, contact, "sms", given_at=GIVEN, source="call_centre",
                                 source_detail="fair", fields={"agent_id": " 7 ", "x": "y"})
        event = consents.history(consent_ids=[consent.id])[0]
        assert event.payload == {"fields": {"agent_id": "7"}}
        db.session.commit()
    other = tenant.app.test_cli_runner().invoke(args=[
        "consents", "grant", "n@firma.si", "newsletter", "--tenant", tenant.slug,
        "--given-at", "2025-01-10", "--field", "agent_id"])
    assert other.exit_code != 0
    assert "--field 'agent_id' is not NAME=VALUE." in other.output
