"""Audit trail: what recording costs a write and a request, and reading and verifying a
long chain.

* `audit.write_overhead`: 2,000 contact updates (500 with `--quick`), one transaction each
  as users make them, for a tenant with the audit plugin on (each update also appends a
  hash-chained entry) against a tenant with it off, interleaved in the same process.
  Target: ratio <= 1.5 (issue 5).
* `audit.peer_django_auditlog` and `audit.create_update_overhead`: the peer a Django user
  would pick, django-auditlog on a minimal Django app (`bench.peers.django_auditlog_peer`),
  creates 250 contacts (100 with `--quick`) and then changes each one's phone, one
  transaction per write, with the model registered against not registered; then ours makes
  the same writes with the same people through the ORM, audit on against off. The peer's
  ratio is a reference (no target of its own); ours has the target ratio <= the peer's.
  Both on the run's kind of database (SQLite files in WAL mode, or PostgreSQL).
  The write figures take seconds per call: 9 timed calls after 1 warm-up (5 with `--quick`).
* `audit.request_list`, `audit.request_search`, `audit.request_detail`: the contact list
  page (50 rows), the list searched for "novak" and a contact's detail page, requested
  through the real app (logged in, test client) by the admin of the tenant with audit on
  (each request also writes its entry; the detail page also shows the History panel)
  against the one with it off, interleaved. Target: ratio <= 1.15.
* `audit.history`, `audit.filtered_page`, `audit.text_page`, `audit.verify`: a tenant
  whose chain holds 1,000,000 entries (100,000 with `--quick`) spread over five years, 20
  users' worth of actions on 20,000 contacts: one contact's history (target <= 50 ms), a
  filtered page of the admin list (user + action + last 90 days; <= 200 ms), a page of a
  search on labels (<= 200 ms), and verifying the whole chain (>= 100,000 entries/s, i.e.
  a median of at most entries / 100 ms).

The app has the audit plugin installed (the core's benchmarks run without plugins), so
these benchmarks make their own databases (`bench.databases.ScratchDatabases`): SQLite
files under `bench/results/audit/` (the 1,000,000-entry file is cached in
`bench/results/cache/` like the core's data) or PostgreSQL databases
`crm_bench_audit_*_<pid>`, dropped at the end; the Django peer gets one of its own.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import random
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from bench import datagen_audit
from bench.databases import ScratchDatabases
from bench.datagen import generate, schema_fingerprint
from bench.datagen_audit import generate_audit
from bench.runner import (
    Comparison,
    benchmark,
    median_at_most_ms,
    ratio_at_most,
    ratio_at_most_that_of,
    reference_for,
)
from core import demo_data
from core.clock import utcnow
from core.db import db
from core.events import context, set_actor
from core.models import Contact, Tenant, User
from core.schema import upgrade
from core.scoping import all_tenants, tenant_scope
from plugins.audit.models import AuditChain
from plugins.audit.queries import EntryFilter, contact_history, entries_page
from plugins.audit.verify import verify_chain

UPDATES = 2_000
QUICK_UPDATES = 500
# people created + updated per call in the figures of ours and of django-auditlog
PEER_PEOPLE = 250
QUICK_PEER_PEOPLE = 100
# the write figures take seconds per call: fewer timed calls (and one warm-up) each
WRITE_REPEAT = 9
QUICK_WRITE_REPEAT = 5
WRITE_WARMUP = 1
PEER_FIGURE = "audit.peer_django_auditlog"
ENTRIES = 1_000_000
QUICK_ENTRIES = 100_000
CONTACTS = 20_000
QUICK_CONTACTS = 2_000
VERIFY_RATE = 100_000  # entries per second
PAGE_SIZE = 50
PASSWORD = "bench-password-1"
_CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')



def enable_audit(app: Flask, tenant_id: int) -> None:
    """Switch the audit plugin on for a tenant, as `crm plugins enable` does."""
    with app.app_context():
        with all_tenants():
            tenant = db.session.get(Tenant, tenant_id)
        with tenant_scope(tenant_id):
            app.extensions["crm"]["plugins"].enable(context(tenant=tenant, actor="bench"),
                                                    "audit")
            db.session.commit()


def contact_updates(tenant_id: int, contact_ids: list[int], actor: str) -> Callable[[], int]:
    """Return a callable that changes each contact's phone, one transaction per update,
    as `actor` (the tenant's admin), like users editing contacts one by one."""
    calls = 0

    def run() -> int:
        nonlocal calls
        calls += 1
        set_actor(actor)
        with tenant_scope(tenant_id):
            for contact_id in contact_ids:
                contact = db.session.get(Contact, contact_id)
                contact.phone = f"+386 1 {calls:03d} {contact_id % 10_000:04d}"
                db.session.commit()
        db.session.close()
        return len(contact_ids)

    return run


def people_to_write(seed: int, count: int) -> list[dict[str, str | None]]:
    """`count` generated people (Slovenian and international names, e-mail, phone,
    notes): the records both our app and the django-auditlog peer create."""
    rng = random.Random(f"crm-bench-writes:{seed}")
    firms = demo_data.companies(rng, max(1, count // 25))
    return [{"first_name": person.first_name, "last_name": person.last_name,
             "email": person.email, "phone": person.phone, "notes": person.notes}
            for person in demo_data.contacts(rng, count, firms)]


def contact_creates_and_updates(tenant_id: int, people: list[dict[str, str | None]],
                                actor: str) -> Callable[[], int]:
    """Return a callable that creates a contact per entry of `people`, one transaction
    each, then changes each new contact's phone, one transaction each, as `actor`; the
    e-mail gets the call's number so that every call adds new people. It returns the
    number of writes. The same writes as `bench.peers.django_auditlog_peer`."""
    calls = 0

    def run() -> int:
        nonlocal calls
        calls += 1
        set_actor(actor)
        records = []
        with tenant_scope(tenant_id):
            for person in people:
                contact = Contact(**{**person, "email": f"{calls}.{person['email']}"})
                db.session.add(contact)
                db.session.commit()
                records.append(contact)
            for number, contact in enumerate(records):
                contact.phone = f"+386 1 {calls:03d} {number:04d}"
                db.session.commit()
        db.session.close()
        return 2 * len(records)

    return run


def _first_contacts(tenant_id: int, count: int) -> list[int]:
    with tenant_scope(tenant_id):
        return list(db.session.scalars(select(Contact.id).order_by(Contact.id).limit(count)))


def _admin_actor(tenant_id: int) -> str:
    with tenant_scope(tenant_id):
        email = db.session.scalar(select(User.email).order_by(User.id).limit(1))
    return f"user:{email}"


# --- the long chain ----------------------------------------------------------------------------


def long_chain_app(databases: ScratchDatabases, bench: Any, count: int, contacts: int
                   ) -> tuple[Flask, int, bool]:
    """An app whose first tenant's chain holds `count` entries; on SQLite the file is cached
    (keyed by sizes, seed, migrations and this module). Returns (app, tenant id, reused)."""
    params = {"entries": count, "contacts": contacts, "seed": bench.seed}
    if bench.db_kind == "sqlite":
        cache = Path(bench.results_dir) / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        probe = databases.app("sqlite://")
        code = b"".join(Path(f).read_bytes() for f in (__file__, datagen_audit.__file__))
        key_text = json.dumps({"params": params, "schema": schema_fingerprint(probe),
                               "code": hashlib.sha256(code).hexdigest()},
                              sort_keys=True)
        key = hashlib.sha256(key_text.encode()).hexdigest()[:12]
        path = cache / f"audit{count}-seed{bench.seed}-{key}.sqlite3"
        if bench.use_cache and path.exists():
            return databases.app(f"sqlite:///{path}"), 1, True
        building = cache / f"{path.stem}.building-{os.getpid()}.sqlite3"
        app = _build_long_chain(databases, f"sqlite:///{building}", params)
        with app.app_context():
            with db.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            db.engine.dispose()
        os.replace(building, path)
        for suffix in ("-wal", "-shm"):
            Path(f"{building}{suffix}").unlink(missing_ok=True)
        return databases.app(f"sqlite:///{path}"), 1, False
    return _build_long_chain(databases, databases.url("chain"), params), 1, False


def _build_long_chain(databases: ScratchDatabases, url: str, params: dict[str, Any]) -> Flask:
    app = databases.app(url)
    upgrade(app)
    summary = generate(app, tenants=1, contacts_per_tenant=params["contacts"],
                       seed=params["seed"])
    tenant_id = summary.tenant_ids[0]
    enable_audit(app, tenant_id)
    generate_audit(app, tenant_id, params["entries"] - 1, params["seed"])
    return app


def _pick_contact(tenant_id: int) -> int:
    """A contact with an average-sized history (the median of a sample)."""
    with tenant_scope(tenant_id):
        ids = list(db.session.scalars(select(Contact.id).order_by(Contact.id).limit(200)))
    return ids[len(ids) // 2]


def _pick_user(tenant_id: int) -> int:
    with tenant_scope(tenant_id):
        return db.session.scalar(select(User.id).order_by(User.id.desc()).limit(1))


def _closing(function: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        result = function()
        db.session.close()
        return result

    return run


@benchmark("audit")
def audit(bench: Any) -> Iterator[Comparison]:
    """Yield the audit figures: write overhead, then history, pages and verify."""
    databases = ScratchDatabases(bench, "audit", ("audit",), {"ADMIN_PAGE_SIZE": PAGE_SIZE})
    try:
        yield from _write_overhead(bench, databases)
        yield from _long_chain(bench, databases)
    finally:
        databases.close()


def _write_overhead(bench: Any, databases: ScratchDatabases) -> Iterator[Comparison]:
    """Two small tenants, audit on for the first: contact updates, the create + update
    figures beside django-auditlog's, then page requests."""
    updates = QUICK_UPDATES if bench.quick else UPDATES
    app = databases.migrated_app("writes")
    summary = generate(app, tenants=2, contacts_per_tenant=updates, seed=bench.seed)
    audited, plain = summary.tenant_ids
    enable_audit(app, audited)
    with app.app_context():
        actors = {tenant_id: _admin_actor(tenant_id) for tenant_id in (audited, plain)}
        ours = contact_updates(audited, _first_contacts(audited, updates), actors[audited])
        alternative = contact_updates(plain, _first_contacts(plain, updates), actors[plain])
        yield Comparison(
            name="audit.write_overhead",
            description=f"{updates:,} contact updates, one transaction each",
            ours=ours,
            alternative=alternative,
            target=ratio_at_most(1.5),
            ours_label="audit on (entry chained at commit)",
            alternative_label="audit off",
            repeat=_write_repeat(bench), warmup=WRITE_WARMUP,
        )
        yield from _create_update_overhead(bench, databases, audited, plain, actors)
        with tenant_scope(audited):
            report = verify_chain(audited)
        if not report.ok:
            raise AssertionError(f"audit.write_overhead: chain broken: {report.problem}")
        admins = {tenant_id: _admin_with_password(tenant_id) for tenant_id in (audited, plain)}
        contact = {tenant_id: _first_contacts(tenant_id, 1)[0] for tenant_id in (audited, plain)}
        db.session.remove()
    # requests push their own app context (and session), as in production
    clients = {tenant_id: _logged_in(app, email) for tenant_id, email in admins.items()}
    for name, what, path in (
        ("request_list", f"contact list page ({PAGE_SIZE} rows)", "/admin/contacts/"),
        ("request_search", f"contact list searched for 'novak' ({PAGE_SIZE} rows)",
         "/admin/contacts/?search=novak"),
        ("request_detail", "contact detail page", "/admin/contacts/details/?id={id}"),
    ):
        yield Comparison(
            name=f"audit.{name}",
            description=f"{what}, logged-in admin, through the app (test client)",
            ours=_page(clients[audited], path.format(id=contact[audited])),
            alternative=_page(clients[plain], path.format(id=contact[plain])),
            target=ratio_at_most(1.15),
            ours_label="audit on (entry per request)",
            alternative_label="audit off",
        )


def _create_update_overhead(bench: Any, databases: ScratchDatabases, audited: int,
                            plain: int, actors: dict[int, str]) -> Iterator[Comparison]:
    """django-auditlog's write overhead on a minimal Django app, then ours on the same
    writes with the same people, judged against it."""
    try:
        from bench.peers import django_auditlog_peer
    except ImportError as exc:  # Django is only in the `bench` extra
        raise RuntimeError("audit: the django-auditlog peer needs the bench extra "
                           "(make bench, or pip install -e '.[bench]')") from exc
    count = QUICK_PEER_PEOPLE if bench.quick else PEER_PEOPLE
    people = people_to_write(bench.seed, count)
    what = (f"create {count:,} contacts, then change each one's phone, one transaction per "
            f"write ({2 * count:,} writes)")
    peer = django_auditlog_peer.prepare(databases.url("django_auditlog"), people)
    try:
        yield Comparison(
            name=PEER_FIGURE,
            description=f"django-auditlog {_version('django-auditlog')} on Django "
                        f"{_version('django')}: {what}",
            ours=peer.audited, alternative=peer.plain,
            target=reference_for("audit.create_update_overhead"),
            ours_label="model registered (LogEntry per write)",
            alternative_label="model not registered",
            repeat=_write_repeat(bench), warmup=WRITE_WARMUP,
        )
        counts = peer.counts()
        if counts["log_entries"] != counts["audited"] * 2 or counts["plain"] != counts["audited"]:
            raise AssertionError(f"{PEER_FIGURE}: unexpected rows {counts}")
    finally:
        peer.close()
    yield Comparison(
        name="audit.create_update_overhead",
        description=f"ours: {what}",
        ours=contact_creates_and_updates(audited, people, actors[audited]),
        alternative=contact_creates_and_updates(plain, people, actors[plain]),
        target=ratio_at_most_that_of(PEER_FIGURE, "django-auditlog's"),
        ours_label="audit on (entry chained at commit)",
        alternative_label="audit off",
        repeat=_write_repeat(bench), warmup=WRITE_WARMUP,
    )


def _write_repeat(bench: Any) -> int:
    return QUICK_WRITE_REPEAT if bench.quick else WRITE_REPEAT


def _version(distribution: str) -> str:
    return importlib.metadata.version(distribution)


def _admin_with_password(tenant_id: int) -> str:
    """The tenant's admin's e-mail, given a password the benchmark logs in with."""
    with tenant_scope(tenant_id):
        user = db.session.scalar(select(User).order_by(User.id).limit(1))
        user.set_password(PASSWORD)
        email = user.email
        db.session.commit()
    return email


def _logged_in(app: Flask, email: str) -> Any:
    """A test client logged in through the real login form."""
    client = app.test_client()
    token = _CSRF.search(client.get("/login").get_data(as_text=True))
    if token is None:
        raise AssertionError("audit: no CSRF token on /login")
    response = client.post("/login", data={"email": email, "password": PASSWORD,
                                           "csrf_token": token.group(1)})
    if response.status_code != 302:
        raise AssertionError(f"audit: login of {email} failed ({response.status_code})")
    return client


def _page(client: Any, path: str) -> Callable[[], int]:
    def run() -> int:
        response = client.get(path)
        if response.status_code != 200:
            raise AssertionError(f"audit: {path} answered {response.status_code}")
        return len(response.data)

    return run


def _long_chain(bench: Any, databases: ScratchDatabases) -> Iterator[Comparison]:
    count = QUICK_ENTRIES if bench.quick else ENTRIES
    contacts = QUICK_CONTACTS if bench.quick else CONTACTS
    app, tenant_id, _reused = long_chain_app(databases, bench, count, contacts)
    with app.app_context():
        total = db.session.scalar(
            select(AuditChain.last_seq).where(AuditChain.chain == tenant_id))
        scale = f"{total:,} entries in the tenant's chain"
        contact_id = _pick_contact(tenant_id)
        user_id = _pick_user(tenant_id)
        history = _closing(lambda: contact_history(tenant_id, contact_id))
        found = len(history())
        yield Comparison(
            name="audit.history",
            description=f"a contact's history, newest {found} entries ({scale})",
            ours=history, alternative=None, target=median_at_most_ms(50),
            ours_label="contact_history()",
        )
        since = utcnow() - timedelta(days=90)
        criteria = EntryFilter(user_id=user_id, action="updated", since=since)
        page = _closing(lambda: entries_page(tenant_id, criteria, page=1))
        yield Comparison(
            name="audit.filtered_page",
            description=f"page 2 of one user's updates in the last 90 days ({scale})",
            ours=page, alternative=None, target=median_at_most_ms(200),
            ours_label="entries_page(user, action, since)",
        )
        search = _closing(lambda: entries_page(tenant_id, EntryFilter(text="novak")))
        yield Comparison(
            name="audit.text_page",
            description=f"first page of a search for 'novak' in labels ({scale})",
            ours=search, alternative=None, target=median_at_most_ms(200),
            ours_label="entries_page(text)",
        )
        verify = _closing(lambda: verify_chain(tenant_id))
        report = verify()
        if not report.ok:
            raise AssertionError(f"audit.verify: the generated chain does not verify: "
                                 f"{report.problem}")
        yield Comparison(
            name="audit.verify",
            description=(f"verify the whole chain ({scale}; target >= {VERIFY_RATE:,} "
                         f"entries/s; first run {report.entries / report.seconds:,.0f}/s)"),
            ours=verify, alternative=None,
            target=median_at_most_ms(total / VERIFY_RATE * 1000),
            ours_label="verify_chain()",
        )

