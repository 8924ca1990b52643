"""Erasing a web form submitter (or an address with only a deliverability mark): the audit
entries about their submission (logged before any contact exists, with address, names, IP
and user agent) are blanked, whether they confirmed or not; a submitter who never confirmed
is found by the address, erased and remembered."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from core.backup import backup_dir
from core.db import db
from core.models import Contact
from core.scoping import tenant_scope
from plugins.audit.models import AuditEntry
from plugins.gdpr_consents.deliverability import mark_undeliverable
from plugins.gdpr_consents.intake.webform.models import FormSubmission
from plugins.gdpr_consents.models import Undeliverable
from plugins.trash import ledger
from tests.support import csrf_token, logged_in

from .test_webform import AGENT, FORM_URL, confirmed, link, mails, submit

ADDRESS = "ana.novak@example.si"
TRACES = ("ana.novak", "Novak", "198.51.100.7", AGENT)


def enable(app, acme, *plugins: str) -> None:
    with app.app_context():
        host = app.extensions["crm"]["plugins"]
        for plugin in plugins:
            host.enable(acme.ctx(actor="cli:test"), plugin)
        db.session.commit()


def traces_in_audit(app, acme, traces=TRACES) -> list[str]:
    """The personal texts of the person still readable in the tenant's audit trail."""
    with app.app_context(), tenant_scope(acme.id):
        rows = db.session.execute(select(AuditEntry.label, AuditEntry.details, AuditEntry.ip,
                                         AuditEntry.user_agent)).all()
    text = " ".join(str(value) for row in rows for value in row if value)
    return [trace for trace in traces if trace in text]


def submission_entries(app, acme) -> int:
    with app.app_context(), tenant_scope(acme.id):
        return db.session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.target_type == FormSubmission.__tablename__,
            or_(AuditEntry.details.is_not(None), AuditEntry.ip.is_not(None))))


def test_erasing_a_confirmed_submitter_blanks_their_submissions_audit_entries(
        app, acme, web_form, client, cli):
    enable(app, acme, "audit", "trash")
    confirmed(app, client, web_form, ("newsletter",))
    assert traces_in_audit(app, acme) == list(TRACES)
    assert submission_entries(app, acme) >= 1
    result = cli.invoke(args=["erase", ADDRESS, "--tenant", "acme"])
    assert result.exit_code == 0, result.output
    assert "1 web form submission(s) removed" in result.output
    assert traces_in_audit(app, acme) == []
    assert submission_entries(app, acme) == 0
    verified = cli.invoke(args=["audit", "verify", "--tenant", "acme"])
    assert verified.exit_code == 0, verified.output


def test_anonymizing_a_submitter_blanks_their_submissions_audit_entries(
        app, acme, web_form, client, cli):
    enable(app, acme, "audit", "trash")
    confirmed(app, client, web_form, ("newsletter",))
    result = cli.invoke(args=["erase", ADDRESS, "--tenant", "acme", "--anonymize"])
    assert result.exit_code == 0, result.output
    assert "1 web form submission(s) stripped of personal details" in result.output
    assert traces_in_audit(app, acme) == []
    assert cli.invoke(args=["audit", "verify", "--tenant", "acme"]).exit_code == 0


def test_a_submitter_who_never_confirmed_is_found_erased_and_remembered(
        app, acme, web_form, client, cli):
    enable(app, acme, "audit", "trash")
    submit(client, [web_form["newsletter"]])
    submit(client, [web_form["newsletter"]], email="bor@example.si", ip="203.0.113.9",
           first_name="Bor", last_name="Kos")
    dry = cli.invoke(args=["erase", ADDRESS, "--tenant", "acme", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"kept under the address {ADDRESS} and no contact" in dry.output
    assert "Web form submissions [gdpr_consents]: 1 row(s)" in dry.output
    assert "Mailing-system events" not in dry.output  # empty sections are left out
    result = cli.invoke(args=["erase", ADDRESS, "--tenant", "acme"])
    assert result.exit_code == 0, result.output
    assert f"{ADDRESS}: 1 web form submission(s) removed" in result.output
    assert "added to the erasure ledger" in result.output
    with app.app_context(), tenant_scope(acme.id):
        assert db.session.scalars(select(FormSubmission.email)).all() == ["bor@example.si"]
        assert ledger.find(acme.id, ADDRESS) is not None
    # bor's entries (same browser) stay as they were
    assert traces_in_audit(app, acme, TRACES[:3]) == []
    assert traces_in_audit(app, acme, ("bor@example.si", "203.0.113.9")) == [
        "bor@example.si", "203.0.113.9"]
    assert cli.invoke(args=["audit", "verify", "--tenant", "acme"]).exit_code == 0
    # the link in the mail no longer records anything, and the form takes the address no more
    assert client.post(link(mails(app)[0], "confirm")).status_code in (400, 404, 410)
    again = cli.invoke(args=["erase", ADDRESS, "--tenant", "acme"])
    assert "was already erased" in again.output
    submit(client, [web_form["newsletter"]])
    with app.app_context(), tenant_scope(acme.id):
        assert db.session.scalar(select(func.count(FormSubmission.id)).where(
            FormSubmission.email == ADDRESS)) == 0


def test_an_address_nobody_has_is_still_refused(app, acme, web_form, cli):
    enable(app, acme, "trash")
    result = cli.invoke(args=["erase", "nobody@example.si", "--tenant", "acme"])
    assert result.exit_code == 1
    assert "No contact of 'acme' has the address nobody@example.si" in result.output
    assert FORM_URL  # the form exists, but nothing was submitted for this address


def test_anonymizing_from_the_contact_page_blanks_the_submissions_entries(
        app, acme, tenant_a, web_form, client):
    enable(app, acme, "audit", "trash")
    confirmed(app, client, web_form, ("newsletter",))
    submit(client, [web_form["events"]])  # a second submission, never confirmed
    with app.app_context(), tenant_scope(acme.id):
        contact_id = db.session.scalar(select(Contact.id))
    admin = logged_in(app, tenant_a.admin_email)
    page = f"/admin/trash/erase/{contact_id}"
    review = admin.get(page).get_data(as_text=True)
    assert f"Kept under the address {ADDRESS} and no contact" in review
    done = admin.post(page, data={"csrf_token": csrf_token(admin, page), "mode": "anonymize",
                                  "confirm": "yes"})
    assert done.status_code == 302
    assert traces_in_audit(app, acme) == []
    with app.app_context(), tenant_scope(acme.id):
        assert db.session.scalars(select(FormSubmission.email)).all() == [None, None]


def test_an_undeliverable_mark_of_an_address_without_contact_is_erased_with_its_entries(
        app, acme, cli):
    enable(app, acme, "audit", "trash")
    with app.app_context(), acme.scope():
        mark_undeliverable(acme.ctx(), "zoe@example.si", reason="hard bounce",
                           source="mailchimp")
        db.session.commit()
    assert traces_in_audit(app, acme, ("zoe@example.si",)) == ["zoe@example.si"]
    dry = cli.invoke(args=["erase", "zoe@example.si", "--tenant", "acme", "--dry-run"])
    assert "Deliverability [gdpr_consents]: 1 row(s)" in dry.output, dry.output
    result = cli.invoke(args=["erase", "zoe@example.si", "--tenant", "acme"])
    assert "zoe@example.si: 1 deliverability mark(s) removed" in result.output, result.output
    assert traces_in_audit(app, acme, ("zoe@example.si",)) == []
    with app.app_context(), acme.scope():
        assert db.session.scalar(select(func.count(Undeliverable.id))) == 0
    assert cli.invoke(args=["audit", "verify", "--tenant", "acme"]).exit_code == 0


def test_a_restored_backup_does_not_bring_back_an_erased_submitter(app, acme, web_form,
                                                                   client, cli):
    enable(app, acme, "audit", "trash")
    submit(client, [web_form["newsletter"]])
    submit(client, [web_form["newsletter"]], email="bor@example.si", ip="203.0.113.9",
           first_name="Bor", last_name="Kos")
    assert cli.invoke(args=["backup", "create"]).exit_code == 0
    (archive,) = backup_dir(app).glob("crm-backup-*.tar.gz")
    assert cli.invoke(args=["erase", ADDRESS, "--tenant", "acme"]).exit_code == 0
    restored = cli.invoke(args=["backup", "restore", str(archive), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert ("gdpr_consents: acme: what 1 erased address(es) had without a contact (form "
            "submissions, marks, events) came back with the backup and was erased again."
            in restored.output)
    with app.app_context(), tenant_scope(acme.id):
        assert db.session.scalars(select(FormSubmission.email)).all() == ["bor@example.si"]
    assert traces_in_audit(app, acme, TRACES[:3]) == []
    assert cli.invoke(args=["audit", "verify", "--tenant", "acme"]).exit_code == 0
