"""Contact list page on 200,000 contacts: the ORM query under `tenant_scope` against the same
question asked as hand-written SQL through `text()`.

Ours is what a contact list page does: `select(Contact)` ordered by last name, first name and
id, 50 rows at an offset, plus the count, for one tenant; the tenant and soft-delete filters
are added by the central listener. The alternative spells them out
(`tenant_id = :t AND deleted_at IS NULL`). Both end like a request does, by closing the
session. Figures: the first page, a page in the middle, and a search for "Zupančič" on the
normalized `search_key`. Target: ours at most 1.5 times the hand-written SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import func, select, text

from bench.runner import Comparison, benchmark, ratio_at_most
from core.db import db
from core.models import Contact
from core.scoping import tenant_scope
from core.text import search_key

PAGE_SIZE = 50
CONTACTS = 200_000
QUICK_CONTACTS = 20_000
TENANTS = 2
SEARCH_TERM = "Zupančič"

COLUMNS = (
    "id, first_name, last_name, email, phone, company_id, owner_id, notes, search_key, "
    "tenant_id, deleted_at, deleted_by, deletion_unit, created_at, updated_at"
)


def orm_list(tenant_id: int, page: int, term: str | None = None) -> Callable[[], Any]:
    """Return a callable doing the contact list page with the ORM: rows and count."""

    def run() -> tuple[list[int], int]:
        with tenant_scope(tenant_id):
            query = select(Contact)
            count_query = select(func.count()).select_from(Contact)
            if term:
                matches = Contact.search_key.like(f"%{search_key(term)}%")
                query = query.where(matches)
                count_query = count_query.where(matches)
            query = query.order_by(Contact.last_name, Contact.first_name, Contact.id)
            contacts = db.session.scalars(
                query.limit(PAGE_SIZE).offset(page * PAGE_SIZE)
            ).all()
            total = db.session.scalar(count_query)
        db.session.close()
        return [contact.id for contact in contacts], total

    return run


def sql_list(tenant_id: int, page: int, term: str | None = None) -> Callable[[], Any]:
    """Return a callable asking the same question as hand-written SQL through `text()`."""
    where = "tenant_id = :t AND deleted_at IS NULL"
    if term:
        where += " AND search_key LIKE :pattern"
    page_sql = text(
        f"SELECT {COLUMNS} FROM contact WHERE {where} "
        "ORDER BY last_name, first_name, id LIMIT :limit OFFSET :offset"
    )
    count_sql = text(f"SELECT count(*) FROM contact WHERE {where}")

    def run() -> tuple[list[int], int]:
        params: dict[str, Any] = {"t": tenant_id}
        if term:
            params["pattern"] = f"%{search_key(term)}%"
        rows = db.session.execute(
            page_sql, {**params, "limit": PAGE_SIZE, "offset": page * PAGE_SIZE}
        ).all()
        total = db.session.execute(count_sql, params).scalar_one()
        db.session.close()
        return [row.id for row in rows], total

    return run


@benchmark("contact_list")
def contact_list(ctx: Any) -> Iterator[Comparison]:
    """Yield the contact list figures: first page, middle page, search; each with count."""
    contacts = QUICK_CONTACTS if ctx.quick else CONTACTS
    data = ctx.dataset(tenants=TENANTS, contacts_per_tenant=contacts // TENANTS)
    tenant_id = data.summary.tenant_ids[0]
    live = data.summary.live_contacts[tenant_id]
    middle = live // PAGE_SIZE // 2
    scale = f"tenant {tenant_id}: {live:,} live contacts of {contacts:,} in {TENANTS} tenants"
    cases = [
        ("page_first", f"first page + count ({scale})", 0, None),
        ("page_middle", f"page {middle + 1} + count ({scale})", middle, None),
        ("search", f"search '{SEARCH_TERM}', first page + count ({scale})", 0, SEARCH_TERM),
    ]
    with data.app.app_context():
        for name, description, page, term in cases:
            ours, alternative = orm_list(tenant_id, page, term), sql_list(tenant_id, page, term)
            if ours() != alternative():
                raise AssertionError(f"contact_list.{name}: ORM and SQL answers differ")
            yield Comparison(
                name=f"contact_list.{name}",
                description=description,
                ours=ours,
                alternative=alternative,
                target=ratio_at_most(1.5),
                ours_label="ours (ORM, tenant_scope)",
                alternative_label="hand-written SQL (text())",
            )
