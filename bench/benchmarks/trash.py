"""Trash plugin: purging a big trash, and erasing a person with many records.

* `trash.purge`: 100,000 trashed contacts (5,000 with `--quick`), each one unit with an
  activity it alone took part in and an attachment file on disk, purged by
  `plugins.trash.purge.purge_units` (batches of 250 units per transaction, `crm_records_purged`
  with a `RecordRef` per row, files removed at each commit) against the same question as
  hand-written SQL (`DELETE ... WHERE deletion_unit IN (...)` per table, one transaction,
  then unlinking the files), each on a tenant of its own. A purge uses up its data, so this
  figure runs once per side. Target: what a user needs, an absolute time: a trash of
  100,000 contacts emptied (by `crm trash empty` or the nightly `crm trash purge-expired`)
  within 2 minutes, i.e. 1.2 ms per unit (6 s for the 5,000 of `--quick`). The hand-written
  SQL beside it shows the floor; ours does more on purpose (it tells the plugins about every
  row, loads the rows it reports, and commits every 250 units so that no writer waits long
  behind it), so the ratio is reported, not judged.
* `trash.erase`: a contact with 10,000 related rows (1,000 with `--quick`): 6,000 activities
  with only them, 2,000 activities shared with someone else and 2,000 attachment files,
  erased by `plugins.trash.erasure.erase_subject` (the core's and every enabled plugin's
  `crm_subject_erase`, trash units settled, the ledger written) against hand-written SQL
  deleting the same rows. Each call erases a new person: 3 timed calls after 1 warm-up per
  side. Target: median <= 10 s (1 s with `--quick`).

The app has only the trash plugin installed and enabled (what the other plugins add to a
purge is theirs to measure). The data are generated here by Core `INSERT`s into their own
database: a SQLite file under `bench/results/trash/` or the PostgreSQL database
`crm_bench_trash_<pid>`, dropped at the end (on PostgreSQL `ANALYZE` runs after the
inserts, as autovacuum would); the attachment files go to
`bench/results/trash/instance/attachments/`.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, insert, select, text

from bench.databases import ScratchDatabases
from bench.runner import Comparison, benchmark, median_at_most_ms
from core.attachments import attachment_store
from core.clock import utcnow
from core.db import db
from core.events import context
from core.models import Activity, Attachment, Contact, Tenant, activity_participant
from core.models.crm import ActivityKind
from core.scoping import all_tenants, including_deleted, tenant_scope
from core.text import search_key
from plugins.trash.erasure import ERASE, erase_subject, find_by_email
from plugins.trash.models import TrashUnit
from plugins.trash.purge import purge_units

PURGE_CONTACTS = 100_000
QUICK_PURGE_CONTACTS = 5_000
RELATED = 10_000
QUICK_RELATED = 1_000
PURGE_MS_PER_UNIT = 1.2  # 100,000 contacts in 2 minutes
ERASE_REPEAT = 3
ERASE_WARMUP = 1
BATCH = 5_000
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --- data -----------------------------------------------------------------------------------


def _insert(table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(table), rows[start:start + BATCH])


def _next_id(model: Any) -> int:
    """The next free id, trashed rows counted (the table's column: no central filter)."""
    return int(db.session.scalar(select(func.max(model.__table__.c.id))) or 0) + 1


def new_tenant(app: Flask, slug: str) -> int:
    """A tenant with the trash plugin enabled; returns its id."""
    with app.app_context():
        with all_tenants():
            tenant = Tenant(slug=slug, name=f"Bench {slug}")
            db.session.add(tenant)
            db.session.commit()
        with tenant_scope(tenant.id):
            app.extensions["crm"]["plugins"].enable(context(tenant=tenant, actor="bench"),
                                                    "trash")
            db.session.commit()
        return tenant.id


def _file(app: Flask, tenant_id: int) -> tuple[str, str]:
    """Write one attachment file; return (storage key, sha256 placeholder)."""
    key = secrets.token_hex(16)
    folder = attachment_store().root / str(tenant_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / key).write_bytes(PDF)
    return key, "0" * 64


def make_trashed_contacts(app: Flask, tenant_id: int, count: int) -> list[int]:
    """Insert `count` contacts in the trash, 40 days ago, each its own unit with an activity
    it alone took part in and an attachment file; return the unit ids."""
    now = utcnow()
    when = now - timedelta(days=40)
    with app.app_context(), all_tenants():
        first_contact, first_activity = _next_id(Contact), _next_id(Activity)
        first_attachment = _next_id(Attachment)
        units = [str(uuid.uuid4()) for _ in range(count)]
        trashed = {"deleted_at": when, "deleted_by": "user:bench@example.com",
                   "tenant_id": tenant_id}
        contacts, activities, participants, attachments, unit_rows = [], [], [], [], []
        for n, unit in enumerate(units):
            cid, aid = first_contact + n, first_activity + n
            email = f"oseba{cid}@bench.example"
            contacts.append({
                "id": cid, "first_name": "Oseba", "last_name": f"Št. {cid}", "email": email,
                "phone": f"+386 1 {cid:07d}", "notes": "Rada ima mačke.",
                "search_key": search_key("Oseba", f"Št. {cid}", email),
                "deletion_unit": unit, "created_at": when, "updated_at": when, **trashed})
            activities.append({
                "id": aid, "kind": ActivityKind.CALL, "subject": f"Klic z osebo {cid}",
                "body": None, "occurred_at": when, "search_key": search_key(f"Klic z osebo {cid}"),
                "deletion_unit": unit, "created_at": when, "updated_at": when, **trashed})
            participants.append({"activity_id": aid, "contact_id": cid})
            key, digest = _file(app, tenant_id)
            attachments.append({
                "id": first_attachment + n, "owner_type": "contact", "owner_id": cid,
                "filename": f"pogodba-{cid}.pdf", "content_type": "application/pdf",
                "size": len(PDF), "sha256": digest, "storage_key": key,
                "deletion_unit": unit, "created_at": when, **trashed})
            unit_rows.append({
                "tenant_id": tenant_id, "unit": unit, "record_type": "contact",
                "record_id": cid, "label": f"Oseba Št. {cid}", "rows": 3,
                "deleted_at": when, "deleted_by": "user:bench@example.com"})
        _insert(Contact.__table__, contacts)
        _insert(Activity.__table__, activities)
        _insert(activity_participant, participants)
        _insert(Attachment.__table__, attachments)
        _insert(TrashUnit.__table__, unit_rows)
        _sync_sequences()
        db.session.commit()
        with tenant_scope(tenant_id):
            return list(db.session.scalars(select(TrashUnit.id).order_by(TrashUnit.id)))


def make_busy_person(app: Flask, tenant_id: int, related: int, number: int) -> str:
    """Insert a live contact with `related` rows: 60% activities with only them, 20%
    activities shared with another contact, 20% attachment files; return the address."""
    now = utcnow()
    own, shared = related * 6 // 10, related * 2 // 10
    files = related - own - shared
    with app.app_context(), all_tenants():
        cid, other = _next_id(Contact), _next_id(Contact) + 1
        email = f"zaposlena{number}@bench.example"
        live = {"tenant_id": tenant_id, "created_at": now, "updated_at": now}
        _insert(Contact.__table__, [
            {"id": cid, "first_name": "Zaposlena", "last_name": f"Oseba {number}",
             "email": email, "search_key": search_key("Zaposlena", email), **live},
            {"id": other, "first_name": "Sodelavec", "last_name": f"{number}",
             "email": f"sodelavec{number}@bench.example", "search_key": "sodelavec", **live},
        ])
        first = _next_id(Activity)
        activities, participants = [], []
        for n in range(own + shared):
            aid = first + n
            activities.append({"id": aid, "kind": ActivityKind.NOTE, "subject": f"Zapis {n}",
                               "occurred_at": now, "search_key": f"zapis {n}", **live})
            participants.append({"activity_id": aid, "contact_id": cid})
            if n >= own:
                participants.append({"activity_id": aid, "contact_id": other})
        _insert(Activity.__table__, activities)
        _insert(activity_participant, participants)
        first_attachment = _next_id(Attachment)
        rows = []
        for n in range(files):
            key, digest = _file(app, tenant_id)
            rows.append({"id": first_attachment + n, "owner_type": "contact", "owner_id": cid,
                         "filename": f"dokument-{n}.pdf", "content_type": "application/pdf",
                         "size": len(PDF), "sha256": digest, "storage_key": key,
                         "tenant_id": tenant_id, "created_at": now})
        _insert(Attachment.__table__, rows)
        _sync_sequences()
        db.session.commit()
        return email


def analyze(app: Flask) -> None:
    """PostgreSQL: gather statistics after the bulk inserts, as autovacuum would long before
    a real trash got this big (SQLite is left as the app leaves it, like `bench.datagen`)."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")


def _sync_sequences() -> None:
    if db.engine.dialect.name != "postgresql":
        return
    for name in ("contact", "activity", "attachment", "trash_unit", "tenant"):
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"))


# --- the two sides --------------------------------------------------------------------------


def ours_purge(app: Flask, tenant_id: int, unit_ids: list[int]) -> Callable[[], int]:
    """Purge the units with the trash plugin."""

    def run() -> int:
        with app.app_context():
            with all_tenants():
                tenant = db.session.get(Tenant, tenant_id)
            with tenant_scope(tenant_id):
                result = purge_units(context(tenant=tenant, actor="bench"), unit_ids)
            db.session.remove()
        return result.rows

    return run


def sql_purge(app: Flask, tenant_id: int) -> Callable[[], int]:
    """The floor: hand-written deletes of every row of the tenant's units, then the files."""
    units = "SELECT unit FROM trash_unit WHERE tenant_id = :t"

    def run() -> int:
        with app.app_context():
            with db.engine.begin() as connection:
                keys = connection.execute(text(
                    f"SELECT storage_key FROM attachment WHERE tenant_id = :t AND "
                    f"deletion_unit IN ({units})"), {"t": tenant_id}).scalars().all()
                removed = 0
                for table in ("attachment", "activity", "contact"):
                    removed += connection.execute(text(
                        f"DELETE FROM {table} WHERE tenant_id = :t AND deletion_unit IN "
                        f"({units})"), {"t": tenant_id}).rowcount
                connection.execute(text("DELETE FROM trash_unit WHERE tenant_id = :t"),
                                   {"t": tenant_id})
            folder = attachment_store().root / str(tenant_id)
            for key in keys:
                (folder / key).unlink(missing_ok=True)
        return removed

    return run


def ours_erase(app: Flask, tenant_id: int, emails: list[str]) -> Callable[[], int]:
    """Erase the next prepared person with the trash plugin's erasure."""
    queue = list(emails)

    def run() -> int:
        email = queue.pop(0)
        with app.app_context():
            with all_tenants():
                tenant = db.session.get(Tenant, tenant_id)
            with tenant_scope(tenant_id):
                subject = find_by_email(email)
                lines = erase_subject(context(tenant=tenant, actor="bench"), tenant, subject,
                                      ERASE)
                db.session.commit()
            db.session.remove()
        return len(lines)

    return run


def sql_erase(app: Flask, tenant_id: int, emails: list[str]) -> Callable[[], int]:
    """The floor: hand-written deletes of the same rows, then the files."""
    queue = list(emails)

    def run() -> int:
        email = queue.pop(0)
        params = {"t": tenant_id, "e": email}
        contact = "SELECT id FROM contact WHERE tenant_id = :t AND email = :e"
        only = (f"SELECT activity_id FROM activity_participant WHERE activity_id IN "
                f"(SELECT activity_id FROM activity_participant WHERE contact_id IN ({contact}))"
                f" GROUP BY activity_id HAVING count(*) = 1")
        with app.app_context():
            with db.engine.begin() as connection:
                keys = connection.execute(text(
                    f"SELECT storage_key FROM attachment WHERE tenant_id = :t AND ("
                    f"(owner_type = 'contact' AND owner_id IN ({contact})) OR "
                    f"(owner_type = 'activity' AND owner_id IN ({only})))"), params
                ).scalars().all()
                connection.execute(text(
                    f"DELETE FROM attachment WHERE tenant_id = :t AND ("
                    f"(owner_type = 'contact' AND owner_id IN ({contact})) OR "
                    f"(owner_type = 'activity' AND owner_id IN ({only})))"), params)
                removed = connection.execute(text(
                    f"DELETE FROM activity WHERE tenant_id = :t AND id IN ({only})"),
                    params).rowcount
                connection.execute(text(
                    "DELETE FROM contact WHERE tenant_id = :t AND email = :e"), params)
            folder = attachment_store().root / str(tenant_id)
            for key in keys:
                (folder / key).unlink(missing_ok=True)
        return removed

    return run


@dataclass
class Left:
    """What is left of a tenant's data after a side ran (both must leave the same)."""

    contacts: int
    activities: int
    attachments: int
    files: int


def left_of(app: Flask, tenant_id: int) -> Left:
    """Count the tenant's rows (trash included) and files."""
    with app.app_context(), tenant_scope(tenant_id), including_deleted():
        counts = [db.session.scalar(select(func.count()).select_from(m))
                  for m in (Contact, Activity, Attachment)]
        folder = attachment_store().root / str(tenant_id)
        files = len(list(folder.iterdir())) if folder.exists() else 0
        db.session.remove()
    return Left(*counts, files)


@benchmark("trash")
def trash(ctx: Any) -> Iterator[Comparison]:
    """Yield the purge and the erasure figures."""
    contacts = QUICK_PURGE_CONTACTS if ctx.quick else PURGE_CONTACTS
    related = QUICK_RELATED if ctx.quick else RELATED
    database = ScratchDatabases(ctx, "trash", ("trash",))
    app = database.migrated_app("trash")
    try:
        ours_tenant, sql_tenant = new_tenant(app, "ours"), new_tenant(app, "sql")
        ours_units = make_trashed_contacts(app, ours_tenant, contacts)
        make_trashed_contacts(app, sql_tenant, contacts)
        analyze(app)
        ours_side, sql_side = ours_purge(app, ours_tenant, ours_units), sql_purge(app,
                                                                                 sql_tenant)
        yield Comparison(
            name="trash.purge",
            description=(f"purge {contacts:,} trashed contacts, each with an activity and an "
                         f"attachment file ({3 * contacts:,} rows, {contacts:,} files)"),
            ours=ours_side, alternative=sql_side,
            target=median_at_most_ms(contacts * PURGE_MS_PER_UNIT,
                                     f"{PURGE_MS_PER_UNIT:g} ms per unit: 100,000 in 2 min"),
            ours_label="ours (purge_units, batches of 250)",
            alternative_label="hand-written SQL, one transaction",
            repeat=1, warmup=0, measure_memory=False,
        )
        if left_of(app, ours_tenant) != Left(0, 0, 0, 0) or left_of(app, sql_tenant) != Left(
                0, 0, 0, 0):
            raise AssertionError("trash.purge: a side left rows or files behind")

        calls = ERASE_REPEAT + ERASE_WARMUP
        ours_tenant, sql_tenant = new_tenant(app, "ours-erase"), new_tenant(app, "sql-erase")
        ours_people = [make_busy_person(app, ours_tenant, related, n) for n in range(calls)]
        sql_people = [make_busy_person(app, sql_tenant, related, n) for n in range(calls)]
        analyze(app)
        limit = 1_000 if ctx.quick else 10_000
        yield Comparison(
            name="trash.erase",
            description=(f"erase a contact with {related:,} related rows (activities alone "
                         "and shared, attachment files)"),
            ours=ours_erase(app, ours_tenant, ours_people),
            alternative=sql_erase(app, sql_tenant, sql_people),
            target=median_at_most_ms(limit),
            ours_label="ours (erase_subject, core + plugins)",
            alternative_label="hand-written SQL deletes",
            repeat=ERASE_REPEAT, warmup=ERASE_WARMUP, measure_memory=False,
        )
        if left_of(app, ours_tenant) != left_of(app, sql_tenant):
            raise AssertionError("trash.erase: the two sides left different data")
    finally:
        database.close()
