"""Upgrading a database made by the previous release: `crm init-db` keeps every row and
adds the tables of plugins installed since, through their own migration branches.

The fixtures in `upgrade_fixtures/` were written by the code of the first release (schema
`core_0002`, no plugin installed): SQL text for SQLite and a `pg_dump --inserts` for
PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from core import schema
from core.db import db, has_single_integer_key
from core.models import Activity, Contact, Tenant, User
from core.scoping import all_tenants, including_deleted, tenant_scope
from core.sqlite_ids import tables_reusing_ids
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


def _snapshot(url: str) -> dict[str, Any]:
    """Every table's rows, and on SQLite its indexes and foreign keys."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    inspector = sa.inspect(engine)
    found: dict[str, Any] = {}
    with engine.connect() as conn:
        for name in inspector.get_table_names():
            if name in ("alembic_version", "sqlite_sequence"):
                continue
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            rows = sorted(tuple(map(str, row)) for row in conn.execute(sa.select(table)))
            indexes = sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]),
                              sorted((k, str(v)) for k, v in
                                     i.get("dialect_options", {}).items()))
                             for i in inspector.get_indexes(name))
            keys = sorted((k["name"], tuple(k["constrained_columns"]), k["referred_table"],
                           str(k["options"])) for k in inspector.get_foreign_keys(name))
            found[name] = (rows, indexes, keys)
    engine.dispose()
    return found


def _table_sql(url: str) -> dict[str, str]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = dict(conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'").all())
    engine.dispose()
    return found


def _one_integer_key_tables(app) -> list[str]:
    return [t.name for t in schema.app_tables(app) if has_single_integer_key(t)]


def test_init_db_gives_every_old_table_ids_that_are_never_reused(empty_database_url,
                                                                  tmp_path):
    _load_old_release(empty_database_url)
    old = _snapshot(empty_database_url)
    app = build_app(empty_database_url, tmp_path)
    cli = app.test_cli_runner()
    assert cli.invoke(args=["init-db"]).exit_code == 0

    upgraded = _snapshot(empty_database_url)
    assert {name: upgraded[name] for name in old} == old  # rows, indexes, foreign keys
    check = cli.invoke(args=["schema", "check"])
    assert check.exit_code == 0 and "Models and migrations agree." in check.output
    if not empty_database_url.startswith("sqlite"):
        with app.app_context(), db.engine.connect() as conn:
            assert tables_reusing_ids(conn, schema.app_tables(app)) == []
        return
    stored = _table_sql(empty_database_url)
    keyed = _one_integer_key_tables(app)
    assert {"contact", "tenant", "user_account", "audit_entry",
            "gdpr_consents_form_submission"} <= set(keyed)
    assert [n for n in keyed if "AUTOINCREMENT" not in stored[n]] == []
    assert "AUTOINCREMENT" not in stored["contact_tag"]  # a two-column key: no row ids
    engine = sa.create_engine(empty_database_url)
    with engine.begin() as conn:
        sequence = dict(conn.exec_driver_sql("SELECT name, seq FROM sqlite_sequence").all())
        assert sequence["contact"] == conn.exec_driver_sql(
            "SELECT max(id) FROM contact").scalar() == 4
        conn.exec_driver_sql("DELETE FROM contact_tag WHERE contact_id = 4")
        conn.exec_driver_sql("DELETE FROM activity_participant WHERE contact_id = 4")
        conn.exec_driver_sql("DELETE FROM contact WHERE id = 4")
        conn.exec_driver_sql(
            "INSERT INTO contact (first_name, last_name, search_key, tenant_id, created_at, "
            "updated_at) VALUES ('Nova', 'Oseba', 'nova', 1, '2026-01-01', '2026-01-01')")
        assert conn.exec_driver_sql("SELECT max(id) FROM contact").scalar() == 5
    engine.dispose()
    assert cli.invoke(args=["init-db"]).exit_code == 0
    assert _table_sql(empty_database_url) == stored  # a second run rebuilds nothing


def test_a_migration_that_rebuilds_a_table_keeps_its_ids_unused(empty_database_url,
                                                                  tmp_path, monkeypatch):
    app = build_app(empty_database_url, tmp_path)
    schema.upgrade(app)
    if not empty_database_url.startswith("sqlite"):
        return  # PostgreSQL sequences never go back; nothing to keep
    engine = sa.create_engine(empty_database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO tenant (slug, name, time_zone, created_at) "
                             "VALUES ('a', 'A', 'UTC', '2026-01-01'), "
                             "('b', 'B', 'UTC', '2026-01-01')")
        conn.exec_driver_sql("DELETE FROM tenant WHERE slug = 'b'")
    real_upgrade = schema.command.upgrade

    def migration_rebuilding_tenant(cfg, revision):
        # what a later migration in Alembic's batch mode does on SQLite: the new table
        # lacks AUTOINCREMENT and its sqlite_sequence row is gone
        connection = cfg.attributes["connection"]
        with Operations(MigrationContext.configure(connection)).batch_alter_table(
                "tenant", recreate="always"):
            pass
        assert "AUTOINCREMENT" not in connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'tenant'").scalar()
        real_upgrade(cfg, revision)

    monkeypatch.setattr(schema.command, "upgrade", migration_rebuilding_tenant)
    schema.upgrade(app)
    assert "AUTOINCREMENT" in _table_sql(empty_database_url)["tenant"]
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO tenant (slug, name, time_zone, created_at) "
                             "VALUES ('c', 'C', 'UTC', '2026-01-01')")
        assert conn.exec_driver_sql("SELECT id FROM tenant WHERE slug = 'c'").scalar() == 3
    engine.dispose()


def test_an_old_database_with_a_broken_reference_is_named_and_left_unchanged(
        empty_database_url, tmp_path):
    if not empty_database_url.startswith("sqlite"):
        return  # PostgreSQL enforced its foreign keys all along and rebuilds nothing
    _load_old_release(empty_database_url)
    engine = sa.create_engine(empty_database_url)
    with engine.begin() as conn:  # written once with foreign keys off
        conn.exec_driver_sql("UPDATE contact SET company_id = 999 WHERE id = 1")
    engine.dispose()
    before = _snapshot(empty_database_url)
    app = build_app(empty_database_url, tmp_path)
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 1
    assert ("Error: The ids could not be made unique: table 'contact' row 1 refers to a "
            "missing row of 'company' (1 such reference(s)); fix them, then run crm init-db "
            "again.") in result.output
    assert "Traceback" not in result.output
    after = _snapshot(empty_database_url)
    assert {name: after[name] for name in before} == before
    assert [n for n, sql in _table_sql(empty_database_url).items()
            if "AUTOINCREMENT" in (sql or "")] == []
    check = app.test_cli_runner().invoke(args=["schema", "check"])
    assert check.exit_code == 1
    assert "table 'contact' reuses the ids of deleted rows (no AUTOINCREMENT); run crm " \
           "init-db" in check.output
