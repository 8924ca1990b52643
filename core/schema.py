"""The schema under Alembic: the core's branch plus one branch per installed plugin.

`crm init-db` calls `upgrade()`, which creates a new database or brings an existing one up
to date (on SQLite it then gives every table with one integer key AUTOINCREMENT, see
`core.sqlite_ids`); running it again changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app

from core.db import db
from core.models import CORE_TABLES
from core.sqlite_ids import (
    IdRebuildError,
    add_autoincrement,
    id_high_marks,
    tables_reusing_ids,
)

CORE_MIGRATIONS = Path(__file__).parent / "migrations"
CORE_BRANCH = "core"
PACKAGE_DATA_HINT = ("an install made with a plain `pip install` lacks it unless the "
                     "package's setup.cfg ships migrations/versions/*.py as package data")


class SchemaError(ValueError):
    """The schema cannot be migrated or checked as asked; the message says what to do."""


def plugin_versions_folder(app: Flask, plugin: str) -> Path:
    """The folder where installed plugin `plugin` keeps its migrations (it may be missing)."""
    return app.extensions["crm"]["plugins"].available[plugin].folder / "migrations" / "versions"


def migration_dirs(app: Flask) -> dict[str, Path]:
    """Return {branch label: versions folder} for the core and every installed plugin."""
    dirs = {CORE_BRANCH: CORE_MIGRATIONS / "versions"}
    dirs.update(app.extensions["crm"].get("migration_dirs", {}))
    return dirs


def table_owner(app: Flask, table_name: str) -> str | None:
    """Return the branch a table belongs to: `core`, the installed plugin whose name
    prefixes it, or None for a table of a plugin this app does not install (its model
    module may still be imported in this process)."""
    if table_name in CORE_TABLES:
        return CORE_BRANCH
    for plugin in app.extensions["crm"]["plugins"].installed:
        if table_name.startswith(f"{plugin}_"):
            return plugin
    return None


def plugins_without_migrations(app: Flask) -> list[str]:
    """One sentence per installed plugin that has tables but no migrations folder, naming
    the plugin, its tables and the folder looked for."""
    dirs = migration_dirs(app)
    host = app.extensions["crm"]["plugins"]
    return [
        f"plugin '{name}' has the table(s) {', '.join(host.available[name].tables)} but no "
        f"migrations: there is no folder {plugin_versions_folder(app, name)} "
        f"({PACKAGE_DATA_HINT})"
        for name in host.installed
        if host.available[name].tables and name not in dirs
    ]


def owned_tables(app: Flask) -> dict[str, str]:
    """Return {table name: branch label} for the tables of the core and installed plugins."""
    owners = {name: table_owner(app, name) for name in db.metadata.tables}
    return {name: owner for name, owner in owners.items() if owner is not None}


def app_tables(app: Flask) -> list[Any]:
    """Return the tables this app's database has (core and installed plugins), in
    dependency order."""
    owners = owned_tables(app)
    return [t for t in db.metadata.sorted_tables if t.name in owners]


def _config(app: Flask, connection: Any, branches: set[str] | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(CORE_MIGRATIONS))
    cfg.set_main_option(
        "version_locations", " ".join(str(p) for p in migration_dirs(app).values())
    )
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["connection"] = connection
    if branches is not None:
        owners = owned_tables(app)

        def include_object(obj: Any, name: str, type_: str, reflected: bool, compare_to: Any):
            table = obj if type_ == "table" else getattr(obj, "table", None)
            return owners.get(getattr(table, "name", name)) in branches

        cfg.attributes["include_object"] = include_object
    return cfg


def upgrade(app: Flask | None = None) -> None:
    """Create or upgrade the schema to the newest revision of every installed branch.

    The revision of a plugin that is no longer installed (taken out of `CRM_PLUGINS`, or its
    package uninstalled) is set aside during the upgrade and kept: its tables stay where
    they are, and installing the plugin again continues from there."""
    app = app or current_app._get_current_object()
    missing = plugins_without_migrations(app)
    if missing:
        raise SchemaError(f"The schema cannot be set up: {'; '.join(missing)}.")
    with app.app_context(), db.engine.begin() as connection:
        cfg = _config(app, connection)
        known = {script.revision for script in ScriptDirectory.from_config(cfg).walk_revisions()}
        stored = set(MigrationContext.configure(connection).get_current_heads())
        high_marks = id_high_marks(connection)
        set_aside = sorted(stored - known)
        versions = sa.table("alembic_version", sa.column("version_num"))
        if set_aside:
            connection.execute(versions.delete().where(versions.c.version_num.in_(set_aside)))
        command.upgrade(cfg, "heads")
        for revision in set_aside:
            connection.execute(versions.insert().values(version_num=revision))
    with app.app_context():
        try:
            add_autoincrement(db.engine, app_tables(app), high_marks)
        except IdRebuildError as exc:
            raise SchemaError(f"The ids could not be made unique: {exc}.") from exc


def current_revisions(app: Flask | None = None) -> set[str]:
    """Return the revisions the database is at (empty for a new database)."""
    app = app or current_app._get_current_object()
    with app.app_context(), db.engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def schema_differences(app: Flask | None = None) -> list[Any]:
    """Return Alembic's differences between the models and the migrated database.

    Empty when every model change has its migration; a test keeps it that way. A table
    of a plugin without a migrations folder is reported as ("add_table", table) too (see
    `schema_problems` for sentences).
    """
    app = app or current_app._get_current_object()
    owners = owned_tables(app)
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": lambda obj, name, type_, reflected, compare_to: (
                    owners.get(getattr(getattr(obj, "table", obj), "name", name)) is not None
                    and name != "alembic_version"
                ),
            },
        )
        return compare_metadata(context, db.metadata)


def schema_problems(app: Flask | None = None) -> list[str]:
    """One sentence per table or column the migrations lack (what `crm schema check`
    reports): plugins without a migrations folder, tables no migration creates, and
    Alembic's other differences."""
    app = app or current_app._get_current_object()
    problems = plugins_without_migrations(app)
    dirs = migration_dirs(app)
    without_branch = {name for name, owner in owned_tables(app).items() if owner not in dirs}
    diffs = schema_differences(app)
    with app.app_context(), db.engine.connect() as connection:
        problems += [f"table '{name}' reuses the ids of deleted rows (no AUTOINCREMENT); "
                     "run crm init-db" for name in tables_reusing_ids(connection,
                                                                      app_tables(app))]
    added = {d[1].name for d in diffs if isinstance(d, tuple) and d[0] == "add_table"}
    for diff in diffs:
        if isinstance(diff, tuple) and diff[0] == "add_table":
            if diff[1].name not in without_branch:
                problems.append(f"table '{diff[1].name}' of {table_owner(app, diff[1].name)} "
                                "has no migration that creates it")
        elif not (isinstance(diff, tuple) and diff[0] == "add_index"
                  and diff[1].table.name in added):  # a missing table's indexes go with it
            problems.append(repr(diff))
    return problems


def make_revision(app: Flask, message: str, branch: str) -> None:
    """Write a new autogenerated migration on `branch` (a developer's tool)."""
    dirs = migration_dirs(app)
    if branch not in dirs:
        if branch in app.extensions["crm"]["plugins"].installed:
            raise SchemaError(
                f"plugin '{branch}' has no migrations: there is no folder "
                f"{plugin_versions_folder(app, branch)}; create it (empty) to start the "
                f"plugin's branch ({PACKAGE_DATA_HINT})")
        raise SchemaError(f"no migration branch '{branch}': it is neither the core nor an "
                          f"installed plugin (branches: {', '.join(dirs)})")
    with app.app_context(), db.engine.connect() as connection:
        cfg = _config(app, connection, branches={branch})
        script_dir_has_branch = any(dirs[branch].glob("*.py"))
        kwargs: dict[str, Any] = {"message": message, "autogenerate": True}
        if script_dir_has_branch:
            kwargs["head"] = f"{branch}@head"
        else:
            kwargs.update(head="base", branch_label=branch, version_path=str(dirs[branch]))
            if branch != CORE_BRANCH:
                kwargs["depends_on"] = "core@head"
        command.revision(cfg, **kwargs)
