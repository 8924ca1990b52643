"""Fixtures and helpers for testing the CRM and its plugins, installed with the core as the
pytest plugin `crm` (entry point `pytest11`), so a plugin's own tests get them with no
import, outside this repository too (`-p no:crm` switches them off).

Fixtures: `database_url` (each test runs on SQLite, and on PostgreSQL when one answers at
`CRM_TEST_POSTGRES_URL`, default postgres@127.0.0.1:5432; skipped otherwise, or failed with
`CRM_REQUIRE_POSTGRES=1`), `crm_plugins` (the plugins installed in `app`; override it to add
yours), `app` (a fresh app on an empty, migrated database), `client`, `cli`, and `tenant_a` /
`tenant_b` (tenants `acme` and `beta`, each with an admin and a user). Helpers:
`make_tenant_with_users`, `enable_plugin`, `logged_in`, `login`, `csrf_token`, `build_app`,
`fresh_app`.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from core import create_app, schema
from core.db import db
from core.events import context
from core.models import Role, Tenant, User
from core.scoping import all_tenants

BUILTIN_PLUGINS: tuple[str, ...] = ("audit", "gdpr_consents", "trash", "export")
PASSWORD = "correct-horse-battery"
MIGRATED_KEY = pytest.StashKey[set]()


def _postgres_admin_url() -> str:
    return os.environ.get("CRM_TEST_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def admin_engine() -> sa.Engine:
    """An AUTOCOMMIT engine on the PostgreSQL server's admin database (to create databases)."""
    url = _postgres_admin_url().replace("postgresql://", "postgresql+psycopg://", 1)
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


# --- databases -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A new PostgreSQL database for this test session, dropped at the end."""
    engine = admin_engine()
    name = f"crm_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        engine.dispose()
        message = (f"PostgreSQL is not reachable at {_postgres_admin_url()}: "
                   f"{exc.__class__.__name__}")
        if os.environ.get("CRM_REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " (CRM_REQUIRE_POSTGRES=1 makes it required)")
        pytest.skip(message)
    url = engine.url.set(database=name).render_as_string(hide_password=False)
    yield url
    with engine.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file for this test session."""
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'crm.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of each backend for one test (for schema and boot tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    session_url = request.getfixturevalue("postgresql_url")
    engine = admin_engine()
    name = f"{sa.engine.make_url(session_url).database}_{uuid.uuid4().hex[:6]}"
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield engine.url.set(database=name).render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of a migrated database of the backend under test."""
    return request.getfixturevalue(f"{request.param}_url")


# --- apps ------------------------------------------------------------------------------------


def build_app(database_url: str, instance_dir: Path, **config: object) -> Flask:
    """Create an app on `database_url` with every built-in plugin installed (`PLUGINS=[...]`
    names others; `EXTRA_PLUGINS=[module]` adds an unpackaged plugin package)."""
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_DIR": str(instance_dir),
        "SECRET_KEY": "test-secret",
        "PLUGINS": list(BUILTIN_PLUGINS),
    }
    settings.update(config)
    return create_app(settings)


def _empty_all_tables(app: Flask) -> None:
    with app.app_context():
        tables = list(reversed(schema.app_tables(app)))
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(table.delete())
                conn.exec_driver_sql("DELETE FROM sqlite_sequence")  # as RESTART IDENTITY


def fresh_app(database_url: str, instance_dir: Path, migrated: set[str] | None = None,
              **config: object) -> Iterator[Flask]:
    """Yield an app (see build_app) on `database_url`, migrated once per database and
    plugin set (remembered in `migrated`), with every table of its plugins emptied; release
    its connections after."""
    application = build_app(database_url, instance_dir, **config)
    key = f"{database_url} {application.config['PLUGINS']}"
    if migrated is None or key not in migrated:
        schema.upgrade(application)
        if migrated is not None:
            migrated.add(key)
    _empty_all_tables(application)
    yield application
    with application.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def crm_plugins() -> list[str]:
    """The plugins installed in `app` (the built-ins); override it to add your plugin."""
    return list(BUILTIN_PLUGINS)


@pytest.fixture
def app(request: pytest.FixtureRequest, database_url: str, crm_plugins: list[str],
        tmp_path: Path) -> Iterator[Flask]:
    """A fresh app with `crm_plugins` installed on an empty, migrated database (SQLite and
    PostgreSQL)."""
    migrated = request.config.stash.setdefault(MIGRATED_KEY, set())
    yield from fresh_app(database_url, tmp_path / "instance", migrated, PLUGINS=crm_plugins)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def cli(app: Flask) -> Any:
    """A runner for the app's `crm` commands."""
    return app.test_cli_runner()


# --- tenants and logins ----------------------------------------------------------------------


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


def enable_plugin(app: Flask, slug: str, plugin: str) -> list[str]:
    """Enable `plugin` (and what it needs) for tenant `slug` as `crm plugins enable` would,
    with the actor `cli:test`, and commit; return the messages."""
    with app.app_context():
        with all_tenants():
            tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
        messages = app.extensions["crm"]["plugins"].enable(
            context(tenant=tenant, actor="cli:test"), plugin)
        db.session.commit()
        return messages


@pytest.fixture
def tenant_a(app: Flask) -> TenantLogins:
    """Tenant `acme` with an admin and a user."""
    return make_tenant_with_users(app, "acme", "Acme d.o.o.")


@pytest.fixture
def tenant_b(app: Flask) -> TenantLogins:
    """Tenant `beta` with an admin and a user."""
    return make_tenant_with_users(app, "beta", "Beta s.p.")


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
