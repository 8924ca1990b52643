"""Fixtures of the audit tests: a tenant with the plugin on, helpers to act as a user and to
read or tamper with the trail the way someone with database access would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from core.db import db
from core.events import context, set_actor
from core.models import Tenant
from core.scoping import all_tenants, tenant_scope
from plugins.audit.models import AuditEntry
from tests.support import TenantLogins


def switch(app: Flask, tenant_id: int, on: bool, plugin: str = "audit") -> list[str]:
    """Enable or disable `plugin` for the tenant as a command would, and commit."""
    with app.app_context():
        with all_tenants():
            tenant = db.session.get(Tenant, tenant_id)
        host = app.extensions["crm"]["plugins"]
        with tenant_scope(tenant_id):
            ctx = context(tenant=tenant, actor="cli:tester")
            messages = host.enable(ctx, plugin) if on else host.disable(ctx, plugin)
            db.session.commit()
    return messages


@contextmanager
def acting(app: Flask, tenant: TenantLogins, admin: bool = True) -> Iterator[None]:
    """An app context in which the tenant's admin (or user) acts, tenant in scope."""
    email, user_id = (
        (tenant.admin_email, tenant.admin_id) if admin else (tenant.user_email, tenant.user_id)
    )
    with app.app_context():
        with all_tenants():
            row = db.session.get(Tenant, tenant.id)
        with tenant_scope(tenant.id):
            set_actor(f"user:{email}", user_id=user_id, tenant=row)
            yield


def entries(app: Flask, tenant_id: int | None) -> list[AuditEntry]:
    """Every entry of the chain (None: the platform's), in chain order, detached."""
    with app.app_context(), all_tenants():
        query = sa.select(AuditEntry).order_by(AuditEntry.seq)
        query = query.where(
            AuditEntry.tenant_id.is_(None) if tenant_id is None
            else AuditEntry.tenant_id == tenant_id
        )
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def raw(app: Flask, sql: str, **params: Any) -> Any:
    """Run SQL straight on the database (outside the app's guards), as an intruder would."""
    with app.app_context(), db.engine.begin() as connection:
        return connection.execute(sa.text(sql), params)


@pytest.fixture
def audited(app: Flask, tenant_a: TenantLogins) -> TenantLogins:
    """Tenant `acme` with the audit plugin enabled (its first entry: plugin_enabled)."""
    switch(app, tenant_a.id, True)
    return tenant_a
