"""A seeded, fast generator of benchmark data, and a cache of generated SQLite files.

`generate(app, ...)` fills a database whose schema was made by `core.schema.upgrade(app)`
with tenants, users, companies (with Slovenian and foreign postal addresses), contacts (names
and e-mail addresses from `core.demo_data`, about one in twelve a role address), tags,
activities and their participants. Rows go in through Core `INSERT ... executemany` in
batches of `BATCH_SIZE`: that bypasses the ORM and its tenant
listener (fine for a generator), so the generator sets what the models would have set itself:
explicit ids, `search_key` via `core.text.search_key`, and aware UTC timestamps from
`core.clock.utcnow()`. A small share of contacts is in the trash (`deleted_at` set), so the
central soft-delete filter has rows to drop.

The same seed and sizes give the same rows, except for timestamps, which are relative to now.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Table, func, insert, select

from core import demo_data
from core.clock import add_months, utcnow, zone
from core.db import db
from core.models import (
    Activity,
    Company,
    Contact,
    Role,
    Tag,
    Tenant,
    TenantPlugin,
    User,
    activity_participant,
    contact_tag,
)
from core.models.crm import ActivityKind
from core.schema import app_tables, migration_dirs
from core.scoping import all_tenants
from core.text import search_key

BATCH_SIZE = 5_000
USERS_PER_TENANT = 5
TRASHED_SHARE = 0.02
# Not a usable password hash: benchmark users never log in.
NO_LOGIN_HASH = "bench:no-login"


@dataclass
class Summary:
    """What `generate` made: the tenant ids and row counts (totals and per tenant)."""

    tenant_ids: list[int]
    counts: dict[str, int]
    live_contacts: dict[int, int] = field(default_factory=dict)
    seed: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Summary:
        """Rebuild a summary saved with `as_dict` (JSON turns int keys into strings)."""
        return cls(
            tenant_ids=[int(t) for t in data["tenant_ids"]],
            counts={k: int(v) for k, v in data["counts"].items()},
            live_contacts={int(k): int(v) for k, v in data.get("live_contacts", {}).items()},
            seed=int(data.get("seed", 0)),
        )


def _batches(rows: Iterable[dict[str, Any]], size: int = BATCH_SIZE) -> Iterator[list[dict]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(table: Table, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    for batch in _batches(rows):
        db.session.execute(insert(table), batch)
        count += len(batch)
    return count


def _next_id(table: Table) -> int:
    return int(db.session.execute(select(func.max(table.c.id))).scalar() or 0) + 1


def generate(
    app: Flask,
    *,
    tenants: int = 2,
    contacts_per_tenant: int = 100_000,
    companies_per_tenant: int | None = None,
    activities_per_tenant: int | None = None,
    seed: int = 2024,
    analyze: bool | None = None,
    consents_per_contact: int = 0,
    audit_entries_per_tenant: int = 0,
) -> Summary:
    """Fill the app's (migrated) database with `tenants` tenants of generated data.

    Defaults: one company per 25 contacts and one activity per two contacts. Each tenant gets
    its own `random.Random` derived from `seed`, so sizes and seed fix the rows.
    `analyze` runs ANALYZE at the end; by default only on PostgreSQL, where autovacuum would
    gather statistics anyway. SQLite is left as the app leaves it (no `sqlite_stat1`): with
    statistics its planner takes `ix_contact_deleted_at` for "deleted_at IS NULL" and sorts.
    `consents_per_contact` > 0 also fills the `gdpr_consents` plugin's tables (the app must
    have it installed; see `generate_consents`). `audit_entries_per_tenant` > 0 also fills
    each tenant's audit trail (the app must have the `audit` plugin installed; see
    `bench.datagen_audit.generate_audit`).
    Returns a `Summary` with the new tenant ids and the row counts.
    """
    if companies_per_tenant is None:
        companies_per_tenant = max(1, contacts_per_tenant // 25)
    if activities_per_tenant is None:
        activities_per_tenant = contacts_per_tenant // 2
    counts = dict.fromkeys(
        ["tenants", "users", "companies", "contacts", "trashed_contacts", "tags",
         "contact_tags", "activities", "activity_participants"],
        0,
    )
    summary = Summary(tenant_ids=[], counts=counts, seed=seed)
    now = utcnow()
    with app.app_context(), all_tenants():
        if db.engine.dialect.name == "sqlite":
            # A large page cache keeps the random index inserts in memory.
            db.session.connection().exec_driver_sql("PRAGMA cache_size=-262144")
        for index in range(tenants):
            rng = random.Random(f"crm-bench:{seed}:{index}")
            live = _generate_tenant(
                rng, now, summary, contacts_per_tenant, companies_per_tenant,
                activities_per_tenant,
            )
            summary.live_contacts[summary.tenant_ids[-1]] = live
            db.session.commit()
        if consents_per_contact:
            generate_consents(summary, now, per_contact=consents_per_contact, seed=seed)
        if db.engine.dialect.name == "postgresql":
            _sync_sequences()
        if analyze is None:
            analyze = db.engine.dialect.name == "postgresql"
        if analyze:
            db.session.connection().exec_driver_sql("ANALYZE")
        db.session.commit()
        db.session.remove()
    if audit_entries_per_tenant:
        # imported here: only a dataset with the audit plugin needs it (and its tables)
        from bench.datagen_audit import generate_audit

        for tenant_id in summary.tenant_ids:
            generate_audit(app, tenant_id, audit_entries_per_tenant, seed)
        summary.counts["audit_entries"] = audit_entries_per_tenant * len(summary.tenant_ids)
    return summary


def _generate_tenant(
    rng: random.Random,
    now: Any,
    summary: Summary,
    contacts: int,
    companies: int,
    activities: int,
) -> int:
    """Insert one tenant's rows; return its number of live contacts."""
    counts = summary.counts
    tenant_id = _next_id(Tenant.__table__)
    _insert(Tenant.__table__, [{
        "id": tenant_id,
        "slug": f"bench-{tenant_id}",
        "name": f"Bench {tenant_id} d.o.o.",
        "time_zone": "Europe/Ljubljana",
        "created_at": now,
    }])
    summary.tenant_ids.append(tenant_id)
    counts["tenants"] += 1

    first_user = _next_id(User.__table__)
    user_ids = list(range(first_user, first_user + USERS_PER_TENANT))
    counts["users"] += _insert(User.__table__, ({
        "id": user_id,
        "tenant_id": tenant_id,
        "email": f"user{user_id}@bench-{tenant_id}.example",
        "full_name": f"{rng.choice(demo_data.FIRST_NAMES)} {rng.choice(demo_data.LAST_NAMES)}",
        "password_hash": NO_LOGIN_HASH,
        "role": Role.ADMIN if user_id == first_user else Role.USER,
        "active": True,
        "session_token": f"{rng.getrandbits(128):032x}",
        "created_at": now,
        "last_login_at": None,
    } for user_id in user_ids))

    first_tag = _next_id(Tag.__table__)
    tag_ids = {name: first_tag + i for i, name in enumerate(demo_data.TAGS)}
    counts["tags"] += _insert(Tag.__table__, (
        {"id": tag_id, "name": name, "tenant_id": tenant_id} for name, tag_id in tag_ids.items()
    ))

    generated_companies = demo_data.companies(rng, companies)
    first_company = _next_id(Company.__table__)
    counts["companies"] += _insert(Company.__table__, ({
        "id": first_company + i,
        "name": c.name,
        "vat_id": c.vat_id,
        "website": f"https://{c.domain}",
        "phone": c.phone,
        "address": demo_data.postal_address(rng),
        "notes": None,
        "search_key": search_key(c.name, c.vat_id),
        "tenant_id": tenant_id,
        "deleted_at": None,
        "deleted_by": None,
        "deletion_unit": None,
        "created_at": now,
        "updated_at": now,
    } for i, c in enumerate(generated_companies)))

    first_contact = _next_id(Contact.__table__)
    contact_companies: list[int | None] = []
    tag_rows: list[dict[str, int]] = []
    trashed = 0

    def contact_rows() -> Iterator[dict[str, Any]]:
        nonlocal trashed
        people = demo_data.contacts(rng, contacts, generated_companies)
        for offset, person in enumerate(people):
            contact_id = first_contact + offset
            company_id = (
                None if person.company_index is None else first_company + person.company_index
            )
            contact_companies.append(company_id)
            tag_rows.extend(
                {"contact_id": contact_id, "tag_id": tag_ids[name]} for name in person.tags
            )
            in_trash = rng.random() < TRASHED_SHARE
            trashed += in_trash
            yield {
                "id": contact_id,
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": person.email,
                "phone": person.phone,
                "company_id": company_id,
                "owner_id": rng.choice(user_ids),
                "notes": person.notes,
                "search_key": search_key(person.first_name, person.last_name, person.email),
                "tenant_id": tenant_id,
                "deleted_at": now - timedelta(days=rng.randint(0, 29)) if in_trash else None,
                "deleted_by": "bench@example.com" if in_trash else None,
                "deletion_unit": (
                    str(uuid.UUID(int=rng.getrandbits(128), version=4)) if in_trash else None
                ),
                "created_at": now,
                "updated_at": now,
            }

    counts["contacts"] += _insert(Contact.__table__, contact_rows())
    counts["trashed_contacts"] += trashed
    counts["contact_tags"] += _insert(contact_tag, tag_rows)

    first_activity = _next_id(Activity.__table__)
    participant_rows: list[dict[str, int]] = []
    kinds = list(ActivityKind)

    def activity_rows() -> Iterator[dict[str, Any]]:
        for offset in range(activities):
            activity_id = first_activity + offset
            kind = rng.choice(kinds)
            subject = rng.choice(demo_data.ACTIVITY_SUBJECTS[kind.value])
            participants = rng.sample(
                range(first_contact, first_contact + contacts), k=min(contacts, rng.choice(
                    [1, 1, 1, 2, 3]))
            )
            participant_rows.extend(
                {"activity_id": activity_id, "contact_id": contact_id}
                for contact_id in participants
            )
            moment = demo_data.activity_moment(rng, now)
            yield {
                "id": activity_id,
                "kind": kind,
                "subject": subject,
                "body": rng.choice([None, "Dogovorili smo se za naslednji korak."]),
                "occurred_at": moment,
                "company_id": contact_companies[participants[0] - first_contact],
                "owner_id": rng.choice(user_ids),
                "search_key": search_key(subject),
                "tenant_id": tenant_id,
                "deleted_at": None,
                "deleted_by": None,
                "deletion_unit": None,
                "created_at": moment,
                "updated_at": moment,
            }

    if contacts:
        counts["activities"] += _insert(Activity.__table__, activity_rows())
        counts["activity_participants"] += _insert(activity_participant, participant_rows)
    return contacts - trashed


def _sync_sequences() -> None:
    """PostgreSQL: move each id sequence past the explicit ids the generator inserted."""
    connection = db.session.connection()
    names = [t.__tablename__ for t in (Tenant, User, Tag, Company, Contact, Activity)]
    # only the tables this app has: the metadata also knows plugins other benchmarks import
    present = {table.name for table in app_tables(current_app)}
    names += [name for name in CONSENT_TABLES if name in present]
    for name in names:
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
        )


# --- the gdpr_consents plugin's data (kept apart: other plugins add their own function) ------

CONSENT_TABLES = ("gdpr_consents_purpose", "gdpr_consents_consent",
                  "gdpr_consents_undeliverable", "tenant_plugin")
CONSENT_PURPOSES = (("newsletter", "Newsletter", 24), ("events", "Events", 24),
                    ("sms", "SMS", 12))
UNDELIVERABLE_SHARE = 0.01
TRASHED_CONSENT_SHARE = 0.01


def _consent_row(rng: random.Random, now: Any, tz: Any, months: int) -> dict[str, Any]:
    """The state and times of one generated consent: about half valid now, the rest
    expired (by time or by state), withdrawn, refused, pending or open-ended."""
    row: dict[str, Any] = dict.fromkeys(
        ("given_at", "duration_months", "expires_at", "withdrawn_at", "refused_at",
         "requested_at"))
    draw = rng.random()
    if draw < 0.88 or draw >= 0.94:
        state = "granted"
        if draw < 0.50:
            given = now - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 1439))
        elif draw < 0.70:
            given = now - timedelta(days=rng.randint(800, 1200))
            state = "granted" if draw < 0.60 else "expired"
        elif draw < 0.82:
            given = now - timedelta(days=rng.randint(300, 700))
            state = "withdrawn"
            row["withdrawn_at"] = now - timedelta(days=rng.randint(1, 200))
        elif draw < 0.88:
            given = now - timedelta(days=rng.randint(1, 700))
        else:
            given, months = now - timedelta(days=rng.randint(1, 1000)), 0
        row["given_at"] = given
        if months:
            row["duration_months"] = months
            row["expires_at"] = add_months(given, months, tz)
    elif draw < 0.91:
        state = "refused"
        row["refused_at"] = now - timedelta(days=rng.randint(1, 700))
    else:
        state = "pending"
        row["requested_at"] = now - timedelta(hours=rng.randint(1, 200))
    row["state"] = state
    return row


def _consent_rows(
    rng: random.Random, now: Any, tz: Any, tenant_id: int, contact_ids: list[int],
    purposes: list[tuple[int, int]], first_id: int, per_contact: int, counts: dict[str, int],
) -> Iterator[dict[str, Any]]:
    number = 0
    for contact_id in contact_ids:
        for index in range(per_contact):
            purpose_id, months = purposes[index % len(purposes)]
            trashed = rng.random() < TRASHED_CONSENT_SHARE
            counts["trashed_consents"] += trashed
            yield {
                "id": first_id + number, "tenant_id": tenant_id, "contact_id": contact_id,
                "purpose_id": purpose_id, **_consent_row(rng, now, tz, months),
                "source": rng.choice(("manual", "import", "web_form", "mailchimp")),
                "source_detail": None, "withdrawal_reason": None, "recorded_by": "bench",
                "recorded_by_id": None, "ip": None, "user_agent": None, "notice_id": None,
                "notice_version": None, "notice_hash": None,
                "deleted_at": now if trashed else None,
                "deleted_by": "bench" if trashed else None, "deletion_unit": None,
                "created_at": now, "updated_at": now,
            }
            number += 1


def generate_consents(summary: Summary, now: Any, *, per_contact: int = 3, seed: int = 2024
                      ) -> None:
    """Fill the `gdpr_consents` tables for every tenant of `summary`: the plugin enabled,
    the purposes newsletter, events and sms, `per_contact` consents per contact (one per
    purpose, cycling; about half valid now, the rest in every other state, 1% trashed) and
    undeliverable marks on about 1% of the addresses. Consent events are not generated
    (no segment query reads them). Adds the counts to `summary`."""
    # imported here: only a dataset with consents needs the plugin (and its tables)
    from plugins.gdpr_consents.models import Consent, Purpose, Undeliverable

    counts = summary.counts
    for key in ("purposes", "consents", "trashed_consents", "undeliverable"):
        counts.setdefault(key, 0)
    tz = zone("Europe/Ljubljana")
    for tenant_id in summary.tenant_ids:
        rng = random.Random(f"crm-bench-consents:{seed}:{tenant_id}")
        _insert(TenantPlugin.__table__, [{
            "id": _next_id(TenantPlugin.__table__), "tenant_id": tenant_id,
            "plugin": "gdpr_consents", "enabled": True, "changed_at": now,
            "changed_by": "bench"}])
        first_purpose = _next_id(Purpose.__table__)
        purposes = [(first_purpose + i, months) for i, (_c, _n, months)
                    in enumerate(CONSENT_PURPOSES)]
        counts["purposes"] += _insert(Purpose.__table__, ({
            "id": first_purpose + i, "tenant_id": tenant_id, "code": code, "name": name,
            "description": None, "legal_basis": "consent", "default_months": months,
            "marketing": True, "active": True, "created_at": now, "updated_at": now,
        } for i, (code, name, months) in enumerate(CONSENT_PURPOSES)))
        contacts = db.session.execute(
            select(Contact.__table__.c.id, Contact.__table__.c.email)
            .where(Contact.__table__.c.tenant_id == tenant_id)
            .order_by(Contact.__table__.c.id)
        ).all()
        rows = _consent_rows(rng, now, tz, tenant_id, [c for c, _ in contacts], purposes,
                             _next_id(Consent.__table__), per_contact, counts)
        counts["consents"] += _insert(Consent.__table__, rows)
        first_mark = _next_id(Undeliverable.__table__)
        marked = [(cid, email) for cid, email in contacts
                  if email and rng.random() < UNDELIVERABLE_SHARE]
        counts["undeliverable"] += _insert(Undeliverable.__table__, ({
            "id": first_mark + i, "tenant_id": tenant_id, "email": email, "contact_id": cid,
            "marked_at": now, "reason": "hard bounce", "source": "mailchimp", "detail": None,
            "marked_by": "bench", "cleared_at": None, "cleared_by": None,
        } for i, (cid, email) in enumerate(marked)))
        db.session.commit()


def schema_fingerprint(app: Flask) -> str:
    """Return a short hash of the app's migration scripts and of this generator's code.

    It stands for "schema revision" in the cache key: any change to a migration, to the
    generator or to `core.demo_data` makes a new key.
    """
    digest = hashlib.sha256()
    files = [Path(__file__), Path(demo_data.__file__)]
    for folder in migration_dirs(app).values():
        files.extend(sorted(Path(folder).glob("*.py")))
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def remove_sqlite_file(path: Path) -> None:
    """Remove a SQLite file with its WAL, shared-memory and journal files."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def cached_sqlite_dataset(
    cache_dir: Path,
    make_app: Any,
    *,
    use_cache: bool = True,
    plugins: tuple[str, ...] = (),
    **params: Any,
) -> tuple[Flask, Summary, bool]:
    """Return (app, summary, reused) for a generated SQLite file from `cache_dir`.

    `make_app(uri)` builds an app for a database URI (with `plugins` installed). `params`
    go to `generate`. The file is keyed by the sizes, the seed, the plugins and
    `schema_fingerprint`; it is generated under a temporary name and renamed when complete,
    so a crash never leaves a half-filled cache entry. Benchmarks must only read from it.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = schema_fingerprint(make_app("sqlite://"))
    keyed = {**params, "plugins": list(plugins)} if plugins else params
    key_text = json.dumps({"params": keyed, "schema": fingerprint}, sort_keys=True)
    key = hashlib.sha256(key_text.encode()).hexdigest()[:12]
    size = params.get("tenants", 2) * params.get("contacts_per_tenant", 0)
    stem = f"contacts{size}-seed{params.get('seed', 0)}-{key}"
    path = cache_dir / f"{stem}.sqlite3"
    meta = cache_dir / f"{stem}.json"
    if use_cache and path.exists() and meta.exists():
        summary = Summary.from_dict(json.loads(meta.read_text())["summary"])
        return make_app(f"sqlite:///{path}"), summary, True

    building = cache_dir / f"{stem}.building-{os.getpid()}.sqlite3"
    remove_sqlite_file(building)
    from core.schema import upgrade

    builder = make_app(f"sqlite:///{building}")
    upgrade(builder)
    summary = generate(builder, **params)
    with builder.app_context():
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
    remove_sqlite_file(path)
    os.replace(building, path)
    remove_sqlite_file(building)
    meta.write_text(json.dumps({"key": key_text, "summary": summary.as_dict()}, indent=2))
    return make_app(f"sqlite:///{path}"), summary, False
