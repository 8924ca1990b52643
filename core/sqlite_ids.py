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


def id_high_marks(connection: Any) -> dict[str, int]:
    """{table: largest id ever handed out} from SQLite's `sqlite_sequence` (empty on
    PostgreSQL or before any table has AUTOINCREMENT). Taken before the migrations run:
    a migration that rebuilds a table (Alembic's batch mode on SQLite) loses both the
    AUTOINCREMENT and the table's mark."""
    if connection.dialect.name != "sqlite":
        return {}
    found = connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
    if found.first() is None:
        return {}
    return {name: int(seq) for name, seq in
            connection.exec_driver_sql("SELECT name, seq FROM sqlite_sequence").all()}


def add_autoincrement(engine: sa.Engine, tables: list[sa.Table],
                      high_marks: dict[str, int] | None = None) -> list[str]:
    """Rebuild every table of `tables` that reuses ids with AUTOINCREMENT, keeping its rows,
    columns, indexes, constraints and foreign keys; return the names rebuilt.

    One transaction with foreign keys off (a DROP TABLE would otherwise cascade), checked
    by `PRAGMA foreign_key_check` before the commit. The ids continue after the largest
    id stored, or after the table's mark in `high_marks` (see `id_high_marks`) when that
    is larger."""
    if engine.dialect.name != "sqlite":
        return []
    with engine.connect() as connection:
        names = tables_reusing_ids(connection, tables)
        wanted = {t.name for t in tables if wants_autoincrement(t)}
        lowered = _lowered_marks(connection, {name: mark for name, mark in
                                              (high_marks or {}).items() if name in wanted})
        connection.rollback()
        if not names and not lowered:
            return []
        raw = connection.connection.driver_connection
        enforced = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                _rebuild(connection, names)
                _raise_marks(connection, lowered)
            except BaseException:
                raw.rollback()
                raise
            raw.commit()
        finally:
            connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")
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


def _lowered_marks(connection: Any, high_marks: dict[str, int]) -> dict[str, int]:
    """The marks of `high_marks` that `sqlite_sequence` lacks or holds lower now."""
    now = id_high_marks(connection)
    return {name: mark for name, mark in high_marks.items() if now.get(name, -1) < mark}


def _raise_marks(connection: Any, marks: dict[str, int]) -> None:
    current = id_high_marks(connection)
    for name, mark in marks.items():
        if current.get(name, -1) >= mark:  # the rebuild found larger ids than the mark
            continue
        connection.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = ?", (name,))
        connection.exec_driver_sql(
            "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, mark))
