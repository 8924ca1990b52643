"""A right-of-access export of one busy person: 5,000 activities, 50 consents and 10,000
audit entries (500, 10 and 1,000 with `--quick`), to Word and to Excel.

Each figure is the whole export a user waits for: gathering the person's sections through
`crm_subject_data` on the core and every enabled plugin, writing the file through the core's
DOCX helper or XLSX writer, keeping the export record and reporting it through
`crm_records_exported` (rolled back after each call, so the data stays the same). Target:
a median of at most 5 s each (issue 9).

Unlike the core's benchmarks this one needs plugins, so it builds its own app with the
installed plugins among `export`, `gdpr_consents` and `audit` on a database of its own
(`bench.databases.ScratchDatabases`: a SQLite file in `bench/results/export/` or the
PostgreSQL database `crm_bench_export_export_<pid>`, removed afterwards).
Consents come from the `gdpr_consents` plugin and audit entries from the `audit` plugin
(recorded by emitting `crm_record_viewed`, as a detail page does); a section only appears
in the export when its plugin contributes one through `crm_subject_data`. The figure's
description says which sections and how many rows the export held.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from flask import Flask

from bench.databases import ScratchDatabases
from bench.runner import Comparison, benchmark, median_at_most_ms
from core.clock import utcnow
from core.db import db
from core.events import context
from core.models import Activity, Company, Contact, Tenant
from core.models.crm import ActivityKind
from core.plugin_host import discover
from core.scoping import tenant_scope

SIZES = {"activities": 5_000, "consents": 50, "audit": 10_000}
QUICK_SIZES = {"activities": 500, "consents": 10, "audit": 1_000}
WANTED_PLUGINS = ("export", "gdpr_consents", "audit")
TARGET_MS = 5_000
BATCH = 1_000


def _app(ctx: Any) -> tuple[Flask, ScratchDatabases]:
    available = discover()
    plugins = tuple(name for name in WANTED_PLUGINS if name in available)
    if "export" not in plugins:
        raise RuntimeError("the export plugin is not available; install the project")
    databases = ScratchDatabases(ctx, "export", plugins)
    return databases.migrated_app("export"), databases


def _generate(app: Flask, sizes: dict[str, int]) -> tuple[int, int, list[str]]:
    """Make the tenant and the busy person; return (tenant id, contact id, notes)."""
    notes: list[str] = []
    host = app.extensions["crm"]["plugins"]
    tenant = Tenant(slug="bench-export", name="Bench Export d.o.o.")
    db.session.add(tenant)
    db.session.commit()
    ctx = context(tenant=tenant, actor="cli:bench")
    with tenant_scope(tenant.id):
        for name in ("export", "gdpr_consents"):
            if name in host.installed:
                host.enable(ctx, name)
        db.session.commit()
        company = Company(name="Lipa d.o.o.")
        person = Contact(first_name="Ana", last_name="Novak Čebelič", email="ana.novak@lipa.si",
                         company=company, notes="Stranka od 2019.")
        other = Contact(first_name="Janez", last_name="Kranjski", email="janez@lipa.si",
                        company=company)
        db.session.add_all([company, person, other])
        db.session.flush()
        start = utcnow() - timedelta(days=4 * 365)
        kinds = list(ActivityKind)
        for number in range(sizes["activities"]):
            participants = [person, other] if number % 10 == 0 else [person]
            db.session.add(Activity(
                kind=kinds[number % len(kinds)], subject=f"Sestanek št. {number} o ponudbi",
                body="Dogovorili smo se o naslednjih korakih; =SUM(A1) ostane besedilo.",
                occurred_at=start + timedelta(hours=7 * number), company=company,
                participants=participants))
            if number % BATCH == BATCH - 1:
                db.session.flush()
        db.session.commit()
        notes.append(f"{sizes['activities']:,} activities")
        notes.append(_consents(ctx, host, person, sizes["consents"]))
        notes.append(_audit(ctx, host, person, sizes["audit"]))
        return tenant.id, person.id, notes


def _consents(ctx: Any, host: Any, person: Contact, count: int) -> str:
    if "gdpr_consents" not in host.installed:
        return "no consents (gdpr_consents not installed)"
    purposes = importlib.import_module("plugins.gdpr_consents.purposes")
    consents = importlib.import_module("plugins.gdpr_consents.consents")
    given = utcnow() - timedelta(days=30)
    for number in range(count):
        purpose = purposes.create_purpose(f"bench{number}", f"Namen {number}",
                                          default_months=24)
        consents.grant(ctx, person, purpose, given_at=given, source="manual",
                       reason="bench")
    db.session.commit()
    return f"{count} consents"


def _audit(ctx: Any, host: Any, person: Contact, count: int) -> str:
    if "audit" not in host.installed:
        return "no audit entries (audit not installed)"
    host.enable(ctx, "audit")
    db.session.commit()
    caller = host.caller_for(ctx.tenant_id, "crm_record_viewed")
    for number in range(count):
        caller(ctx=ctx, record=person)
        if number % BATCH == BATCH - 1:
            db.session.commit()
    db.session.commit()
    return f"{count:,} audit entries about the person"


def _export(tenant_id: int, contact_id: int, file_format: str) -> Any:
    from plugins.export.service import pack_for, produce

    def run() -> int:
        with tenant_scope(tenant_id):
            tenant = db.session.get(Tenant, tenant_id)
            ctx = context(tenant=tenant, actor="cli:bench")
            contact = db.session.get(Contact, contact_id)
            pack = pack_for(ctx, "contact", contact)
            size = len(produce(ctx, pack, file_format, via="bench").data)
            db.session.rollback()
        db.session.close()
        return size

    return run


def _contents(tenant_id: int, contact_id: int) -> str:
    from plugins.export.service import pack_for

    with tenant_scope(tenant_id):
        tenant = db.session.get(Tenant, tenant_id)
        ctx = context(tenant=tenant, actor="cli:bench")
        pack = pack_for(ctx, "contact", db.session.get(Contact, contact_id))
        parts = [f"{s.key} {len(s.items):,}" for s in pack.sections if s.items]
    db.session.close()
    return ", ".join(parts)


@benchmark("export")
def export(ctx: Any) -> Iterator[Comparison]:
    """Yield the Word and Excel figures of one busy person's export."""
    sizes = QUICK_SIZES if ctx.quick else SIZES
    app, databases = _app(ctx)
    try:
        with app.app_context():
            tenant_id, contact_id, notes = _generate(app, sizes)
            contents = _contents(tenant_id, contact_id)
            for file_format in ("docx", "xlsx"):
                run = _export(tenant_id, contact_id, file_format)
                size = run()
                yield Comparison(
                    name=f"export.{file_format}",
                    description=(f"one person's export to .{file_format} ({size / 1024:,.0f} "
                                 f"KiB; generated: {'; '.join(notes)}; rows per section: "
                                 f"{contents})"),
                    ours=run,
                    alternative=None,
                    target=median_at_most_ms(TARGET_MS),
                    ours_label="gather + write + record",
                )
    finally:
        databases.close()
