"""A real server on 127.0.0.1 (a free port, a SQLite file) and a headless Chromium.

Chromium is Debian's `/usr/bin/chromium`, driven by the Python `playwright` package (never
`playwright install`). Without it the browser tests are skipped, unless
`CRM_REQUIRE_BROWSER=1` makes them required (CI).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from core import create_app, schema
from core.db import db
from core.events import context
from core.models import Tenant
from core.scoping import all_tenants, tenant_scope
from tests.support import BUILTIN_PLUGINS, TenantLogins, make_tenant_with_users

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _unavailable(reason: str) -> None:
    if os.environ.get("CRM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (CRM_REQUIRE_BROWSER=1 makes the browser tests required)")
    pytest.skip(reason)


@dataclass(frozen=True)
class LiveServer:
    """Where the app answers and who may log in."""

    url: str
    tenant: TenantLogins


def app_on_server_files(tmp_path: Path) -> Flask:
    """A new app on the database file and instance folder the live server uses (tests seed
    data through it)."""
    return create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'browser.sqlite3'}",
        "INSTANCE_DIR": str(tmp_path / "instance"),
        "SECRET_KEY": "browser-test-secret",
        "PLUGINS": list(BUILTIN_PLUGINS),
    })


@contextmanager
def seeding(tmp_path: Path, tenant_id: int, *plugins: str) -> Iterator[None]:
    """Seed data for the live server: a second app on its files, in the scope of the tenant
    `tenant_id` with `plugins` enabled (as `cli:test`). The block adds rows and commits; the
    app lets go of the file afterwards."""
    app = app_on_server_files(tmp_path)
    with app.app_context():
        with all_tenants():
            tenant = db.session.get(Tenant, tenant_id)
        with tenant_scope(tenant_id):
            for plugin in plugins:
                app.extensions["crm"]["plugins"].enable(
                    context(tenant=tenant, actor="cli:test"), plugin)
            yield
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The app served by a real HTTP server in a thread, on a SQLite file database."""
    app = app_on_server_files(tmp_path)
    schema.upgrade(app)
    tenant = make_tenant_with_users(app, "acme", "Acme d.o.o.")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", tenant=tenant)
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def page():
    """A new page of a headless Chromium."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="sl-SI")
            context.set_default_timeout(15_000)
            expect.set_options(timeout=15_000)  # a busy machine (CI) renders slowly
            yield context.new_page()
        finally:
            browser.close()
