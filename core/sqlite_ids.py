"""SQLite tables that never reuse ids: find the ones without AUTOINCREMENT and rebuild them.

A SQLite table whose key is a plain `INTEGER PRIMARY KEY` hands the id of the deleted row
with the largest id to the next row, so a new contact would inherit an erased person's
audit trail and an erased person's signed links would open the next visitor's data.
`core.db.never_reuses_ids` marks every table with one integer key; `crm init-db` (through
`core.schema.upgrade`) rebuilds each marked table the database still has without
AUTOINCREMENT, for new databases (the migrations create plain tables) and old ones alike.
PostgreSQL sequences never go back, so nothing happens there.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext


class IdRebuildError(ValueError):
    """A rebuilt table's rows break a foreign key; nothing was changed."""


def wants_autoincrement(table: sa.Table) -> bool:
    """True when the model declares that `table` never reuses ids on SQLite."""
    return bool(table.dialect_options["sqlite"]["autoincrement"])


def tables_reusing_ids(connection: Any, tables: list[sa.Table]) -> list[str]:
    """Names of the tables among `tables` that should never reuse ids but are stored
    without AUTOINCREMENT (always empty on PostgreSQL)."""
    if connection.dialect.name != "sqlite":
        return []
    stored = dict(connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table'").all())
    return [t.name for t in tables
            if wants_autoincrement(t) and t.name in stored
            and "AUTOINCREMENT" not in (stored[t.name] or "").upper()]


def add_autoincrement(engine: sa.Engine, tables: list[sa.Table]) -> list[str]:
    """Rebuild every table of `tables` that reuses ids with AUTOINCREMENT, keeping its rows,
    columns, indexes, constraints and foreign keys; return the names rebuilt.

    One transaction with foreign keys off (a DROP TABLE would otherwise cascade), checked
    by `PRAGMA foreign_key_check` before the commit; the id sequence continues after the
    largest id stored."""
    if engine.dialect.name != "sqlite":
        return []
    with engine.connect() as connection:
        names = tables_reusing_ids(connection, tables)
        connection.rollback()
        if not names:
            return []
        raw = connection.connection.driver_connection
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                _rebuild(connection, names)
            except BaseException:
                raw.rollback()
                raise
            raw.commit()
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.rollback()
    return names


def _rebuild(connection: Any, names: list[str]) -> None:
    operations = Operations(MigrationContext.configure(connection))
    for name in names:
        with operations.batch_alter_table(name, recreate="always",
                                          table_kwargs={"sqlite_autoincrement": True}):
            pass
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise IdRebuildError(
            f"table '{table}' row {rowid} refers to a missing row of '{parent}' "
            f"({len(broken)} such reference(s)); fix them, then run crm init-db again")
