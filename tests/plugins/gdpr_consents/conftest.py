"""Fixtures of the consent tests: tenants with the plugin enabled, a fixed clock, contacts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from core.db import db
from core.events import EventContext, context
from core.models import Contact, Tenant
from core.scoping import all_tenants, tenant_scope
from plugins.gdpr_consents.consents import notice_hash
from plugins.gdpr_consents.intake.webform.models import WebForm
from plugins.gdpr_consents.models import Purpose
from tests.conftest import build_app
from tests.plugins.gdpr_consents import acme_rules
from tests.support import BUILTIN_PLUGINS

NOW = datetime(2025, 6, 15, 10, 0, tzinfo=UTC)
NOTICE = "Acme d.o.o. uses your address for the purposes you tick. Withdraw at any time."


@dataclass
class ConsentTenant:
    """A tenant with the plugin enabled, and how to act for it in tests."""

    app: Flask
    id: int
    slug: str

    def ctx(self, at: datetime = NOW, actor: str = "user:admin@test") -> EventContext:
        """An event context for this tenant at the fixed instant `at`."""
        with all_tenants():
            tenant = db.session.get(Tenant, self.id)
        return replace(context(tenant=tenant, actor=actor), at=at)

    def scope(self):
        """The tenant in scope."""
        return tenant_scope(self.id)

    def contact(self, email: str, **fields) -> Contact:
        """Create and return a contact (flushed)."""
        row = Contact(email=email, tenant_id=self.id, **fields)
        db.session.add(row)
        db.session.flush()
        return row


def enable_consents(app: Flask, slug: str, time_zone: str | None = None) -> ConsentTenant:
    """Enable the plugin for the tenant `slug` (its default purposes are created)."""
    with app.app_context():
        with all_tenants():
            tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
            if time_zone:
                tenant.time_zone = time_zone
            db.session.commit()
        host = app.extensions["crm"]["plugins"]
        host.enable(context(tenant=tenant, actor="cli:test"), "gdpr_consents")
        db.session.commit()
        return ConsentTenant(app, tenant.id, slug)


@pytest.fixture
def acme(app, tenant_a) -> ConsentTenant:
    """Tenant `acme` (Europe/Ljubljana) with the plugin enabled."""
    return enable_consents(app, tenant_a.slug)


@pytest.fixture
def beta_ny(app, tenant_b) -> ConsentTenant:
    """Tenant `beta` in America/New_York with the plugin enabled."""
    return enable_consents(app, tenant_b.slug, "America/New_York")


@pytest.fixture
def actx(app, acme) -> Iterator[ConsentTenant]:
    """An app context with `acme` in scope."""
    with app.app_context(), acme.scope():
        yield acme


@pytest.fixture
def rules_app(app, database_url, tmp_path, tenant_a):
    """An app with the test integrator plugin `acme_rules` installed and enabled for acme."""
    application = build_app(
        database_url, tmp_path / "rules-instance", EXTRA_PLUGINS=[acme_rules],
        PLUGINS=[*BUILTIN_PLUGINS, "acme_rules"],
    )
    enable_consents(application, tenant_a.slug)
    with application.app_context():
        with all_tenants():
            tenant = db.session.scalar(select(Tenant).where(Tenant.slug == tenant_a.slug))
        application.extensions["crm"]["plugins"].enable(
            context(tenant=tenant, actor="cli:test"), "acme_rules")
        db.session.commit()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def web_form(app, acme):
    """Acme's form `novice` offering newsletter and events."""
    with app.app_context(), acme.scope():
        purposes = list(db.session.scalars(select(Purpose).where(
            Purpose.code.in_(["newsletter", "events"]))))
        form = WebForm(slug="novice", title="Novice", notice_text=NOTICE, notice_version="v3",
                       notice_hash=notice_hash(NOTICE), thank_you_text="Hvala!",
                       purposes=purposes, tenant_id=acme.id)
        db.session.add(form)
        db.session.commit()
        return {p.code: p.id for p in purposes}
