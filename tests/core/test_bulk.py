"""core.bulk.insert_records: tenant scope, ids in the order of the rows, one report."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.bulk import insert_records
from core.db import db
from core.events import HIDDEN_VALUE, context
from core.hookspecs import hookimpl
from core.models import Contact, User
from core.scoping import CrossTenantWrite, TenantScopeMissing, all_tenants, tenant_scope
from core.text import search_key


class CreatedRecorder:
    """A listener that keeps what `crm_records_created` and `crm_record_created` report."""

    def __init__(self) -> None:
        self.bulk: list[list] = []
        self.single: list = []

    @hookimpl
    def crm_records_created(self, ctx, records) -> None:
        """Keep the records."""
        self.bulk.append(records)

    @hookimpl
    def crm_record_created(self, ctx, record) -> None:
        """Keep the record."""
        self.single.append(record)


def _rows(count: int, prefix: str = "p") -> list[dict]:
    return [{"email": f"{prefix}{n}@example.si", "first_name": f"Ime{n}", "last_name": "Novak",
             "search_key": search_key(f"Ime{n}", "Novak", f"{prefix}{n}@example.si")}
            for n in range(count)]


def _label(row: dict) -> str:
    return f"{row['first_name']} {row['last_name']} #{row['id']}"


def test_ids_come_back_in_the_order_of_the_rows(app, tenant_a):
    # more rows than one multi-row statement takes, so several statements are sent
    with app.app_context(), tenant_scope(tenant_a.id):
        ids = insert_records(context(), Contact, _rows(2500), _label)
        by_id = dict(db.session.execute(select(Contact.id, Contact.email)).all())
        assert len(set(ids)) == 2500
        assert [by_id[i] for i in ids] == [f"p{n}@example.si" for n in range(2500)]
        assert set(db.session.scalars(select(Contact.tenant_id))) == {tenant_a.id}


def test_rows_are_reported_once_with_their_ids_and_labels(app, tenant_a):
    recorder = CreatedRecorder()
    app.extensions["crm"]["plugins"].pm.register(recorder, name="created_recorder")
    with app.app_context(), tenant_scope(tenant_a.id):
        ids = insert_records(context(), Contact, _rows(3), _label)
        db.session.commit()
    assert len(recorder.bulk) == 1 and recorder.single == []
    records = recorder.bulk[0]
    assert [r.id for r in records] == ids
    assert [r.type for r in records] == ["contact"] * 3
    assert records[1].label == f"Ime1 Novak #{ids[1]}"
    assert records[1].values == {"email": "p1@example.si", "first_name": "Ime1",
                                 "last_name": "Novak"}


def test_secret_fields_are_hidden_in_the_report(app, tenant_a):
    recorder = CreatedRecorder()
    app.extensions["crm"]["plugins"].pm.register(recorder, name="created_recorder")
    secret = next(iter(User.__secret_fields__))
    with app.app_context(), tenant_scope(tenant_a.id):
        row = {"email": "nova@acme.test", "name": "Nova", secret: "x" * 20}
        insert_records(context(), User, [row], lambda r: r["email"])
        db.session.rollback()
    (record,) = recorder.bulk[0]
    assert record.values[secret] == HIDDEN_VALUE


def test_another_tenants_rows_and_no_scope_are_refused(app, tenant_a, tenant_b):
    with app.app_context():
        with tenant_scope(tenant_a.id), pytest.raises(CrossTenantWrite):
            insert_records(context(), Contact, [{**_rows(1)[0], "tenant_id": tenant_b.id}],
                           _label)
        db.session.rollback()
        with all_tenants(), pytest.raises(TenantScopeMissing):
            insert_records(context(), Contact, _rows(1), _label)
        db.session.rollback()
        with all_tenants():
            assert db.session.scalar(select(Contact.id)) is None


def test_nothing_to_insert_sends_nothing(app, tenant_a):
    with app.app_context(), tenant_scope(tenant_a.id):
        assert insert_records(context(), Contact, [], _label) == []


def test_none_values_are_stored_as_null_and_defaults_apply_and_the_report_keeps_them(
        app, tenant_a):
    recorder = CreatedRecorder()
    app.extensions["crm"]["plugins"].pm.register(recorder, name="created_recorder")
    rows = [{**row, "phone": None, "notes": None, "first_name": None} for row in _rows(2)]
    rows[1]["phone"] = "+386 1 234 5678"  # phone: None in one row only
    with app.app_context(), tenant_scope(tenant_a.id):
        ids = insert_records(context(), Contact, rows, _label)
        db.session.commit()
        stored = {c.id: c for c in db.session.scalars(select(Contact))}
    assert [stored[i].phone for i in ids] == [None, "+386 1 234 5678"]
    assert [stored[i].notes for i in ids] == [None, None]
    assert [stored[i].first_name for i in ids] == ["", ""]  # the column's default
    assert [stored[i].created_at is not None for i in ids] == [True, True]
    values = recorder.bulk[0][0].values
    assert values["notes"] is None and values["phone"] is None
