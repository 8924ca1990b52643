"""Moving a record and its dependants to the trash as one unit, and reading the trash.

`trash_record` is what `crm_delete_record` does: the record and what belongs to it (found by
`core.dependants`: a contact's activities it alone took part in, its attachments, and the
rows of other plugins' models that belong to it, such as consents) get the same new
`deletion_unit`, `deleted_at` and `deleted_by`, and a `TrashUnit` row describes them. From
then on the central soft-delete filter hides every one of them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from core.db import db
from core.dependants import chunks, dependants_of, rows_of_units, soft_deletable_models
from core.events import EventContext, record_type
from core.ids import parse_id
from core.scoping import SoftDeletable, including_deleted
from plugins.trash.models import TrashUnit

TRASHED = "trashed"
LABEL_LENGTH = 255


class UnitNotFound(LookupError):
    """No unit with that id in the tenant's trash (or not one this user may see)."""


def can_trash(record: Any) -> bool:
    """True for records of this app's soft-deletable models (others are deleted for real)."""
    return isinstance(record, SoftDeletable) and type(record) in soft_deletable_models()


def trash_record(ctx: EventContext, record: Any) -> str | None:
    """Move `record` and its dependants to the trash as one unit (not committed); return
    `"trashed"`, or None when the record cannot go to the trash (the core then deletes it).
    A record already in the trash stays in its unit."""
    if not can_trash(record):
        return None
    if record.deleted_at is not None:
        return TRASHED
    rows = [record, *dependants_of(record)]
    unit = str(uuid.uuid4())
    for row in rows:
        row.deleted_at = ctx.at
        row.deleted_by = ctx.actor[:255]
        row.deletion_unit = unit
    db.session.add(TrashUnit(
        tenant_id=record.tenant_id,
        unit=unit,
        record_type=record_type(record),
        record_id=record.id,
        label=label_of(record),
        rows=len(rows),
        deleted_at=ctx.at,
        deleted_by=ctx.actor[:255],
        deleted_by_id=ctx.user_id,
    ))
    return TRASHED


def label_of(record: Any) -> str:
    """A short label of a record for the trash list."""
    text = str(record) if type(record).__str__ is not object.__str__ else ""
    return (text or f"{record_type(record)} #{record.id}")[:LABEL_LENGTH]


@dataclass(frozen=True)
class UnitPage:
    """One page of the trash list."""

    units: list[TrashUnit]
    total: int
    page: int
    pages: int
    types: list[str]


def list_units(*, record_type: str | None = None, deleted_by_id: int | None = None,
               page: int = 0, page_size: int = 50) -> UnitPage:
    """The tenant's trashed units, newest first, optionally of one type or deleted by one
    user, one page of them; plus the types present (for the filter)."""
    query = select(TrashUnit)
    if record_type:
        query = query.where(TrashUnit.record_type == record_type)
    if deleted_by_id is not None:
        query = query.where(TrashUnit.deleted_by_id == deleted_by_id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(page, 0), pages - 1)
    units = list(db.session.scalars(
        query.order_by(TrashUnit.deleted_at.desc(), TrashUnit.id.desc())
        .limit(page_size).offset(page * page_size)
    ))
    types_query = select(TrashUnit.record_type).distinct().order_by(TrashUnit.record_type)
    if deleted_by_id is not None:
        types_query = types_query.where(TrashUnit.deleted_by_id == deleted_by_id)
    return UnitPage(units, total, page, pages, list(db.session.scalars(types_query)))


def all_unit_ids() -> list[int]:
    """Ids of every unit in the tenant's trash, oldest first."""
    return list(db.session.scalars(select(TrashUnit.id).order_by(TrashUnit.id)))


def totals() -> tuple[int, int]:
    """(units, rows) in the tenant's trash."""
    units, rows = db.session.execute(
        select(func.count(TrashUnit.id), func.coalesce(func.sum(TrashUnit.rows), 0))
    ).one()
    return int(units), int(rows)


def get_unit(unit_id: Any, deleted_by_id: int | None = None) -> TrashUnit:
    """The tenant's unit with id `unit_id` (only the user's own when `deleted_by_id` is
    given); raise UnitNotFound otherwise, also for ids that are not numbers."""
    key = parse_id(unit_id)
    if key is None:
        raise UnitNotFound(unit_id)
    query = select(TrashUnit).where(TrashUnit.id == key)
    if deleted_by_id is not None:
        query = query.where(TrashUnit.deleted_by_id == deleted_by_id)
    unit = db.session.scalar(query)
    if unit is None:
        raise UnitNotFound(unit_id)
    return unit


def get_units(unit_ids: list[Any]) -> list[TrashUnit]:
    """The tenant's units with these ids; raise UnitNotFound when one is not there."""
    keys: set[int] = set()
    for raw in unit_ids:
        key = parse_id(raw)
        if key is None:
            raise UnitNotFound(raw)
        keys.add(key)
    units: list[TrashUnit] = []
    for chunk in chunks(sorted(keys)):
        units.extend(db.session.scalars(select(TrashUnit).where(TrashUnit.id.in_(chunk))))
    if len(units) != len(keys):
        raise UnitNotFound(sorted(keys - {u.id for u in units}))
    return units


def expiry_of(unit: TrashUnit, retention_days: int) -> datetime:
    """When retention purges the unit."""
    return unit.deleted_at + timedelta(days=retention_days)


def adopt_orphans(tenant_id: int, batch: int = 1000) -> int:
    """Give a `TrashUnit` to trashed rows that have none (trashed before the plugin was
    installed, or by hand), so that the trash page shows them and retention purges them;
    rows sharing a `deletion_unit` become one unit, a row without one its own. Not
    committed; returns how many units were made."""
    made = 0
    known = set(db.session.scalars(select(TrashUnit.unit)))
    with including_deleted():
        for model in soft_deletable_models():
            orphans = list(db.session.scalars(
                select(model).where(model.deleted_at.is_not(None))
                .where(model.deletion_unit.is_(None) | model.deletion_unit.not_in(
                    select(TrashUnit.unit)))
                .order_by(model.id).limit(batch)
            ))
            for row in orphans:
                if row.deletion_unit in known:
                    continue
                if row.deletion_unit is None:
                    row.deletion_unit = str(uuid.uuid4())
                members = rows_of_units([row.deletion_unit])
                db.session.add(TrashUnit(
                    tenant_id=tenant_id, unit=row.deletion_unit, record_type=record_type(row),
                    record_id=row.id, label=label_of(row), rows=max(len(members), 1),
                    deleted_at=row.deleted_at, deleted_by=row.deleted_by or "unknown",
                ))
                known.add(row.deletion_unit)
                made += 1
    db.session.flush()
    return made
