"""Purging is real: rows and files gone, no table keeps the person, plugins told first; an
interrupted purge or a second purge of the same units leaves no half-purged unit."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from core.db import db
from core.hookspecs import hookimpl
from core.models import Activity, Attachment, Contact
from core.records import delete_record
from core.scoping import including_deleted, tenant_scope
from plugins.gdpr_consents.models import Consent
from plugins.trash.models import TrashUnit
from plugins.trash.purge import purge_units

from .conftest import every_text_value, make_person, trashed_row, visible

TRACES = ("ana.novak@firma.si", "Novak", "555 123", "Ana likes cats", "Novak.pdf")


def _trash(acting, contact_id):
    delete_record(acting.ctx(), db.session.get(Contact, contact_id))
    db.session.commit()
    return db.session.scalar(select(TrashUnit).where(TrashUnit.record_id == contact_id,
                                                     TrashUnit.record_type == "contact"))


def test_a_purge_leaves_no_trace_in_any_table_nor_on_disk(app, in_acme):
    person = make_person(in_acme, links=False)
    kept = make_person(in_acme, email="mia.kos@firma.si", first="Mia", last="Kos",
                       phone="+386 40 111 222")
    contact = db.session.get(Contact, person.contact_id)
    contact.notes = "Ana Novak likes cats"  # an edit, so the audit trail has old values too
    db.session.commit()
    unit = _trash(in_acme, person.contact_id)
    before = every_text_value(app)
    # the old notes live only in audit entries, which exist once the audit plugin records
    assert {t for t in TRACES if t not in before} <= {"Ana likes cats"}

    result = purge_units(in_acme.ctx(), [unit.id])

    assert (result.units, result.rows, result.files) == (1, 5, 2)
    after = every_text_value(app)
    for trace in TRACES:
        assert trace not in after, f"'{trace}' is still in the database"
    assert "mia.kos@firma.si" in after and "Kos" in after
    assert not person.contact_file.exists() and not person.activity_file.exists()
    assert kept.contact_file.exists()
    for model, row_id in ((Contact, person.contact_id), (Activity, person.own_activity_id),
                          (Consent, person.consent_id)):
        assert trashed_row(model, row_id) is None
    assert visible(Activity, person.shared_activity_id)
    assert db.session.scalar(select(func.count()).select_from(TrashUnit)) == 0


class Boom(RuntimeError):
    """A fault in the middle of a purge."""


class FailingPlugin:
    """Fails while the rows are being purged (after some were already told)."""

    @hookimpl
    def crm_records_purged(self, ctx, records):
        raise Boom("disk on fire")


def test_an_interrupted_purge_leaves_the_unit_whole(app, in_acme):
    person = make_person(in_acme)
    unit = _trash(in_acme, person.contact_id)
    pm = app.extensions["crm"]["plugins"].pm
    pm.register(FailingPlugin(), name="failing")
    try:
        with pytest.raises(Boom):
            purge_units(in_acme.ctx(), [unit.id])
    finally:
        pm.unregister(name="failing")
    db.session.expire_all()
    unit_again = db.session.get(TrashUnit, unit.id)
    assert unit_again is not None and unit_again.rows == 5
    with including_deleted():
        assert db.session.scalar(select(func.count()).where(
            Contact.deletion_unit == unit.unit)) == 1
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 2
    assert person.contact_file.exists() and person.activity_file.exists()
    # and it can be purged afterwards
    assert purge_units(in_acme.ctx(), [unit.id]).units == 1
    assert not person.contact_file.exists()


def test_purging_units_another_purge_took_does_nothing(in_acme):
    first = make_person(in_acme)
    second = make_person(in_acme, email="mia.kos@firma.si", first="Mia", last="Kos")
    ids = [_trash(in_acme, first.contact_id).id, _trash(in_acme, second.contact_id).id]
    # both runs listed the same units; the first one purges them
    assert purge_units(in_acme.ctx(), ids, batch_units=1).units == 2
    again = purge_units(in_acme.ctx(), ids)
    assert (again.units, again.rows, again.skipped) == (0, 0, 2)


def test_two_purges_at_once_purge_each_unit_once(app, acme):
    with app.app_context(), tenant_scope(acme.id):
        people = [make_person(acme, email=f"p{i}@firma.si", first="P", last=f"Oseba{i}",
                              consent=False) for i in range(4)]
        ids = [_trash(acme, p.contact_id).id for p in people]
    told: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    class Counting:
        @hookimpl
        def crm_records_purged(self, ctx, records):
            told.extend(r.id for r in records if r.type == "contact")

    pm = app.extensions["crm"]["plugins"].pm
    pm.register(Counting(), name="counting")

    def run() -> None:
        try:
            with app.app_context(), tenant_scope(acme.id):
                barrier.wait()
                purge_units(acme.ctx(), ids, batch_units=2)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        pm.unregister(name="counting")
    assert errors == []
    assert sorted(told) == sorted(p.contact_id for p in people)
    with app.app_context(), tenant_scope(acme.id), including_deleted():
        assert db.session.scalar(select(func.count()).select_from(Contact)) == 4  # the others
        assert db.session.scalar(select(func.count()).select_from(TrashUnit)) == 0


def test_a_contact_purged_takes_the_consent_trashed_on_its_own_with_it(in_acme):
    person = make_person(in_acme)
    delete_record(in_acme.ctx(), db.session.get(Consent, person.consent_id))
    db.session.commit()
    unit = _trash(in_acme, person.contact_id)
    result = purge_units(in_acme.ctx(), [unit.id])
    assert result.rows == 5  # the contact's four, and the consent of the other unit
    assert db.session.scalar(select(func.count()).select_from(TrashUnit)) == 0
    assert trashed_row(Consent, person.consent_id) is None


def test_no_trace_either_in_the_entries_of_the_persons_company_and_shared_activity(app,
                                                                                   in_acme):
    person = make_person(in_acme)  # the company and the shared activity name the person
    unit = _trash(in_acme, person.contact_id)
    purge_units(in_acme.ctx(), [unit.id])
    after = every_text_value(app)
    for trace in TRACES:
        assert trace not in after, f"'{trace}' is still in the database"
