"""Upgrading a database made by the previous release: `crm init-db` keeps every row and
adds the tables of plugins installed since, through their own migration branches.

The fixtures in `upgrade_fixtures/` were written by the code of the first release (schema
`core_0002`, no plugin installed): SQL text for SQLite and a `pg_dump --inserts` for
PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import select

from core import schema
from core.db import db
from core.models import Activity, Contact, Tenant, User
from core.scoping import all_tenants, including_deleted, tenant_scope
from tests.conftest import build_app

FIXTURES = Path(__file__).parent / "upgrade_fixtures"


def _load_old_release(url: str) -> None:
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        script = (FIXTURES / "release-0.1.sqlite.sql").read_text()
        raw = engine.raw_connection()
        raw.driver_connection.executescript(script)
        raw.close()
    else:
        script = (FIXTURES / "release-0.1.postgresql.sql").read_text()
        with engine.begin() as conn:
            conn.exec_driver_sql(script)
            conn.exec_driver_sql("SELECT pg_catalog.set_config('search_path', 'public', false)")
    engine.dispose()


def test_init_db_upgrades_an_old_database_and_keeps_every_row(empty_database_url, tmp_path):
    _load_old_release(empty_database_url)
    app = build_app(empty_database_url, tmp_path)
    assert schema.current_revisions(app) == {"core_0002"}

    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output

    with app.app_context():
        assert schema.schema_differences(app) == []
        reached = schema.current_revisions(app)
        for branch in schema.migration_dirs(app):
            if branch != schema.CORE_BRANCH:
                assert any(rev.startswith(f"{branch}_") for rev in reached), branch
        with all_tenants():
            tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "staro"))
            admin = db.session.scalar(select(User).where(User.email == "admin@staro.si"))
            assert tenant.name == "Staro podjetje d.o.o."
            assert admin.check_password("old-release-pass")
        with tenant_scope(tenant.id):
            names = sorted(c.full_name for c in db.session.scalars(select(Contact)))
            assert names == ["Info", "Špela Černe", "Žiga Zupančič"]
            ziga = db.session.scalar(select(Contact).where(Contact.search_key.like("%zupancic%")))
            assert [t.name for t in ziga.tags] == ["VIP"]
            meeting = db.session.scalar(select(Activity))
            assert meeting.occurred_at == datetime(2024, 5, 6, 8, 30, tzinfo=UTC)
            assert len(meeting.participants) == 2
            with including_deleted():
                trashed = db.session.scalar(select(Contact).where(Contact.email == "gone@lipa.si"))
                assert trashed.deleted_at == datetime(2024, 1, 1, tzinfo=UTC)

    installed = app.extensions["crm"]["plugins"].installed
    engine = sa.create_engine(empty_database_url)
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    for plugin in installed:
        owned = app.extensions["crm"]["plugins"].available[plugin].tables
        assert set(owned) <= tables, f"{plugin}'s tables were not added"
    with app.app_context():
        db.engine.dispose()


def test_init_db_keeps_working_after_a_plugin_is_uninstalled_and_again_after_reinstalling(
        empty_database_url, tmp_path):
    schema.upgrade(build_app(empty_database_url, tmp_path / "all"))
    without_audit = build_app(empty_database_url, tmp_path / "less",
                              PLUGINS=["gdpr_consents", "trash", "export"])
    schema.upgrade(without_audit)
    schema.upgrade(without_audit)
    assert "audit_0001" in schema.current_revisions(without_audit)  # kept for a reinstall
    again = build_app(empty_database_url, tmp_path / "again")
    schema.upgrade(again)
    assert schema.schema_differences(again) == []
    engine = sa.create_engine(empty_database_url.replace("postgresql://",
                                                         "postgresql+psycopg://"))
    assert "audit_entry" in sa.inspect(engine).get_table_names()
    engine.dispose()
