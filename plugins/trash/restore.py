"""Restoring a unit from the trash: every row of it, or none.

Before anything changes, the restore checks that the unit can come back whole:
- no live row now holds a value that must be unique among live rows (a contact's e-mail, a
  consent's contact and purpose): the database's unique index would refuse it;
- no address in it was erased since (`crm_is_suppressed`);
- nothing it belongs to is itself in the trash (a consent whose contact was trashed after
  it): that has to be restored first.
Any of these refuses the whole restore with a message that says what to do.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Index, and_, inspect, select

from core.db import db
from core.dependants import dependant_links, model_for_table, rows_of_units
from core.events import EventContext, emit, record_type
from core.scoping import including_deleted
from plugins.trash.models import TrashUnit
from plugins.trash.units import label_of

_LIVE_ONLY = re.compile(r"deleted_at\s+IS\s+NULL", re.IGNORECASE)


class RestoreRefused(ValueError):
    """The unit cannot come back as it is; the message says why and what to do."""


def restore_unit(ctx: EventContext, unit: TrashUnit) -> list[Any]:
    """Bring every row of `unit` back from the trash and drop the unit (not committed);
    report each row through `crm_record_restored`. Raise RestoreRefused, changing nothing,
    when the unit cannot come back whole. Returns the restored rows, the unit's record
    first."""
    with including_deleted():
        rows = rows_of_units([unit.unit])
    rows.sort(key=lambda r: (record_type(r), r.id) != (unit.record_type, unit.record_id))
    what = f"{unit.record_type} '{unit.label}'"
    if not rows:
        raise RestoreRefused(f"{what} has nothing left to restore (it was erased); "
                             "empty it from the trash.")
    _check_unique_among_live(rows, what)
    _check_not_suppressed(ctx, rows, what)
    _check_parents_live(rows, what)
    for row in rows:
        row.deleted_at = None
        row.deleted_by = None
        row.deletion_unit = None
    db.session.delete(unit)
    db.session.flush()
    for row in rows:
        emit("crm_record_restored", ctx, record=row)
    return rows


def _live_unique_indexes(model: type) -> list[Index]:
    """Unique indexes that hold among live rows only (`WHERE deleted_at IS NULL`)."""
    found = []
    for index in model.__table__.indexes:
        if not index.unique:
            continue
        wheres = [index.dialect_options[d].get("where") for d in ("sqlite", "postgresql")]
        wheres = [str(w) for w in wheres if w is not None]
        if any(_LIVE_ONLY.search(w) for w in wheres):
            found.append(index)
    return found


def _check_unique_among_live(rows: list[Any], what: str) -> None:
    for row in rows:
        model = type(row)
        mapper = inspect(model)
        for index in _live_unique_indexes(model):
            attrs = [mapper.get_property_by_column(c) for c in index.columns]
            values = {a.key: getattr(row, a.key) for a in attrs}
            if any(v is None for v in values.values()):
                continue
            conditions = [a.class_attribute == values[a.key] for a in attrs]
            clash = db.session.scalar(
                select(model).where(and_(*conditions), model.id != row.id).limit(1)
            )
            if clash is None:
                continue
            shown = {k: v for k, v in values.items() if k != "tenant_id"}
            if "email" in shown:
                raise RestoreRefused(
                    f"{what} cannot be restored: the live {record_type(clash)} "
                    f"'{label_of(clash)}' (#{clash.id}) now has the address "
                    f"{shown['email']}. Change or delete that {record_type(clash)} first; "
                    "nothing was restored."
                )
            fields = ", ".join(f"{k} {v}" for k, v in shown.items())
            raise RestoreRefused(
                f"{what} cannot be restored: the live {record_type(clash)} #{clash.id} has "
                f"the same {fields}. Change or delete it first; nothing was restored."
            )


def _check_not_suppressed(ctx: EventContext, rows: list[Any], what: str) -> None:
    for row in rows:
        email = getattr(row, "email", None)
        if not email:
            continue
        reason = emit("crm_is_suppressed", ctx, email=email)
        if reason:
            raise RestoreRefused(
                f"{what} cannot be restored: its address {email} must not come back "
                f"({reason}). Empty it from the trash instead; nothing was restored."
            )


def _check_parents_live(rows: list[Any], what: str) -> None:
    in_unit = {(record_type(r), r.id) for r in rows}
    links = dependant_links()
    for row in rows:
        for link in links:
            if not isinstance(row, link.model):
                continue
            parent_id = getattr(row, link.column.key)
            parent_model = model_for_table(link.target)
            if parent_id is None or parent_model is None or (link.target, parent_id) in in_unit:
                continue
            live = db.session.scalar(select(parent_model.id).where(parent_model.id == parent_id))
            if live is not None:
                continue
            with including_deleted():
                parent = db.session.get(parent_model, parent_id)
            shown = f"'{label_of(parent)}'" if parent is not None else f"#{parent_id}"
            raise RestoreRefused(
                f"{what} cannot be restored: the {link.target} {shown} it belongs to is in "
                "the trash. Restore that first; nothing was restored."
            )
