"""Inserting many rows of a tenant-owned model with a few statements (imports).

`insert_records` is for writes too large for one model instance per row: it stamps the
tenant in scope (refusing another tenant's rows, as the flush guard does), inserts with
one multi-row statement per batch through a Core `INSERT ... RETURNING` on the model's
table (column types sanitize text and defaults apply as usual; the ORM's bulk INSERT
added more per-row work than the statement itself), and reports the rows once through
`crm_records_created`, the bulk form of `crm_record_created`. Model validators do not
run: the caller gives the values as the model would store them (e.g. a contact's
normalized e-mail and search key).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import insert

from core.db import db
from core.events import HIDDEN_VALUE, CreatedRecord, EventContext, emit, has_listeners
from core.scoping import CrossTenantWrite, TenantScopeMissing, current_tenant_id

_BOOKKEEPING = ("id", "tenant_id", "created_at", "updated_at", "search_key")


def insert_records(ctx: EventContext, model: type, rows: list[dict[str, Any]],
                   label: Callable[[dict[str, Any]], str]) -> list[int]:
    """Insert `rows` (dicts of the model's attributes) for the tenant in scope and return
    their new ids in the order of `rows`. `label(row)` (the row with its `id`) names a
    record as its `str()` would, for `crm_records_created`. Not committed."""
    if not rows:
        return []
    scope = current_tenant_id()
    if not isinstance(scope, int):
        raise TenantScopeMissing(f"{model.__name__} rows written with no tenant in scope")
    for row in rows:
        tenant_id = row.setdefault("tenant_id", scope)
        if tenant_id != scope:
            raise CrossTenantWrite(f"{model.__name__} of tenant {tenant_id} written while "
                                   f"tenant {scope} is in scope")
    ids = _insert_returning_ids(model, rows)
    if getattr(model, "__crm_events__", True) and has_listeners("crm_records_created", ctx):
        secrets = getattr(model, "__secret_fields__", ())
        left_out = (*_BOOKKEEPING, *getattr(model, "__bookkeeping_fields__", ()))
        records = []
        for row, new_id in zip(rows, ids, strict=True):
            values = {key: HIDDEN_VALUE if key in secrets else value
                      for key, value in row.items() if key not in left_out}
            records.append(CreatedRecord(model.__table__.name, new_id,
                                         label({**row, "id": new_id}), values))
        emit("crm_records_created", ctx, records=records)
    return ids


def _insert_returning_ids(model: type, rows: list[dict[str, Any]]) -> list[int]:
    """INSERT `rows` with a few multi-row statements; return their ids in the order of
    `rows`.

    PostgreSQL: `sort_by_parameter_order` makes SQLAlchemy send each batch as an INSERT
    that returns the ids with the rows' positions, so they come back in order whatever
    other sessions do with the sequence. SQLite: that option would send one statement per
    row; instead the ids come back in any order from a multi-row INSERT, but SQLite has one
    writer at a time and hands out the rowids of the rows in the order it inserts them
    (the order of VALUES), and later statements get higher ids, so the sorted ids are the
    rows' ids in order.

    A Core statement takes its columns from the first row, so rows are sent in runs of the
    same keys (a None is sent as NULL, so the usual import has one run)."""
    table = model.__table__
    dialect = db.session.get_bind().dialect
    ordered = dialect.name != "sqlite"
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=ordered)
    _with_defaults(table, rows)
    ids: list[int] = []
    for run in _runs_of_same_keys(_without_null_columns(table, dialect, rows)):
        found = list(db.session.execute(statement, run).scalars())
        ids.extend(found if ordered else sorted(found))
    return ids


def _runs_of_same_keys(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """`rows` cut into consecutive runs whose dicts have the same keys."""
    runs: list[list[dict[str, Any]]] = []
    keys: Any = None
    for row in rows:
        if runs and row.keys() == keys:
            runs[-1].append(row)
        else:
            keys = row.keys()
            runs.append([row])
    return runs


def _without_null_columns(table: Any, dialect: Any, rows: list[dict[str, Any]]
                          ) -> list[dict[str, Any]]:
    """The rows to send: without the columns that are None in every row and would be
    stored as NULL when left out as well (no default, and a type that stores None as
    NULL, unlike JSON's `null`), so that fewer values are processed and sent. The rows
    themselves stay as they are (they are reported)."""
    left_out = set()
    for column in table.columns:
        key = column.key
        if column.default is not None or column.server_default is not None:
            continue
        if not any(key in row for row in rows) or any(row.get(key) is not None for row in rows):
            continue
        processor = column.type.bind_processor(dialect)
        if processor is None or processor(None) is None:
            left_out.add(key)
    if not left_out:
        return rows
    return [{key: value for key, value in row.items() if key not in left_out} for row in rows]


def _with_defaults(table: Any, rows: list[dict[str, Any]]) -> None:
    """Give a None of a column with a default that default, as the ORM does for an
    instance (it leaves the None out and the default applies); a None of a column whose
    default is computed is left out of its row."""
    for column in table.columns:
        default = column.default
        if default is None:
            continue
        for row in rows:
            if column.key in row and row[column.key] is None:
                if default.is_scalar:
                    row[column.key] = default.arg
                else:
                    del row[column.key]
