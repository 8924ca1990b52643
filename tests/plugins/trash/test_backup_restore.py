"""A restore of an older backup does not revive an erased person: the ledger survives in the
instance folder and `crm_backup_restored` erases again everyone who came back."""

from __future__ import annotations

from sqlalchemy import select

from core.backup import backup_dir
from core.db import db
from core.events import emit
from core.models import Contact
from core.scoping import tenant_scope
from plugins.trash.models import TrashErasure

from .conftest import every_text_value, make_person, trashed_row, visible

TRACES = ("ana.novak@firma.si", "Ana likes cats", "Novak.pdf")


def test_a_restored_old_backup_does_not_bring_an_erased_person_back(app, cli, acme):
    with app.app_context(), tenant_scope(acme.id):
        person = make_person(acme, links=False)
        kept = make_person(acme, email="mia.kos@firma.si", first="Mia", last="Kos",
                           phone="+386 40 111 222")
    assert cli.invoke(args=["backup", "create"]).exit_code == 0
    (archive,) = backup_dir(app).glob("crm-backup-*.tar.gz")
    erased = cli.invoke(args=["erase", person.email, "--tenant", "acme"])
    assert erased.exit_code == 0, erased.output

    restored = cli.invoke(args=["backup", "restore", str(archive), "--yes"])

    assert restored.exit_code == 0, restored.output
    assert "trash: acme: a person erased on " in restored.output
    assert f"came back with the backup and was erased again (contact #{person.contact_id})" \
        in restored.output
    assert "the erasure ledger holds 1 erasure(s); 1 person(s) were erased again" \
        in restored.output
    after = every_text_value(app)
    for trace in TRACES:
        assert trace not in after, f"'{trace}' came back with the backup"
    assert not person.contact_file.exists() and not person.activity_file.exists()
    assert kept.contact_file.exists()
    with app.app_context(), tenant_scope(acme.id):
        assert trashed_row(Contact, person.contact_id) is None
        assert visible(Contact, kept.contact_id)
        assert len(db.session.scalars(select(TrashErasure)).all()) == 1
        assert emit("crm_is_suppressed", acme.ctx(), email=person.email)


def test_an_anonymized_person_is_anonymized_again_and_a_second_restore_changes_nothing(
        app, cli, acme):
    with app.app_context(), tenant_scope(acme.id):
        person = make_person(acme, links=False, consent=False)
    assert cli.invoke(args=["backup", "create"]).exit_code == 0
    (archive,) = backup_dir(app).glob("crm-backup-*.tar.gz")
    assert cli.invoke(args=["erase", person.email, "--tenant", "acme",
                            "--anonymize"]).exit_code == 0
    first = cli.invoke(args=["backup", "restore", str(archive), "--yes"])
    assert "was anonymized again" in first.output, first.output
    with app.app_context(), tenant_scope(acme.id):
        contact = db.session.get(Contact, person.contact_id)
        assert contact.full_name == f"erased person #{person.contact_id}"
        assert contact.email is None
    second = cli.invoke(args=["backup", "restore", str(archive), "--yes"])
    assert second.exit_code == 0
    assert "1 person(s) were erased again" in second.output


def test_erasures_of_a_tenant_the_backup_does_not_have_are_skipped(app, cli, acme):
    assert cli.invoke(args=["backup", "create"]).exit_code == 0
    (archive,) = backup_dir(app).glob("crm-backup-*.tar.gz")
    assert cli.invoke(args=["tenants", "create", "later", "--name", "Later"]).exit_code == 0
    assert cli.invoke(args=["plugins", "enable", "trash", "--tenant", "later"]).exit_code == 0
    with app.app_context():
        from core.models import Tenant
        from core.scoping import all_tenants

        with all_tenants():
            later = db.session.scalar(select(Tenant).where(Tenant.slug == "later"))
        with tenant_scope(later.id):
            db.session.add(Contact(first_name="Lea", email="lea@later.si"))
            db.session.commit()
    assert cli.invoke(args=["erase", "lea@later.si", "--tenant", "later"]).exit_code == 0
    restored = cli.invoke(args=["backup", "restore", str(archive), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "1 erasure(s) of tenant 'later' were skipped: that tenant is not in this database." \
        in restored.output


def test_without_the_ledger_key_the_restore_says_erasures_were_not_reapplied(app, cli, acme):
    with app.app_context(), tenant_scope(acme.id):
        person = make_person(acme, links=False, consent=False)
    assert cli.invoke(args=["backup", "create"]).exit_code == 0
    (archive,) = backup_dir(app).glob("crm-backup-*.tar.gz")
    assert cli.invoke(args=["erase", person.email, "--tenant", "acme"]).exit_code == 0
    with app.app_context():
        from plugins.trash import ledger

        (ledger.ledger_dir() / ledger.KEY_FILE).unlink()
    restored = cli.invoke(args=["backup", "restore", str(archive), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "trash: the erasures could NOT be re-applied: the erasure ledger key" \
        in restored.output
