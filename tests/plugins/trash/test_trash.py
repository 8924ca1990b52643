"""Delete means trash: a record and its dependants go as one unit, vanish everywhere, and
come back whole; with the plugin off a delete is real."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import Activity, Attachment, Company, Contact
from core.records import delete_record
from core.scoping import including_deleted, tenant_scope
from plugins.gdpr_consents.models import Consent
from plugins.trash.models import TrashUnit
from plugins.trash.restore import RestoreRefused, restore_unit

from .conftest import make_person, switch, trashed_row, visible


def test_deleting_a_contact_trashes_it_with_its_dependants_as_one_unit(in_acme):
    person = make_person(in_acme)
    contact = db.session.get(Contact, person.contact_id)
    assert delete_record(in_acme.ctx(), contact) == "trashed"
    db.session.commit()

    unit = db.session.scalar(select(TrashUnit))
    assert (unit.record_type, unit.record_id, unit.label) == ("contact", person.contact_id,
                                                              "Ana Novak")
    assert unit.deleted_by == "user:admin@acme.test"
    # the contact, its own activity, the two attachments and the consent
    assert unit.rows == 5
    for model, row_id in ((Contact, person.contact_id), (Activity, person.own_activity_id),
                          (Consent, person.consent_id)):
        row = trashed_row(model, row_id)
        assert row.deletion_unit == unit.unit and row.deleted_at is not None
        assert row.deleted_by == "user:admin@acme.test"
        assert not visible(model, row_id)
    with including_deleted():
        files = db.session.scalars(select(Attachment)).all()
    assert {f.deletion_unit for f in files} == {unit.unit}
    # the shared activity, the other person and the company stay
    assert visible(Activity, person.shared_activity_id)
    assert visible(Contact, person.other_contact_id)
    assert visible(Company, person.company_id)
    assert person.contact_file.exists() and person.activity_file.exists()


def test_trashed_rows_vanish_from_lists_search_counts_and_relationships(in_acme):
    person = make_person(in_acme)
    delete_record(in_acme.ctx(), db.session.get(Contact, person.contact_id))
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 1
    assert db.session.scalars(select(Contact).where(Contact.search_key.like("%ana novak%"))).all() \
        == []
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 1
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert db.session.scalar(select(func.count()).select_from(Consent)) == 0
    shared = db.session.get(Activity, person.shared_activity_id)
    assert [c.id for c in shared.participants] == [person.other_contact_id]
    company = db.session.get(Company, person.company_id)
    assert company.contacts == []


def test_restore_brings_back_the_whole_unit(in_acme):
    person = make_person(in_acme)
    delete_record(in_acme.ctx(), db.session.get(Contact, person.contact_id))
    db.session.commit()
    unit = db.session.scalar(select(TrashUnit))
    rows = restore_unit(in_acme.ctx(), unit)
    db.session.commit()
    assert len(rows) == 5 and rows[0].id == person.contact_id
    db.session.expire_all()
    for model, row_id in ((Contact, person.contact_id), (Activity, person.own_activity_id),
                          (Consent, person.consent_id)):
        row = db.session.get(model, row_id)
        assert row is not None and row.deleted_at is None and row.deletion_unit is None
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 2
    assert db.session.scalar(select(func.count()).select_from(TrashUnit)) == 0
    shared = db.session.get(Activity, person.shared_activity_id)
    assert {c.id for c in shared.participants} == {person.contact_id, person.other_contact_id}


def test_restore_is_refused_when_a_live_contact_now_has_the_address(in_acme):
    person = make_person(in_acme, consent=False)
    delete_record(in_acme.ctx(), db.session.get(Contact, person.contact_id))
    db.session.commit()
    db.session.add(Contact(first_name="Nova", last_name="Ana", email=person.email))
    db.session.commit()
    unit = db.session.scalar(select(TrashUnit))
    with pytest.raises(RestoreRefused) as refused:
        restore_unit(in_acme.ctx(), unit)
    db.session.rollback()
    assert "now has the address ana.novak@firma.si" in str(refused.value)
    assert "nothing was restored" in str(refused.value)
    assert not visible(Activity, person.own_activity_id)
    assert trashed_row(Contact, person.contact_id).deleted_at is not None
    assert db.session.scalar(select(func.count()).select_from(TrashUnit)) == 1


def test_a_unit_whose_parent_is_in_the_trash_waits_for_it(in_acme):
    person = make_person(in_acme)
    consent = db.session.get(Consent, person.consent_id)
    delete_record(in_acme.ctx(), consent)
    db.session.commit()
    delete_record(in_acme.ctx(), db.session.get(Contact, person.contact_id))
    db.session.commit()
    consent_unit = db.session.scalar(
        select(TrashUnit).where(TrashUnit.record_type == "gdpr_consents_consent"))
    with pytest.raises(RestoreRefused, match="it belongs to is in the trash"):
        restore_unit(in_acme.ctx(), consent_unit)
    db.session.rollback()
    contact_unit = db.session.scalar(select(TrashUnit).where(TrashUnit.record_type == "contact"))
    assert contact_unit.rows == 4  # the consent was already in its own unit
    restore_unit(in_acme.ctx(), contact_unit)
    restore_unit(in_acme.ctx(), db.session.merge(consent_unit))
    db.session.commit()
    assert visible(Consent, person.consent_id)


def test_each_kind_of_record_goes_to_the_trash(in_acme):
    person = make_person(in_acme)
    ctx = in_acme.ctx()
    for model, row_id in ((Company, person.company_id), (Activity, person.shared_activity_id),
                          (Consent, person.consent_id)):
        assert delete_record(ctx, db.session.get(model, row_id)) == "trashed"
    with including_deleted():
        attachment = db.session.scalars(select(Attachment)).first()
    assert delete_record(ctx, attachment) == "trashed"
    db.session.commit()
    types = sorted(db.session.scalars(select(TrashUnit.record_type)))
    assert types == ["activity", "attachment", "company", "gdpr_consents_consent"]
    # the contact of a trashed company stays, without its company
    db.session.expire_all()
    assert db.session.get(Contact, person.contact_id).company is None


def test_with_the_plugin_off_a_delete_is_real(app, acme):
    switch(app, acme.id, ("trash",), on=False)
    with app.app_context():
        from core.scoping import tenant_scope

        with tenant_scope(acme.id):
            person = make_person(acme)
            how = delete_record(acme.ctx(), db.session.get(Contact, person.contact_id))
            db.session.commit()
            assert how == "deleted"
            assert trashed_row(Contact, person.contact_id) is None
            assert db.session.scalar(select(func.count()).select_from(TrashUnit)) == 0
    assert not person.contact_file.exists()


def test_deleting_from_the_command_line_trashes_each_record_as_its_own_unit(app, cli, acme,
                                                                            beta):
    with app.app_context(), tenant_scope(acme.id):
        first = make_person(acme)
        second = make_person(acme, email="mia.kos@firma.si", first="Mia", last="Kos",
                             consent=False)
    with app.app_context(), tenant_scope(beta.id):
        theirs = make_person(beta, email="bor@beta.si", consent=False)
    ids = [str(first.contact_id), str(second.contact_id)]
    for args, code, sentence in (
            (["delete", "contact", *ids, "999999", "--tenant", "acme"], 1,
             "Error: There is no contact #999999 in 'acme' (or it is in the trash already); "
             "nothing was deleted."),
            (["delete", "contact", str(theirs.contact_id), "--tenant", "acme"], 1,
             f"Error: There is no contact #{theirs.contact_id} in 'acme' (or it is in the "
             "trash already); nothing was deleted."),
            (["delete", "person", "1", "--tenant", "acme"], 2,
             "Error: Invalid value for TYPE: 'person' is not a type of record; use one of "),
            (["delete", "contact", "x", "--tenant", "acme"], 2, "Error: Invalid value for "),
            (["delete", "contact", "1", "--tenant", "nope"], 1,
             "Error: There is no tenant 'nope'; list them with 'crm tenants list'.")):
        result = cli.invoke(args=args)
        assert result.exit_code == code, (args, result.output)
        assert result.output.strip().splitlines()[-1].startswith(sentence), result.output
    with app.app_context(), tenant_scope(acme.id):
        assert db.session.scalar(select(func.count()).select_from(TrashUnit)) == 0
        assert visible(Contact, first.contact_id) and visible(Contact, second.contact_id)

    done = cli.invoke(args=["delete", "contact", *ids, "--tenant", "acme"])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines() == [
        f"Trashed contact 'Ana Novak' (#{first.contact_id}).",
        f"Trashed contact 'Mia Kos' (#{second.contact_id}).",
    ]
    with app.app_context(), tenant_scope(acme.id):
        units = db.session.scalars(select(TrashUnit).order_by(TrashUnit.record_id)).all()
        assert [(u.record_id, u.rows) for u in units] == [(first.contact_id, 5),
                                                          (second.contact_id, 4)]
        assert all(u.deleted_by.startswith("cli:") for u in units)
        assert not visible(Activity, first.own_activity_id)
        assert visible(Activity, first.shared_activity_id)
    again = cli.invoke(args=["delete", "contact", ids[0], "--tenant", "acme"])
    assert again.exit_code == 1 and "in the trash already" in again.output

    switch(app, beta.id, ("trash",), on=False)
    real = cli.invoke(args=["delete", "contact", str(theirs.contact_id), "--tenant", "beta"])
    assert real.exit_code == 0, real.output
    assert real.output == f"Deleted contact 'Ana Novak' (#{theirs.contact_id}).\n"
    with app.app_context(), tenant_scope(beta.id):
        assert trashed_row(Contact, theirs.contact_id) is None
    assert not theirs.contact_file.exists()
