"""Shared fixtures: a fresh app and an empty, migrated database per test, on SQLite and
(when reachable, or always with CRM_REQUIRE_POSTGRES=1) on PostgreSQL.

The schema is migrated once per backend and session; each test starts from empty tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from core import create_app, schema
from core.db import db
from tests.support import BUILTIN_PLUGINS, make_tenant_with_users

POSTGRES_ADMIN_URL = os.environ.get(
    "CRM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("CRM_REQUIRE_POSTGRES") == "1"


def _admin_engine() -> sa.Engine:
    url = POSTGRES_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A new PostgreSQL database for this test session, dropped at the end."""
    engine = _admin_engine()
    name = f"crm_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        engine.dispose()
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc.__class__.__name__}"
        if REQUIRE_POSTGRES:
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
    engine = _admin_engine()
    name = f"{sa.engine.make_url(session_url).database}_{uuid.uuid4().hex[:6]}"
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield engine.url.set(database=name).render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


_migrated: set[str] = set()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of a migrated database of the backend under test."""
    return request.getfixturevalue(f"{request.param}_url")


def build_app(database_url: str, instance_dir: Path, **config: object) -> Flask:
    """Create an app on `database_url` with every built-in plugin installed."""
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


def fresh_app(database_url: str, instance_dir: Path, **config: object) -> Iterator[Flask]:
    """Yield an app (see build_app) on `database_url`, migrated once per database and
    plugin set, with every table of its plugins emptied; release its connections after."""
    application = build_app(database_url, instance_dir, **config)
    key = f"{database_url} {application.config['PLUGINS']}"
    if key not in _migrated:
        schema.upgrade(application)
        _migrated.add(key)
    _empty_all_tables(application)
    yield application
    with application.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """A fresh app on an empty, migrated database (SQLite and PostgreSQL)."""
    yield from fresh_app(database_url, tmp_path / "instance")


@pytest.fixture
def client(app: Flask):
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def cli(app: Flask):
    """A runner for the app's `crm` commands."""
    return app.test_cli_runner()


@pytest.fixture
def tenant_a(app: Flask):
    """Tenant `acme` with an admin and a user (see tests.support.TenantLogins)."""
    return make_tenant_with_users(app, "acme", "Acme d.o.o.")


@pytest.fixture
def tenant_b(app: Flask):
    """Tenant `beta` with an admin and a user."""
    return make_tenant_with_users(app, "beta", "Beta s.p.")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """With CRM_FAIL_ON_SKIP=1 (CI) a skipped test is a failed test."""
    outcome = yield
    report = outcome.get_result()
    strict = os.environ.get("CRM_FAIL_ON_SKIP") == "1"
    if strict and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped, but CI requires every test to run: {reason}"
