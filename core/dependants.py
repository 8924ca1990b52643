"""What belongs to a record: the rows that go to the trash, come back and are purged with it.

Found generically, so that a plugin's tables take part without the core (or the trash
plugin) importing the plugin:

* rows of every soft-deletable model of this app (core and installed plugins) whose foreign
  key to the record's table would take them with it: `ON DELETE CASCADE`, or a key that
  cannot be NULL (the database would refuse the delete while they exist). A key that is
  `SET NULL` (a contact's company) does not make a dependant: the contact outlives it;
* the record's attachments (`Attachment.owner_type` is the record's table name);
* for a contact, the activities it alone took part in (counted over every participant,
  trashed ones too, so an activity shared with someone in the trash stays shared);

and, recursively, what belongs to those. Everything here runs under the central filters:
only the tenant in scope, and (unless the caller says `including_deleted()`) only live rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import ForeignKey, func, inspect, select
from sqlalchemy.orm import InstrumentedAttribute

from core.attachments import owned_by
from core.db import db
from core.events import record_type
from core.models import Activity, Attachment, Contact, activity_participant
from core.rawsql import tenant_sql
from core.schema import owned_tables
from core.scoping import SoftDeletable, TenantOwned

CHUNK = 500


@dataclass(frozen=True)
class Link:
    """A foreign key of a soft-deletable model that makes its rows dependants of the rows
    of `target` (the referenced table's name)."""

    model: type
    column: InstrumentedAttribute
    target: str


def soft_deletable_models() -> list[type]:
    """The tenant-owned, soft-deletable models whose tables this app's database has (core
    and installed plugins), parents before children (the metadata's dependency order)."""
    tables = owned_tables(current_app)
    by_table = {
        mapper.local_table.name: mapper.class_
        for mapper in db.Model.registry.mappers
        if issubclass(mapper.class_, SoftDeletable)
        and issubclass(mapper.class_, TenantOwned)
        and mapper.local_table.name in tables
    }
    return [by_table[t.name] for t in db.metadata.sorted_tables if t.name in by_table]


def model_for_table(name: str) -> type | None:
    """The soft-deletable model of table `name` in this app, or None."""
    for model in soft_deletable_models():
        if model.__table__.name == name:
            return model
    return None


def dependant_links() -> list[Link]:
    """Every foreign key that makes rows of one soft-deletable model belong to another row:
    `ON DELETE CASCADE`, or not nullable (the tenant key is not one of them)."""
    links = []
    for model in soft_deletable_models():
        mapper = inspect(model)
        for fk in model.__table__.foreign_keys:
            if not _takes_rows_along(fk) or fk.column.table.name == "tenant":
                continue
            column = mapper.get_property_by_column(fk.parent).class_attribute
            links.append(Link(model, column, fk.column.table.name))
    return links


def _takes_rows_along(fk: ForeignKey) -> bool:
    return (fk.ondelete or "").upper() == "CASCADE" or not fk.parent.nullable


def dependants_of(record: Any) -> list[Any]:
    """The rows that belong to `record` (see the module docstring), recursively, each once,
    `record` itself left out. Only rows the current filters let through are found. Works a
    level at a time with IN lists, so a contact with thousands of activities costs a few
    queries, not thousands."""
    links = dependant_links()
    seen = {_key(record)}
    found: list[Any] = []
    level = [record]
    while level:
        following = []
        for row in _direct_dependants(level, links):
            if _key(row) in seen:
                continue
            seen.add(_key(row))
            found.append(row)
            following.append(row)
        level = following
    return found


def _key(row: Any) -> tuple[str, Any]:
    return record_type(row), row.id


def _direct_dependants(rows: list[Any], links: list[Link]) -> Iterator[Any]:
    by_table: dict[str, list[Any]] = {}
    models: dict[str, type] = {}
    for row in rows:
        by_table.setdefault(record_type(row), []).append(row.id)
        models[record_type(row)] = type(row)
    for table, ids in by_table.items():
        for chunk in chunks(sorted(set(ids))):
            for link in links:
                if link.target == table:
                    yield from db.session.scalars(
                        select(link.model).where(link.column.in_(chunk)).order_by(link.model.id)
                    )
            yield from db.session.scalars(
                select(Attachment)
                .where(owned_by(models[table], chunk))
                .order_by(Attachment.id)
            )
            if table == Contact.__tablename__:
                yield from db.session.scalars(
                    select(Activity).where(Activity.id.in_(_activities_only_with(chunk)))
                    .order_by(Activity.id)
                )


def _activities_only_with(contact_ids: list[int]) -> Any:
    """A subquery: ids of the activities whose one and only participant is one of the
    contacts (the association table has no tenant column; the activities are read through
    the ORM, so the tenant filter applies to what is returned)."""
    ap = activity_participant.c
    theirs = select(ap.activity_id).where(ap.contact_id.in_(contact_ids))
    return (
        select(ap.activity_id)
        .where(ap.activity_id.in_(theirs))
        .group_by(ap.activity_id)
        .having(func.count() == 1)
    )


def rows_of_units(units: Iterable[str]) -> list[Any]:
    """Every row (any soft-deletable model of this app) of the tenant in scope whose
    `deletion_unit` is one of `units`, parents before children. Call it inside
    `including_deleted()` to see trashed rows, which is what units hold."""
    models = soft_deletable_models()
    ids: dict[str, list[int]] = {model.__table__.name: [] for model in models}
    for chunk in chunks(sorted(set(units))):
        for table, row_id in _ids_in_units(list(ids), chunk):
            ids[table].append(row_id)
    rows: list[Any] = []
    for model in models:
        for id_chunk in chunks(sorted(ids[model.__table__.name])):
            rows.extend(db.session.scalars(
                select(model).where(model.id.in_(id_chunk)).order_by(model.id)
            ))
    return rows


def _ids_in_units(tables: list[str], units: list[str]) -> list[tuple[str, int]]:
    """(table, id) of the tenant's rows of `tables` in these units, in one statement.

    Through the reviewed raw-SQL helper rather than the ORM because of SQLite's planner:
    without statistics it answers `deletion_unit IN (...) AND tenant_id = ?` (the ORM's
    query with the central tenant filter) by scanning the tenant's whole index, so purging
    a large trash took quadratic time. `+tenant_id` is the same filter, written so that
    SQLite takes the `deletion_unit` index instead; the rows are then loaded through the
    ORM by primary key, under the central filters. `tables` are models' table names.
    """
    if not tables:
        return []
    sql = " UNION ALL ".join(
        f"SELECT '{table}' AS t, id FROM \"{table}\" WHERE deletion_unit IN :units "  # noqa: S608
        "AND +tenant_id = :tenant_id" for table in tables)
    return [(table, row_id) for table, row_id in
            tenant_sql(sql, {"units": list(units)}, expanding=("units",))]


def cascade_victims(model: type, ids: list[int]) -> list[Any]:
    """Soft-deletable rows, in any state, that the database would remove (or refuse to
    keep) when rows `ids` of `model` are deleted; recursively. Call it inside
    `including_deleted()` to find trashed ones too."""
    links = dependant_links()
    found: list[Any] = []
    seen: set[tuple[str, Any]] = set()
    pending: list[tuple[str, list[int]]] = [(model.__table__.name, list(ids))]
    while pending:
        table, keys = pending.pop(0)
        for link in links:
            if link.target != table:
                continue
            for chunk in chunks(keys):
                rows = [r for r in db.session.scalars(select(link.model).where(
                    link.column.in_(chunk))) if _key(r) not in seen]
                seen.update(_key(r) for r in rows)
                found.extend(rows)
                if rows:
                    pending.append((link.model.__table__.name, [r.id for r in rows]))
    return found


def chunks(values: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """`values` in lists of at most `size` (for IN lists of bounded length)."""
    for start in range(0, len(values), size):
        yield values[start:start + size]
