"""The right to erasure: `crm erase` with a preview, erase and anonymize through every
enabled plugin, trashed rows included; the ledger keeps only a keyed hash and answers
`crm_is_suppressed`."""

from __future__ import annotations

import json
import stat

from sqlalchemy import func, select

from core.db import db
from core.events import emit
from core.models import Activity, Attachment, Contact
from core.records import delete_record
from core.scoping import including_deleted, tenant_scope
from plugins.audit.models import AuditEntry
from plugins.gdpr_consents.intake import webhooks
from plugins.gdpr_consents.models import Consent
from plugins.trash import ledger
from plugins.trash.models import TrashErasure, TrashUnit
from tests.support import csrf_token, logged_in

from .conftest import every_text_value, make_person, switch, trashed_row, visible

TRACES = ("ana.novak@firma.si", "Novak", "555 123", "Ana likes cats", "Novak.pdf")


def test_dry_run_lists_everything_from_every_plugin_and_changes_nothing(app, cli, acme):
    with app.app_context(), tenant_scope(acme.id):
        # an older, trashed contact with the same address counts as the same person
        twin = Contact(first_name="Ana", last_name="Novak (stara)", email="ana.novak@firma.si")
        db.session.add(twin)
        db.session.flush()
        delete_record(acme.ctx(), twin)
        db.session.commit()
        person = make_person(acme)
        before = every_text_value(app)
    result = cli.invoke(args=["erase", " Ana.Novak@FIRMA.si ", "--tenant", "acme", "--dry-run"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Dry run: would erase ana.novak@firma.si in 'acme'; nothing was changed." in out
    assert f"contact #{person.contact_id} Ana Novak" in out
    assert "Novak (stara) (in the trash)" in out
    assert "Profile [core]: 9 row(s)" in out
    assert "Activities [core]: 2 row(s)" in out
    assert "Attachments [core]: 1 row(s)" in out
    assert "Consents [gdpr_consents]: 1 row(s)" in out
    # the audit trail's entries about the person: what the erasure will blank
    assert "Activity log [audit]: 4 row(s)" in out, out
    assert "2 contact(s)" in out
    assert every_text_value(app) == before


def test_erase_removes_the_person_everywhere_trashed_rows_included(app, cli, acme):
    with app.app_context(), tenant_scope(acme.id):
        person = make_person(acme, links=False)
        kept = make_person(acme, email="mia.kos@firma.si", first="Mia", last="Kos",
                           phone="+386 40 111 222")
        delete_record(acme.ctx(), db.session.get(Activity, person.own_activity_id))
        db.session.commit()
    result = cli.invoke(args=["erase", person.email, "--tenant", "acme"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Erased ana.novak@firma.si in 'acme' (1 contact(s)):")
    assert "contact profile removed" in result.output
    assert "added to the erasure ledger" in result.output
    after = every_text_value(app)
    for trace in TRACES:
        assert trace not in after, f"'{trace}' is still in the database"
    assert "mia.kos@firma.si" in after
    assert not person.contact_file.exists() and not person.activity_file.exists()
    assert kept.contact_file.exists()
    with app.app_context(), tenant_scope(acme.id):
        assert trashed_row(Contact, person.contact_id) is None
        assert trashed_row(Activity, person.own_activity_id) is None
        assert db.session.scalar(select(func.count()).select_from(TrashUnit)) == 0
        assert visible(Activity, person.shared_activity_id)
    verified = cli.invoke(args=["audit", "verify", "--tenant", "acme"])
    assert verified.exit_code == 0, verified.output  # the trail's details blanked, chain whole


def test_anonymize_keeps_business_records_without_the_person(app, cli, acme):
    with app.app_context(), tenant_scope(acme.id):
        person = make_person(acme, links=False)
        delete_record(acme.ctx(), db.session.get(Contact, person.contact_id))
        db.session.commit()
    result = cli.invoke(args=["erase", person.email, "--tenant", "acme", "--anonymize"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Anonymized ana.novak@firma.si")
    with app.app_context(), tenant_scope(acme.id):
        contact = trashed_row(Contact, person.contact_id)
        assert contact.full_name == f"erased person #{person.contact_id}"
        assert contact.email is None and contact.phone is None and contact.notes is None
        assert trashed_row(Activity, person.own_activity_id) is not None
        with including_deleted():
            # the person's own file is gone; the activity keeps its minutes
            assert db.session.scalars(select(Attachment.filename)).all() == ["zapisnik.pdf"]
            assert db.session.scalar(select(func.count()).select_from(Consent)) == 1
        unit = db.session.scalar(select(TrashUnit))
        assert unit.label == f"erased person #{person.contact_id}"
        assert unit.rows == 4  # contact, activity with its file, consent
    assert not person.contact_file.exists() and person.activity_file.exists()
    assert cli.invoke(args=["audit", "verify", "--tenant", "acme"]).exit_code == 0


def test_the_ledger_keeps_a_keyed_hash_and_suppresses_the_address(app, cli, acme, beta):
    with app.app_context(), tenant_scope(acme.id):
        person = make_person(acme, consent=False)
    assert cli.invoke(args=["erase", person.email, "--tenant", "acme"]).exit_code == 0
    folder = app.instance_path + "/trash"
    with app.app_context():
        key = (ledger.ledger_dir() / ledger.KEY_FILE)
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        lines = ledger.ledger_path().read_text().splitlines()
        assert len(lines) == 1 and person.email not in lines[0]
        entry = json.loads(lines[0])
        assert entry["tenant"] == "acme" and entry["mode"] == "erase"
        with tenant_scope(acme.id):
            row = db.session.scalar(select(TrashErasure))
            assert row.email_hash == entry["hash"] and len(row.email_hash) == 64
            assert person.email not in every_text_value(app)
            reason = emit("crm_is_suppressed", acme.ctx(), email=" ANA.novak@firma.si")
            assert reason.startswith("erased on ") and "right to erasure" in reason
            assert emit("crm_is_suppressed", acme.ctx(), email="ana.novakova@firma.si") is None
        with tenant_scope(beta.id):
            assert emit("crm_is_suppressed", beta.ctx(), email=person.email) is None
    assert folder.endswith("/trash")
    again = cli.invoke(args=["erase", person.email, "--tenant", "acme"])
    assert again.exit_code == 0
    assert "was already erased in 'acme' on" in again.output


def test_erase_refuses_bad_input_with_a_clear_sentence(cli, acme, tenant_b):
    bad = cli.invoke(args=["erase", "not an address", "--tenant", "acme"])
    assert bad.exit_code == 2 and "is not a valid e-mail address" in bad.output
    nobody = cli.invoke(args=["erase", "nobody@firma.si", "--tenant", "acme"])
    assert nobody.exit_code == 1
    assert nobody.output.strip() == (
        "Error: No contact of 'acme' has the address nobody@firma.si (the match is exact); "
        "check the address. Nothing was erased.")
    off = cli.invoke(args=["erase", "x@firma.si", "--tenant", "beta"])
    assert off.exit_code == 1 and "enable it with 'crm plugins enable trash" in off.output


def test_a_lost_key_is_not_replaced_while_the_ledger_has_entries(app, cli, acme):
    with app.app_context(), tenant_scope(acme.id):
        make_person(acme, consent=False)
        second = make_person(acme, email="mia.kos@firma.si", first="Mia", last="Kos",
                             consent=False)
    assert cli.invoke(args=["erase", "ana.novak@firma.si", "--tenant", "acme"]).exit_code == 0
    with app.app_context():
        (ledger.ledger_dir() / ledger.KEY_FILE).unlink()
    result = cli.invoke(args=["erase", second.email, "--tenant", "acme"])
    assert result.exit_code == 1
    assert "Nothing was erased: the erasure ledger key" in result.output
    assert "restore the key from your server backup" in result.output
    with app.app_context(), tenant_scope(acme.id):
        assert visible(Contact, second.contact_id)


def test_with_the_trash_plugin_off_for_the_tenant_nothing_is_suppressed(app, cli, acme):
    with app.app_context(), tenant_scope(acme.id):
        person = make_person(acme, consent=False)
    assert cli.invoke(args=["erase", person.email, "--tenant", "acme"]).exit_code == 0
    switch(app, acme.id, ("trash",), on=False)
    with app.app_context(), tenant_scope(acme.id):
        assert emit("crm_is_suppressed", acme.ctx(), email=person.email) is None


def test_an_erased_person_does_not_come_back_through_an_import_or_a_webhook(app, cli, acme,
                                                                            tmp_path):
    with app.app_context(), tenant_scope(acme.id):
        person = make_person(acme)
        endpoint = webhooks.add_webhook(acme.ctx(), "mailchimp", "newsletter")
        db.session.commit()
        url = f"/hooks/acme/mailchimp/{endpoint.secret}"
    assert cli.invoke(args=["erase", person.email, "--tenant", "acme"]).exit_code == 0

    sheet = tmp_path / "consents.csv"
    sheet.write_text(f"Email,Purpose,Given at\n{person.email.upper()},newsletter,2025-06-02\n"
                     "mia.kos@firma.si,newsletter,2025-06-02\n")
    imported = cli.invoke(args=["consents", "import", str(sheet), "--tenant", "acme"])
    assert imported.exit_code == 0, imported.output
    assert "skipped: the address is suppressed (erased on " in imported.output
    hooked = app.test_client().post(url, data={
        "type": "subscribe", "fired_at": "2025-06-03 10:00:00", "data[email]": person.email,
        "data[merges][FNAME]": "Ana", "data[merges][LNAME]": "Novak"})
    assert hooked.status_code == 200
    with app.app_context(), tenant_scope(acme.id), including_deleted():
        emails = set(db.session.scalars(select(Contact.email)))
        assert person.email not in emails and "mia.kos@firma.si" in emails
    assert person.email not in every_text_value(app)
    assert "Novak" not in every_text_value(app)


def test_a_new_contact_gets_a_new_id_and_none_of_the_erased_persons_history(app, cli, acme):
    # SQLite without AUTOINCREMENT gave the next contact the erased one's id (the largest),
    # and with it the erased person's audit trail on the History panel
    with app.app_context():
        make_person(acme, links=False)
    admin = logged_in(app, acme.logins.admin_email)

    def create(first: str, last: str, email: str) -> int:
        answer = admin.post("/admin/contacts/new/", data={
            "first_name": first, "last_name": last, "email": email,
            "csrf_token": csrf_token(admin, "/admin/contacts/new/")})
        assert answer.status_code == 302
        with app.app_context(), tenant_scope(acme.id):
            return db.session.scalar(select(Contact.id).where(Contact.email == email))

    erased_id = create("Ema", "Erased", "ema.erased@firma.si")
    admin.get(f"/admin/contacts/details/?id={erased_id}")  # a "viewed" entry too
    with app.app_context(), tenant_scope(acme.id), including_deleted():
        assert erased_id == db.session.scalar(select(func.max(Contact.id)))
    result = cli.invoke(args=["erase", "ema.erased@firma.si", "--tenant", "acme"])
    assert result.exit_code == 0, result.output

    new_id = create("Nik", "Novi", "nik.novi@firma.si")
    assert new_id > erased_id
    with app.app_context(), tenant_scope(acme.id):
        trail = db.session.execute(select(AuditEntry.action, AuditEntry.label).where(
            AuditEntry.target_type == "contact", AuditEntry.target_id == new_id)).all()
    assert trail == [("created", "Nik Novi")]
    html = admin.get(f"/admin/contacts/details/?id={new_id}").get_data(as_text=True)
    history = html[html.index('data-plugin="audit"'):]
    assert "created contact" in history and "Nik Novi" in history
    assert "purged" not in history and "erased" not in history and "Ema" not in history
