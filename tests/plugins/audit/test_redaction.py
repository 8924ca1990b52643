"""Erasing a person or purging a record blanks the trail's details; verify still passes."""

from __future__ import annotations

import json

from core.db import db
from core.events import RecordRef, context, emit
from core.models import Activity, Company, Contact
from tests.plugins.audit.conftest import acting, entries


def _make_history(app, tenant):
    with acting(app, tenant):
        ana = Contact(first_name="Ana", last_name="Novak", email="ana@x.si")
        bojan = Contact(first_name="Bojan", last_name="Kos", email="bojan@x.si")
        db.session.add_all([ana, bojan])
        db.session.commit()
        ana.phone = "041 123 456"
        db.session.commit()
        with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.1"},
                                      headers={"User-Agent": "Firefox"}):
            emit("crm_record_viewed", context(), record=ana)
            emit("crm_records_exported", context(), what="subject data", file_format="xlsx",
                 subject="Ana Novak", rows=4, details={"contact_id": ana.id})
        db.session.commit()
        return ana.id, bojan.id


def test_erasing_a_person_blanks_their_entries_and_verify_passes(app, cli, audited):
    ana_id, _bojan_id = _make_history(app, audited)
    with acting(app, audited):
        ana = db.session.get(Contact, ana_id)
        lines = emit("crm_subject_erase", context(), contact=ana, mode="erase")
        db.session.commit()
    assert ["audit: blanked the personal details of 4 log entries (the entries and their "
            "proof stay)"] in lines
    trail = entries(app, audited.id)
    about_ana = [e for e in trail if e.contact_id == ana_id and e.action != "redacted"]
    assert [e.action for e in about_ana] == ["created", "updated", "viewed", "exported"]
    for entry in about_ana:
        assert entry.redaction and entry.redacted_at
        assert (entry.label, entry.details, entry.ip, entry.user_agent, entry.salt) == (
            None, None, None, None, None)
        assert entry.digest and entry.hash  # the proof stays
    # what is not personal stays: which fields changed, what was exported
    assert json.loads(about_ana[1].info) == {"fields": ["phone"]}
    bojan = next(e for e in trail if e.label == "Bojan Kos")
    assert bojan.redaction is None
    redacted = trail[-1]
    assert redacted.action == "redacted" and redacted.contact_id == ana_id
    info = json.loads(redacted.info)
    assert (info["count"], info["reason"]) == (4, "erase")
    assert about_ana[0].redaction == info["key"]
    result = cli.invoke(args=["audit", "verify", "--tenant", "acme"])
    assert result.exit_code == 0, result.output
    listed = cli.invoke(args=["audit", "list", "--tenant", "acme"])
    assert "Ana" not in listed.output and "[details erased]" in listed.output


def test_purged_records_are_blanked_and_verify_passes(app, cli, audited):
    ana_id, bojan_id = _make_history(app, audited)
    with acting(app, audited):
        emit("crm_records_purged", context(), records=[
            RecordRef("contact", ana_id, "Ana Novak", "ana@x.si"),
            RecordRef("contact", bojan_id, "Bojan Kos", "bojan@x.si"),
        ])
        db.session.commit()
    trail = entries(app, audited.id)
    assert not any(e.label in ("Ana Novak", "Bojan Kos") for e in trail)
    purged = [e for e in trail if e.action == "purged"]
    assert sorted(e.target_id for e in purged) == sorted([ana_id, bojan_id])
    redacted = next(e for e in trail if e.action == "redacted")
    assert json.loads(redacted.info)["count"] == 5
    assert json.loads(redacted.info)["records"] == 2
    result = cli.invoke(args=["audit", "verify", "--tenant", "acme"])
    assert result.exit_code == 0, result.output


def test_entries_of_the_same_transaction_are_written_without_details(app, cli, audited):
    with acting(app, audited):
        contact = Contact(first_name="Cilka", last_name="Hribar", email="cilka@x.si")
        db.session.add(contact)
        db.session.flush()
        emit("crm_record_viewed", context(), record=contact)
        emit("crm_subject_erase", context(), contact=contact, mode="anonymize")
        db.session.commit()  # the core's part replaced the name: an update
        contact_id = contact.id
    trail = [e for e in entries(app, audited.id) if e.contact_id == contact_id]
    assert [e.action for e in trail] == ["created", "viewed", "redacted", "updated"]
    assert "first_name" in json.loads(trail[-1].info)["fields"]
    assert all(e.label is None and e.details is None for e in trail)
    assert all(e.redaction is None for e in trail)  # never written with details
    result = cli.invoke(args=["audit", "verify", "--tenant", "acme"])
    assert result.exit_code == 0, result.output


def test_a_redaction_can_be_repeated(app, cli, audited):
    ana_id, _ = _make_history(app, audited)
    for _ in range(2):
        with acting(app, audited):
            emit("crm_subject_erase", context(), contact=db.session.get(Contact, ana_id),
                 mode="anonymize")
            db.session.commit()
    redactions = [e for e in entries(app, audited.id) if e.action == "redacted"]
    # the second time only the anonymizing update of the first time is left to blank
    assert [json.loads(e.info)["count"] for e in redactions] == [4, 1]
    assert cli.invoke(args=["audit", "verify", "--tenant", "acme"]).exit_code == 0


def test_related_records_are_named_by_reference_so_a_purge_leaves_no_name(app, cli, audited):
    with acting(app, audited):
        company = Company(name="Firma d.o.o.")
        ana = Contact(first_name="Ana", last_name="Novak", email="ana@x.si", company=company)
        meeting = Activity(subject="Sestanek", participants=[ana])
        db.session.add_all([company, ana, meeting])
        db.session.commit()
        bor = Contact(first_name="Bor", last_name="Kos", email="bor@x.si")
        meeting.participants.append(bor)
        db.session.commit()
        ana_id, bor_id = ana.id, bor.id
        emit("crm_records_purged", context(), records=[
            RecordRef("contact", ana_id, "Ana Novak", "ana@x.si")])
        db.session.commit()
    trail = entries(app, audited.id)
    by_target = {(e.action, e.target_type): e for e in trail}
    company_values = json.loads(by_target[("created", "company")].details)["values"]
    assert company_values["contacts"] == [f"contact #{ana_id}"]
    changes = json.loads(by_target[("updated", "activity")].details)["changes"]
    assert changes["participants"] == [[f"contact #{ana_id}"],
                                       sorted([f"contact #{ana_id}", f"contact #{bor_id}"])]
    stored = " ".join(f"{e.label} {e.details} {e.info}" for e in trail)
    assert "Novak" not in stored and "ana@x.si" not in stored
    assert cli.invoke(args=["audit", "verify", "--tenant", "acme"]).exit_code == 0
