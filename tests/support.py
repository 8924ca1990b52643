"""Small helpers the tests share (imported as `tests.support`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from core.db import db
from core.hookspecs import hookimpl
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


# --- the web pages: CSRF tokens and logins ---------------------------------------------------

_CSRF_RE = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the form on `path` (GET), as a browser would send it back."""
    html = client.get(path).get_data(as_text=True)
    match = _CSRF_RE.search(html)
    assert match, f"no csrf_token on {path}"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = PASSWORD, *, remember: bool = False,
          next_url: str | None = None, **kwargs: Any) -> TestResponse:
    """Log in through the real form (CSRF token included); returns the POST's response."""
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    if remember:
        data["remember"] = "y"
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data, **kwargs)


def logged_in(app: Flask, email: str, password: str = PASSWORD) -> FlaskClient:
    """A new test client of `app`, logged in as `email`."""
    client = app.test_client()
    response = login(client, email, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


# --- exports: what `crm_records_exported` was told -------------------------------------------


class ExportRecorder:
    """Hears `crm_records_exported` of every tenant (registered on an app's plugin manager,
    not an installed plugin)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    @hookimpl
    def crm_records_exported(self, ctx: Any, what: str, file_format: str, subject: Any,
                             rows: int, details: dict[str, Any]) -> None:
        """Keep the call's arguments."""
        self.calls.append({"ctx": ctx, "what": what, "file_format": file_format,
                           "subject": subject, "rows": rows, "details": details})


def record_exports(app: Flask) -> ExportRecorder:
    """Register a new ExportRecorder on `app`'s plugin manager and return it."""
    recorder = ExportRecorder()
    app.extensions["crm"]["plugins"].pm.register(recorder, name=f"exports_{id(recorder)}")
    return recorder
