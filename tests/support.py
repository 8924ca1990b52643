"""Small helpers the tests share (imported as `tests.support`)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from core.db import db
from core.models import Role, Tenant, User
from core.scoping import all_tenants

BUILTIN_PLUGINS: tuple[str, ...] = ("audit", "gdpr_consents", "trash", "export")
PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class TenantLogins:
    """A tenant made for a test, with the ids and e-mails of its admin and user."""

    id: int
    slug: str
    admin_email: str
    admin_id: int
    user_email: str
    user_id: int
    password: str = PASSWORD


def make_tenant_with_users(app: Flask, slug: str, name: str) -> TenantLogins:
    """Create a tenant with `admin@<slug>.test` (tenant admin) and `user@<slug>.test`."""
    with app.app_context(), all_tenants():
        tenant = Tenant(slug=slug, name=name)
        db.session.add(tenant)
        db.session.flush()
        ids = {}
        for role in (Role.ADMIN, Role.USER):
            user = User(email=f"{role.value}@{slug}.test", role=role, tenant_id=tenant.id)
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.flush()
            ids[role] = user.id
        db.session.commit()
        return TenantLogins(
            id=tenant.id,
            slug=slug,
            admin_email=f"admin@{slug}.test",
            admin_id=ids[Role.ADMIN],
            user_email=f"user@{slug}.test",
            user_id=ids[Role.USER],
        )
