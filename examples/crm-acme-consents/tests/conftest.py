"""Fixtures of the plugin's tests. The core's pytest plugin (`core.testing`, installed with
crm-gdpr) gives `app`, `client`, `cli` and the database fixtures (SQLite, and PostgreSQL when
one answers); here `crm_plugins` adds acme_consents to what `app` installs, and `deployment`
makes two tenants: `acme` enables acme_consents (which brings gdpr_consents), `beta` enables
only gdpr_consents."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from core.db import db
from core.models import Contact
from core.scoping import tenant_scope
from core.testing import BUILTIN_PLUGINS, TenantLogins, enable_plugin, make_tenant_with_users


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


@pytest.fixture
def crm_plugins() -> list[str]:
    """The core's `app` fixture installs the built-in plugins and acme_consents."""
    return [*BUILTIN_PLUGINS, "acme_consents"]


@pytest.fixture
def deployment(app: Flask) -> Deployment:
    """`acme` with acme_consents enabled, `beta` with only gdpr_consents."""
    acme = make_tenant_with_users(app, "acme", "Acme d.o.o.")
    beta = make_tenant_with_users(app, "beta", "Beta s.p.")
    enable_plugin(app, "acme", "acme_consents")
    enable_plugin(app, "beta", "gdpr_consents")
    return Deployment(app, acme, beta)
