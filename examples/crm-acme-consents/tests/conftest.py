"""Fixtures of the plugin's tests. They reuse the project's database fixtures (a SQLite file
and a PostgreSQL database of their own for this directory) and build one deployment with
the built-in plugins and acme_consents installed: tenant `acme` enables acme_consents
(which brings gdpr_consents), tenant `beta` enables only gdpr_consents."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from core.db import db
from core.events import context
from core.models import Contact, Tenant
from core.scoping import all_tenants, tenant_scope
from tests.conftest import (  # noqa: F401  (the project's database fixtures)
    database_url,
    fresh_app,
    postgresql_url,
    sqlite_url,
)
from tests.support import BUILTIN_PLUGINS, TenantLogins, make_tenant_with_users

PLUGINS = [*BUILTIN_PLUGINS, "acme_consents"]


@dataclass
class Deployment:
    """One app, two tenants: `acme` with the plugin on, `beta` with it off."""

    app: Flask
    acme: TenantLogins
    beta: TenantLogins

    def contact(self, tenant: TenantLogins, email: str, **fields: object) -> int:
        """Create a contact of `tenant`; return its id."""
        with self.app.app_context(), tenant_scope(tenant.id):
            row = Contact(email=email, tenant_id=tenant.id, **fields)
            db.session.add(row)
            db.session.commit()
            return row.id


def enable(app: Flask, slug: str, plugin: str) -> list[str]:
    """Enable `plugin` for tenant `slug` as a command would; return the messages."""
    with app.app_context():
        with all_tenants():
            tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        messages = app.extensions["crm"]["plugins"].enable(
            context(tenant=tenant, actor="cli:test"), plugin)
        db.session.commit()
        return messages


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:  # noqa: F811 (the fixture)
    """A fresh app with acme_consents installed, on an empty, migrated database."""
    yield from fresh_app(database_url, tmp_path / "instance", PLUGINS=PLUGINS)


@pytest.fixture
def deployment(app: Flask) -> Deployment:
    """`acme` with acme_consents enabled, `beta` with only gdpr_consents."""
    acme = make_tenant_with_users(app, "acme", "Acme d.o.o.")
    beta = make_tenant_with_users(app, "beta", "Beta s.p.")
    enable(app, "acme", "acme_consents")
    enable(app, "beta", "gdpr_consents")
    return Deployment(app, acme, beta)
