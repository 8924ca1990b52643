"""Retention: how long trashed units stay, and purging those whose time is up.

Each tenant sets `retention_days` (default 30) on the plugins page. `purge_expired` goes over
every tenant that has anything in the trash (whether or not the plugin is still enabled for
it: data trashed while it was on must not stay forever), gives orphaned trashed rows a unit,
and purges the units trashed more than that many days ago, in batches. Running it again
purges nothing more, so it is safe in cron at any frequency.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import select

from core.clock import utcnow
from core.db import db
from core.dependants import soft_deletable_models
from core.events import EventContext, context
from core.models import Tenant
from core.scoping import all_tenants, including_deleted, tenant_scope
from core.settings import Setting, get_setting
from plugins.trash import PLUGIN
from plugins.trash.models import TrashUnit
from plugins.trash.purge import BATCH_UNITS, PurgeResult, purge_units
from plugins.trash.units import adopt_orphans

RETENTION_KEY = "retention_days"
DEFAULT_RETENTION_DAYS = 30

SETTINGS = [
    Setting(RETENTION_KEY, "int", DEFAULT_RETENTION_DAYS,
            "Days a deleted record stays in the trash",
            help="After this many days `crm trash purge-expired` removes it for good.",
            minimum=1, maximum=3650),
]


def retention_days(tenant_id: int) -> int:
    """The tenant's retention in days."""
    return int(get_setting(tenant_id, PLUGIN, RETENTION_KEY))


def expired_unit_ids(tenant_id: int, now: datetime) -> list[int]:
    """Ids of the tenant's units trashed more than its retention before `now`."""
    cutoff = now - timedelta(days=retention_days(tenant_id))
    with tenant_scope(tenant_id):
        return list(db.session.scalars(
            select(TrashUnit.id).where(TrashUnit.deleted_at < cutoff).order_by(TrashUnit.id)
        ))


def tenants_with_trash() -> list[Tenant]:
    """Tenants that have units or trashed rows, by slug."""
    with all_tenants(), including_deleted():
        ids = set(db.session.scalars(select(TrashUnit.tenant_id).distinct()))
        for model in soft_deletable_models():
            ids.update(db.session.scalars(
                select(model.tenant_id).where(model.deleted_at.is_not(None)).distinct()))
        if not ids:
            return []
        return list(db.session.scalars(
            select(Tenant).where(Tenant.id.in_(sorted(ids))).order_by(Tenant.slug)))


@dataclass
class TenantPurge:
    """What retention did for one tenant."""

    slug: str
    retention_days: int
    result: PurgeResult = field(default_factory=PurgeResult)


def purge_expired(actor: str, now: datetime | None = None, tenant: Tenant | None = None,
                  batch_units: int = BATCH_UNITS) -> list[TenantPurge]:
    """Purge the expired units of every tenant (or of `tenant`), as `actor`; commits per
    batch. Returns one report per tenant looked at."""
    now = now or utcnow()
    reports = []
    for row in [tenant] if tenant is not None else tenants_with_trash():
        ctx: EventContext = replace(context(tenant=row, actor=actor), at=now)
        with tenant_scope(row.id):
            adopt_orphans(row.id)
            db.session.commit()
            report = TenantPurge(row.slug, retention_days(row.id))
            ids = expired_unit_ids(row.id, now)
            report.result = purge_units(ctx, ids, batch_units)
        reports.append(report)
    return reports
