"""Purging units from the trash for good: rows and attachment files gone, plugins told first.

Units are purged in batches; each batch is one transaction, and a unit is never split across
two. A batch starts by *claiming* its units: it deletes their `TrashUnit` rows, which is the
first write of the transaction, so a second purge of the same units (a second click on
"Empty", two cron runs at once) waits for the first one's commit and then finds nothing left
to claim. Then, inside the same transaction:

1. every row of the claimed units is read (any soft-deletable model of the app, plugins'
   too), plus the rows the database would remove along with them (`ON DELETE CASCADE`, in
   the trash or not) and the attachments they own;
2. `crm_records_purged` is called with a `RecordRef` for each, so that plugins drop or
   redact what they keep about them (the audit trail blanks its details, the consents
   plugin drops proof files);
3. the attachment files are marked for removal when the transaction commits (never on a
   rollback), and the rows are deleted, children first.

An error anywhere rolls the batch back whole: its units are still in the trash, every file
still on disk. Batches committed before the error stay purged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError

from core.attachments import attachment_store, owned_by
from core.db import db
from core.dependants import (
    cascade_victims,
    chunks,
    rows_of_units,
    soft_deletable_models,
)
from core.events import EventContext, emit, record_type
from core.models import Attachment
from core.records import record_ref
from core.scoping import including_deleted
from plugins.trash.models import TrashUnit

BATCH_UNITS = 250


class PurgeBusy(RuntimeError):
    """The database stayed locked by another writer; the batch was not purged."""


@dataclass
class PurgeResult:
    """What a purge removed: units, rows (all tables) and attachment files; `skipped` are
    units another purge had already taken."""

    units: int = 0
    rows: int = 0
    files: int = 0
    skipped: int = 0

    def add(self, other: PurgeResult) -> None:
        """Add the counts of another batch."""
        self.units += other.units
        self.rows += other.rows
        self.files += other.files
        self.skipped += other.skipped

    def sentence(self) -> str:
        """One line for people."""
        text = (f"Purged {self.units} unit(s) from the trash: {self.rows} row(s) and "
                f"{self.files} attachment file(s) removed for good.")
        if self.skipped:
            text += f" {self.skipped} unit(s) were already purged by another run."
        return text


def purge_units(ctx: EventContext, unit_ids: list[int], batch_units: int = BATCH_UNITS
                ) -> PurgeResult:
    """Purge the units with these ids of `ctx.tenant` (its scope must be set), in batches
    of `batch_units`, committing each batch. Units already gone are skipped."""
    result = PurgeResult()
    for batch in chunks(sorted(set(unit_ids)), max(1, batch_units)):
        try:
            done = purge_batch(ctx, batch)
            db.session.commit()
        except OperationalError as exc:
            db.session.rollback()
            raise PurgeBusy(
                "the database is busy (another purge or a long write is running); the "
                f"current batch was not purged, {result.units} unit(s) were. Run it again."
            ) from exc
        except BaseException:
            db.session.rollback()
            raise
        result.add(done)
    return result


def purge_batch(ctx: EventContext, unit_ids: list[int]) -> PurgeResult:
    """Claim and purge one batch of units in the current transaction (not committed)."""
    claimed = list(db.session.execute(
        delete(TrashUnit).where(TrashUnit.id.in_(unit_ids)).returning(TrashUnit.unit),
        execution_options={"synchronize_session": False},
    ).scalars())
    result = PurgeResult(units=len(claimed), skipped=len(unit_ids) - len(claimed))
    if not claimed:
        return result
    with including_deleted():
        rows = rows_of_units(claimed)
        other_units = _add_cascade_victims(rows)
        rows.extend(_owned_attachments(rows))
        # the batch commits next: the purged rows need not be taken out of the session
        result.rows, result.files = purge_rows(ctx, rows, forget=False)
        _tidy_units(other_units - set(claimed))
    return result


def purge_rows(ctx: EventContext, rows: list[Any], forget: bool = True) -> tuple[int, int]:
    """Remove `rows` for good (not committed): `crm_records_purged` first, attachment
    files on commit, then the rows, children first; with `forget` the rows are also taken
    out of the session (they are gone from the database). Returns (rows, files)."""
    if not rows:
        return 0, 0
    emit("crm_records_purged", ctx, records=[record_ref(r) for r in rows])
    session = db.session()
    store = attachment_store()
    files = 0
    by_model: dict[type, list[int]] = defaultdict(list)
    for row in rows:
        by_model[type(row)].append(row.id)
        if isinstance(row, Attachment):
            store.remove_file_on_commit(row, session)
            files += 1
    session.flush()
    for model in reversed(soft_deletable_models()):
        for chunk in chunks(sorted(set(by_model.get(model, [])))):
            session.execute(
                delete(model).where(model.id.in_(chunk)),
                execution_options={"synchronize_session": False, "include_deleted": True},
            )
    if forget:
        for row in rows:
            if row in session:
                session.expunge(row)
    return len(rows), files


def _add_cascade_victims(rows: list[Any]) -> set[str]:
    """Add to `rows` the soft-deletable rows the database would remove with them; return
    the units those extra rows belonged to."""
    keys = {(record_type(r), r.id) for r in rows}
    by_model: dict[type, list[int]] = defaultdict(list)
    for row in rows:
        by_model[type(row)].append(row.id)
    units: set[str] = set()
    for model, ids in by_model.items():
        for victim in cascade_victims(model, ids):
            if (record_type(victim), victim.id) in keys:
                continue
            keys.add((record_type(victim), victim.id))
            rows.append(victim)
            if victim.deletion_unit:
                units.add(victim.deletion_unit)
    return units


def _owned_attachments(rows: list[Any]) -> list[Attachment]:
    """Attachments of the rows that are not among them (in the trash or live). Only their
    ids are read first: most are among the rows already (a unit holds its attachments), and
    only the others are loaded."""
    have = {r.id for r in rows if isinstance(r, Attachment)}
    by_model: dict[type, list[int]] = defaultdict(list)
    for row in rows:
        if not isinstance(row, Attachment):
            by_model[type(row)].append(row.id)
    missing: set[int] = set()
    for model, ids in by_model.items():
        for chunk in chunks(sorted(ids)):
            missing.update(db.session.scalars(select(Attachment.id).where(
                owned_by(model, chunk))))
    missing -= have
    found: list[Attachment] = []
    for chunk in chunks(sorted(missing)):
        found.extend(db.session.scalars(select(Attachment).where(Attachment.id.in_(chunk))
                                        .order_by(Attachment.id)))
    return found


def _tidy_units(units: set[str]) -> None:
    """Units that lost rows to a cascade: drop the empty ones, recount the others."""
    for unit in sorted(units):
        left = len(rows_of_units([unit]))
        row = db.session.scalar(select(TrashUnit).where(TrashUnit.unit == unit))
        if row is None:
            continue
        if left:
            row.rows = left
        else:
            db.session.delete(row)
