"""The central tenant filter and the central soft-delete filter."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from core.clock import utcnow
from core.db import db
from core.models import Activity, Company, Contact
from core.rawsql import tenant_sql
from core.scoping import (
    CrossTenantWrite,
    TenantScopeMissing,
    all_tenants,
    including_deleted,
    tenant_scope,
)


def _add_contacts(app, tenant_id, *emails):
    with app.app_context(), tenant_scope(tenant_id):
        rows = [Contact(first_name="X", last_name=e.split("@")[0], email=e) for e in emails]
        db.session.add_all(rows)
        db.session.commit()
        return [r.id for r in rows]


def test_a_tenant_sees_only_its_own_contacts(app, tenant_a, tenant_b):
    _add_contacts(app, tenant_a.id, "ana@acme.si", "boris@acme.si")
    (beta_id,) = _add_contacts(app, tenant_b.id, "cene@beta.si")
    with app.app_context(), tenant_scope(tenant_a.id):
        emails = db.session.scalars(select(Contact.email).order_by(Contact.email)).all()
        assert emails == ["ana@acme.si", "boris@acme.si"]
        assert db.session.get(Contact, beta_id) is None
        assert db.session.query(Contact).count() == 2


def test_relationship_loads_are_scoped_too(app, tenant_a, tenant_b):
    (ana,) = _add_contacts(app, tenant_a.id, "ana@acme.si")
    with app.app_context(), all_tenants():
        company = Company(name="Beta d.o.o.", tenant_id=tenant_b.id)
        db.session.add(company)
        db.session.commit()
        company_id = company.id
    with app.app_context(), tenant_scope(tenant_a.id):
        # a dangling cross-tenant link (never made by the app) still shows nothing
        db.session.execute(
            update(Contact.__table__).where(Contact.id == ana).values(company_id=company_id)
        )
        assert db.session.get(Contact, ana).company is None


def test_a_query_without_a_tenant_fails_closed(app, tenant_a):
    _add_contacts(app, tenant_a.id, "ana@acme.si")
    with app.app_context(), pytest.raises(TenantScopeMissing):
        db.session.scalars(select(Contact)).all()


def test_writing_a_row_of_another_tenant_is_refused(app, tenant_a, tenant_b):
    with app.app_context(), tenant_scope(tenant_a.id):
        db.session.add(Contact(first_name="Eve", email="eve@beta.si", tenant_id=tenant_b.id))
        with pytest.raises(CrossTenantWrite):
            db.session.flush()
        db.session.rollback()


def test_new_rows_get_the_tenant_in_scope(app, tenant_a):
    (ana,) = _add_contacts(app, tenant_a.id, "ana@acme.si")
    with app.app_context(), tenant_scope(tenant_a.id):
        assert db.session.get(Contact, ana).tenant_id == tenant_a.id


def test_bulk_update_reaches_only_the_tenant_in_scope(app, tenant_a, tenant_b):
    _add_contacts(app, tenant_a.id, "ana@acme.si")
    _add_contacts(app, tenant_b.id, "cene@beta.si")
    with app.app_context(), tenant_scope(tenant_a.id):
        result = db.session.execute(update(Contact).values(phone="+386 1"))
        db.session.commit()
        assert result.rowcount == 1
    with app.app_context(), tenant_scope(tenant_b.id):
        assert db.session.scalar(select(Contact.phone)) is None


def test_trashed_rows_vanish_from_queries_counts_and_relationships(app, tenant_a):
    ana, boris = _add_contacts(app, tenant_a.id, "ana@acme.si", "boris@acme.si")
    with app.app_context(), tenant_scope(tenant_a.id):
        meeting = Activity(subject="Sestanek", participants=[db.session.get(Contact, ana)])
        db.session.add(meeting)
        db.session.get(Contact, boris).deleted_at = utcnow()
        db.session.commit()
        meeting_id = meeting.id
    with app.app_context(), tenant_scope(tenant_a.id):
        assert db.session.scalars(select(Contact.email)).all() == ["ana@acme.si"]
        assert db.session.get(Contact, boris) is None
        db.session.get(Activity, meeting_id).deleted_at = utcnow()
        db.session.commit()
    with app.app_context(), tenant_scope(tenant_a.id):
        assert db.session.get(Contact, ana).activities == []
        with including_deleted():
            assert db.session.query(Contact).count() == 2
        stmt = select(Contact).execution_options(include_deleted=True)
        assert len(db.session.scalars(stmt).all()) == 2


def test_raw_sql_goes_through_the_reviewed_helper(app, tenant_a, tenant_b):
    _add_contacts(app, tenant_a.id, "ana@acme.si")
    _add_contacts(app, tenant_b.id, "cene@beta.si")
    with app.app_context():
        with pytest.raises(TenantScopeMissing):
            tenant_sql("SELECT email FROM contact WHERE tenant_id = :tenant_id")
        with tenant_scope(tenant_b.id):
            rows = tenant_sql("SELECT email FROM contact WHERE tenant_id = :tenant_id").all()
            assert [r.email for r in rows] == ["cene@beta.si"]
            with pytest.raises(ValueError, match="must filter"):
                tenant_sql("SELECT email FROM contact")
            with pytest.raises(ValueError, match="do not pass"):
                tenant_sql(
                    "SELECT email FROM contact WHERE tenant_id = :tenant_id",
                    {"tenant_id": tenant_a.id},
                )
            listed = tenant_sql(
                "SELECT email FROM contact WHERE tenant_id = :tenant_id AND email IN :emails",
                {"emails": ["ana@acme.si", "cene@beta.si", "x@y.si"]}, expanding=("emails",))
            assert listed.scalars().all() == ["cene@beta.si"]
