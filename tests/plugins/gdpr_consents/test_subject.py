"""Right of access and erasure of a person's consents; purges; trashed consents; audit seam."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from sqlalchemy import func, select

from core.db import db
from core.events import emit
from core.hookspecs import hookimpl
from core.models import Attachment, Contact
from core.records import delete_record
from core.scoping import including_deleted
from plugins.gdpr_consents import consents
from plugins.gdpr_consents.deliverability import mark_undeliverable
from plugins.gdpr_consents.models import Consent, ConsentEvent, Undeliverable

from .conftest import enable_consents

PDF = b"%PDF-1.4\n%%EOF\n"


def person(actx, email="ana@firma.si"):
    ctx = actx.ctx()
    contact = actx.contact(email, first_name="Ana", last_name="Novak")
    consent = consents.grant(ctx, contact, "newsletter", given_at="2025-01-10",
                             source="web_form", ip="192.0.2.7", user_agent="Firefox/1",
                             proofs=[consents.Proof("scan.pdf", io.BytesIO(PDF))])
    consents.withdraw(ctx, consent, withdrawn_at="2025-02-01", reason="Preveč pošte.")
    consents.refuse(ctx, contact, "sms", refused_at="2025-01-10")
    mark_undeliverable(ctx, email, reason="hard bounce", source="mailchimp")
    db.session.commit()
    return contact, consent


def test_subject_data_has_only_this_persons_consents_and_history(actx):
    contact, _consent = person(actx)
    other, _ = person(actx, "anamarija@firma.si")
    sections = {s.key: s for group in emit("crm_subject_data", actx.ctx(), contact=contact)
                for s in group if s.plugin == "gdpr_consents"}
    consents_rows = sections["gdpr_consents.consents"].rows
    assert [row[2] for row in consents_rows] == ["withdrawn", "refused"]
    assert consents_rows[0][-1] == "scan.pdf" and consents_rows[0][12] == "192.0.2.7"
    history = sections["gdpr_consents.history"].rows
    assert [row[2] for row in history] == ["grant", "withdraw", "refuse"]
    marks = sections["gdpr_consents.deliverability"].rows
    assert [row[0] for row in marks] == ["ana@firma.si"]
    assert other.email not in str(sections)


def test_erase_removes_consents_history_proofs_and_marks(app, actx):
    contact, consent = person(actx)
    keep, _ = person(actx, "bor@firma.si")
    store = app.extensions["crm"]["attachments"]
    [proof] = consents.proofs_of([consent.id])[consent.id]
    path = store.path(proof)
    consent.deleted_at = datetime(2025, 3, 1, tzinfo=UTC)  # trashed ones go too
    db.session.commit()
    lines = [line for group in emit("crm_subject_erase", actx.ctx(), contact=contact,
                                    mode="erase") for line in group]
    db.session.commit()
    assert "2 consent(s) and 3 consent event(s) removed" in lines
    assert "1 consent proof file(s) removed" in lines
    with including_deleted():
        assert db.session.scalars(select(Consent.contact_id)).all() == [keep.id, keep.id]
    assert set(db.session.scalars(select(ConsentEvent.contact_id))) == {keep.id}
    assert db.session.scalars(select(Undeliverable.email)).all() == ["bor@firma.si"]
    assert not path.exists()
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 1


def test_anonymize_keeps_the_states_without_personal_details(actx):
    contact, consent = person(actx)
    lines = [line for group in emit("crm_subject_erase", actx.ctx(), contact=contact,
                                    mode="anonymize") for line in group]
    db.session.commit()
    assert any("stripped of personal details" in line for line in lines)
    kept = db.session.get(Consent, consent.id)
    assert kept.state.value == "withdrawn" and kept.ip is None and kept.user_agent is None
    assert kept.withdrawal_reason is None
    events = db.session.scalars(select(ConsentEvent)).all()
    assert all(e.before is None and e.after is None and e.reason is None for e in events)
    assert db.session.scalar(select(func.count()).select_from(Undeliverable)) == 0


def test_a_real_delete_of_a_contact_leaves_no_trace_of_its_consents(app, actx):
    contact, consent = person(actx)
    [proof] = consents.proofs_of([consent.id])[consent.id]
    path = app.extensions["crm"]["attachments"].path(proof)
    delete_record(actx.ctx(), contact)
    db.session.commit()
    with including_deleted():
        for model in (Consent, ConsentEvent, Undeliverable):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0
    assert not path.exists()


def test_deleting_a_consent_record_removes_its_proofs(app, actx):
    contact, consent = person(actx)
    [proof] = consents.proofs_of([consent.id])[consent.id]
    path = app.extensions["crm"]["attachments"].path(proof)
    delete_record(actx.ctx(), consent)
    db.session.commit()
    assert not path.exists()
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert db.session.get(Contact, contact.id) is not None


def test_a_trashed_consent_vanishes_from_lists_and_history(actx):
    contact, consent = person(actx)
    consent.deleted_at = datetime(2025, 3, 1, tzinfo=UTC)
    db.session.commit()
    assert [c.purpose.code for c in consents.consents_of(contact)] == ["sms"]
    assert {e.consent_id for e in consents.history(contact_id=contact.id)} != {consent.id}
    assert consent.id not in {e.consent_id for e in consents.history(contact_id=contact.id)}


def test_consent_rows_are_reported_as_record_events(rules_app, tenant_a):
    calls = []
    tenant = enable_consents(rules_app, tenant_a.slug)
    host = rules_app.extensions["crm"]["plugins"]

    class Listener:
        @staticmethod
        def crm_record_created(ctx, record):
            calls.append((type(record).__name__, getattr(record, "contact_id", None),
                          ctx.actor))

    Listener.crm_record_created = hookimpl(Listener.crm_record_created)
    host.pm.register(Listener, name="listener")
    try:
        with rules_app.app_context(), tenant.scope():
            contact_id = tenant.contact("z@firma.si").id
            consents.grant(tenant.ctx(), db.session.get(Contact, contact_id), "newsletter",
                           given_at="2025-01-01")
            db.session.commit()
    finally:
        host.pm.unregister(name="listener")
    created = {(name, contact) for name, contact, _ in calls}
    assert ("Consent", contact_id) in created and ("ConsentEvent", contact_id) in created
