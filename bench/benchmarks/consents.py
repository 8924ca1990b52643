"""Consent segments on 200,000 contacts with 600,000 consents (20,000 / 60,000 with
`--quick`), in 2 tenants, with the `gdpr_consents` plugin installed.

The question: which contacts of one tenant hold a consent to `newsletter` valid now, with a
deliverable, personal (not role) address, not in the trash. Ours is what the segment page
and `crm segments export` run: `plugins.gdpr_consents.segments` under `tenant_scope`, with
the central tenant and soft-delete filters. Figures:

- `count`: the segment's count; target median <= 300 ms;
- `count_vs_sql`: the same count against one hand-written SQL query through `text()`;
  target ratio <= 1.5;
- `page_first`: the first page of 50 (with the contacts' companies); target <= 150 ms, and
  the hand-written SQL beside it;
- `export_csv`: the full CSV export through the core's writer into a file; target <= 10 s;
  its tracemalloc peak shows the memory stays flat (rows are streamed).

Before timing, the benchmark checks that ours and the SQL return the same count and ids.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, text

from bench.runner import Comparison, benchmark, median_at_most_ms, ratio_at_most
from core.clock import utcnow
from core.db import UTCDateTime, db
from core.events import context
from core.scoping import tenant_scope
from plugins.gdpr_consents import segments
from plugins.gdpr_consents.email_classes import default_rules

CONTACTS = 200_000
QUICK_CONTACTS = 20_000
TENANTS = 2
CONSENTS_PER_CONTACT = 3
PURPOSE = "newsletter"
PAGE_SIZE = 50

NOT_ROLE = {
    "sqlite": ("NOT (substr(c.email, 1, instr(c.email, '@')) IN :roles_at OR "
               "(instr(c.email, '+') > 0 AND substr(c.email, 1, instr(c.email, '+') - 1) "
               "IN :roles))"),
    "postgresql": "split_part(split_part(c.email, '@', 1), '+', 1) NOT IN :roles",
}

VALID = """k.tenant_id = :tenant_id AND k.purpose_id = :purpose
          AND k.deleted_at IS NULL AND k.state IN ('granted', 'withdrawn', 'expired')
          AND k.given_at <= :at
          AND (k.expires_at IS NULL OR k.expires_at > :at)
          AND (k.withdrawn_at IS NULL OR k.withdrawn_at > :at)"""
CONSENTED = {
    # a count reads every member: the consents once; a page probes per contact
    "all": f"c.id IN (SELECT k.contact_id FROM gdpr_consents_consent k WHERE {VALID})",
    "page": f"EXISTS (SELECT 1 FROM gdpr_consents_consent k WHERE k.contact_id = c.id "
            f"AND {VALID})",
}

SEGMENT_WHERE = """
    c.tenant_id = :tenant_id AND c.deleted_at IS NULL AND c.email IS NOT NULL
    AND {consented}
    AND c.email NOT IN (SELECT u.email FROM gdpr_consents_undeliverable u
                        WHERE u.tenant_id = :tenant_id AND u.cleared_at IS NULL)
    AND {not_role}
"""


def _ctx(tenant_id: int) -> Any:
    host = current_app.extensions["crm"]["plugins"]
    return context(tenant=host.tenant_ref(tenant_id), actor="bench")


def _spec(tenant_id: int, as_of: Any) -> segments.SegmentSpec:
    return segments.build_spec(_ctx(tenant_id), PURPOSE, as_of=as_of)


def orm_count(tenant_id: int, as_of: Any) -> Callable[[], int]:
    """Ours: the segment count through the plugin (as the segment page does)."""

    def run() -> int:
        with tenant_scope(tenant_id):
            total = segments.count(_ctx(tenant_id), _spec(tenant_id, as_of))
        db.session.close()
        return total

    return run


def orm_page(tenant_id: int, as_of: Any) -> Callable[[], list[int]]:
    """Ours: the first page of 50 contacts (with their companies)."""

    def run() -> list[int]:
        with tenant_scope(tenant_id):
            rows = segments.page(_ctx(tenant_id), _spec(tenant_id, as_of), 0, PAGE_SIZE)
            ids = [(c.id, c.company.name if c.company else None) for c in rows]
        db.session.close()
        return [i for i, _ in ids]

    return run


def orm_export(tenant_id: int, as_of: Any, target: Path) -> Callable[[], int]:
    """Ours: the full CSV export of the segment into a file."""

    def run() -> int:
        with tenant_scope(tenant_id):
            ctx = _ctx(tenant_id)
            written = segments.export(ctx, _spec(tenant_id, as_of), "csv", target)
        db.session.close()
        return written

    return run


def _sql(tenant_id: int, purpose_id: int, as_of: Any, tail: str, head: str, shape: str
         ) -> Callable:
    dialect = db.engine.dialect.name
    where = SEGMENT_WHERE.format(consented=CONSENTED[shape], not_role=NOT_ROLE[dialect])
    expanding = [bindparam("roles", expanding=True)]
    if dialect == "sqlite":
        expanding.append(bindparam("roles_at", expanding=True))
    statement = text(head + " WHERE " + where + tail).bindparams(
        *expanding, bindparam("at", type_=UTCDateTime()))
    roles = sorted(default_rules().role_local_parts)
    params = {"tenant_id": tenant_id, "purpose": purpose_id, "at": as_of, "roles": roles,
              "limit": PAGE_SIZE}
    if dialect == "sqlite":
        params["roles_at"] = [f"{role}@" for role in roles]

    def run() -> Any:
        result = db.session.execute(statement, params).all()
        db.session.close()
        return result

    return run


def sql_count(tenant_id: int, purpose_id: int, as_of: Any) -> Callable[[], int]:
    """The same count as one hand-written SQL query."""
    query = _sql(tenant_id, purpose_id, as_of, "", "SELECT count(*) FROM contact c", "all")
    return lambda: query()[0][0]


def sql_page(tenant_id: int, purpose_id: int, as_of: Any) -> Callable[[], list[int]]:
    """The same first page as one hand-written SQL query (company name joined)."""
    query = _sql(tenant_id, purpose_id, as_of,
                 " ORDER BY c.last_name, c.first_name, c.id LIMIT :limit",
                 "SELECT c.id, c.email, c.first_name, c.last_name, co.name FROM contact c "
                 "LEFT JOIN company co ON co.id = c.company_id", "page")
    return lambda: [row[0] for row in query()]


@benchmark("consents")
def consents(ctx: Any) -> Iterator[Comparison]:
    """Yield the segment figures: count, count against SQL, first page, CSV export."""
    contacts = QUICK_CONTACTS if ctx.quick else CONTACTS
    data = ctx.dataset(tenants=TENANTS, contacts_per_tenant=contacts // TENANTS,
                       consents_per_contact=CONSENTS_PER_CONTACT, plugins=("gdpr_consents",))
    tenant_id = data.summary.tenant_ids[0]
    counts = data.summary.counts
    scale = (f"tenant {tenant_id}: {data.summary.live_contacts[tenant_id]:,} live contacts; "
             f"{counts['contacts']:,} contacts and {counts['consents']:,} consents in "
             f"{TENANTS} tenants")
    as_of = utcnow()
    with data.app.app_context(), tempfile.TemporaryDirectory() as folder:
        with tenant_scope(tenant_id):
            purpose_id = _spec(tenant_id, as_of).purpose_rows[0].id
        db.session.close()
        count, page = orm_count(tenant_id, as_of), orm_page(tenant_id, as_of)
        export = orm_export(tenant_id, as_of, Path(folder) / "segment.csv")
        members = count()
        if members != sql_count(tenant_id, purpose_id, as_of)():
            raise AssertionError("consents.count: ours and the SQL differ")
        if page() != sql_page(tenant_id, purpose_id, as_of)():
            raise AssertionError("consents.page_first: ours and the SQL differ")
        if export() != members:
            raise AssertionError("consents.export_csv: the export misses rows")
        labels = {"ours_label": "ours (segments, tenant_scope)",
                  "alternative_label": "hand-written SQL (text())"}
        yield Comparison(
            name="consents.count", description=f"segment '{PURPOSE}' count, {members:,} "
            f"members ({scale})", ours=count, alternative=None,
            target=median_at_most_ms(300), ours_label=labels["ours_label"])
        yield Comparison(
            name="consents.count_vs_sql", description="the same count: ours / hand-written SQL",
            ours=count, alternative=sql_count(tenant_id, purpose_id, as_of),
            target=ratio_at_most(1.5), **labels)
        yield Comparison(
            name="consents.page_first", description=f"first page of {PAGE_SIZE} by name",
            ours=page, alternative=sql_page(tenant_id, purpose_id, as_of),
            target=median_at_most_ms(150), **labels)
        yield Comparison(
            name="consents.export_csv", description=f"full CSV export of {members:,} rows "
            "(streamed; see the peak)", ours=export, alternative=None,
            target=median_at_most_ms(10_000), ours_label="ours (segments.export, csv)")
