"""Models: normalized unique e-mails, search keys, aware UTC times, sanitized text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from core.clock import utcnow
from core.db import db
from core.emails import InvalidEmail
from core.models import Company, Contact, Tenant, User
from core.scoping import all_tenants, tenant_scope


def test_email_is_normalized_once_on_the_model(app, tenant_a):
    with app.app_context(), tenant_scope(tenant_a.id):
        contact = Contact(first_name="Ana", last_name="Novak", email=" Ana.Novak@Firma.SI\u00a0")
        assert contact.email == "ana.novak@firma.si"
        with pytest.raises(InvalidEmail):
            Contact(email="ana.novak@")


def test_email_is_unique_per_tenant_among_live_rows(app, tenant_a, tenant_b):
    with app.app_context():
        with tenant_scope(tenant_a.id):
            db.session.add(Contact(first_name="Ana", email="ana@firma.si"))
            db.session.commit()
            db.session.add(Contact(first_name="Ana 2", email="ANA@firma.si"))
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()
            # a trashed row does not block the address
            db.session.scalar(select(Contact)).deleted_at = utcnow()
            db.session.add(Contact(first_name="Ana 3", email="ana@firma.si"))
            db.session.commit()
        with tenant_scope(tenant_b.id):
            db.session.add(Contact(first_name="Ana", email="ana@firma.si"))
            db.session.commit()


def test_search_key_ignores_case_and_accents(app, tenant_a):
    with app.app_context(), tenant_scope(tenant_a.id):
        db.session.add_all(
            [
                Contact(first_name="Jože", last_name="Česnik", email="joze@x.si"),
                Contact(first_name="Špela", last_name="Zupančič", email="spela@x.si"),
            ]
        )
        db.session.commit()
        found = db.session.scalars(
            select(Contact.last_name).where(Contact.search_key.like("%cesnik%"))
        ).all()
        assert found == ["Česnik"]
        assert db.session.scalar(
            select(Contact.first_name).where(Contact.search_key.like("%zupancic%"))
        ) == "Špela"


def test_times_come_back_aware_in_utc(app, tenant_a):
    local = datetime(2024, 3, 31, 2, 30, tzinfo=timezone(timedelta(hours=2)))
    with app.app_context(), tenant_scope(tenant_a.id):
        company = Company(name="Čas d.o.o.", created_at=local)
        db.session.add(company)
        db.session.commit()
        company_id = company.id
    with app.app_context(), tenant_scope(tenant_a.id):
        stored = db.session.get(Company, company_id).created_at
        assert stored.tzinfo is not None
        assert stored.utcoffset() == timedelta(0)
        assert stored == datetime(2024, 3, 31, 0, 30, tzinfo=UTC)


def test_naive_times_are_refused(app, tenant_a):
    with app.app_context(), tenant_scope(tenant_a.id):
        db.session.add(Company(name="Naive", created_at=datetime(2024, 1, 1)))
        with pytest.raises(StatementError, match="naive datetime"):
            db.session.commit()
        db.session.rollback()


def test_text_loses_characters_a_database_cannot_hold(app, tenant_a):
    with app.app_context(), tenant_scope(tenant_a.id):
        company = Company(name="Nul\x00l d.o.o.", notes="line\x0bbreak\x00 ok 😀")
        db.session.add(company)
        db.session.commit()
        company_id = company.id
    with app.app_context(), tenant_scope(tenant_a.id):
        company = db.session.get(Company, company_id)
        assert company.name == "Null d.o.o."
        assert company.notes == "linebreak ok 😀"


def test_login_email_is_unique_across_the_deployment(app, tenant_a, tenant_b):
    with app.app_context(), all_tenants():
        user = User(email=tenant_a.user_email, tenant_id=tenant_b.id, password_hash="x")
        db.session.add(user)
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.query(Tenant).count() == 2
