"""`crm trash list|restore|empty|purge-expired` and `crm erase` (the trash plugin's commands).

`purge-expired` is meant for cron: it goes over every tenant, is idempotent and works in
batches. Errors are one sentence on stderr with exit code 1; bad usage exits 2.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from core.cli.common import CliError, cli_actor, echo_json, get_tenant, record_model
from core.clock import to_local
from core.db import db
from core.emails import InvalidEmail, normalize_email
from core.events import SYSTEM_ACTOR, context, set_actor
from core.ids import RECORD_ID
from core.scoping import tenant_scope
from plugins.trash import PLUGIN, ledger
from plugins.trash.erasure import (
    ANONYMIZE,
    ERASE,
    address_preview,
    erase_subject,
    find_by_email,
    preview,
)
from plugins.trash.purge import BATCH_UNITS, PurgeBusy, purge_units
from plugins.trash.restore import RestoreRefused, restore_unit
from plugins.trash.retention import purge_expired, retention_days
from plugins.trash.units import (
    UnitNotFound,
    adopt_orphans,
    all_unit_ids,
    expiry_of,
    get_unit,
    list_units,
)

BATCH_OPTION = click.option(
    "--batch-size", type=click.IntRange(min=1, max=10_000), default=BATCH_UNITS,
    show_default=True, help="Units purged per transaction (a unit is never split).")


@click.group("trash", cls=AppGroup)
def trash() -> None:
    """Look into, restore from, empty and purge the trash (trash plugin)."""


def _local(moment, tenant) -> str:
    return to_local(moment, tenant.time_zone).strftime("%Y-%m-%d %H:%M")


@trash.command("list")
@click.option("--tenant", "tenant_slug", required=True, help="The tenant's slug.")
@click.option("--type", "record_type", help="Only units of this type (contact, company, ...).")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON: [{id, type, label, rows, deleted_at, deleted_by, purge_after}].")
def list_(tenant_slug: str, record_type: str | None, as_json: bool) -> None:
    """List the tenant's trash, newest first."""
    tenant = get_tenant(tenant_slug)
    if record_type is not None:
        record_model(record_type, "--type")
    with tenant_scope(tenant.id):
        days = retention_days(tenant.id)
        page = list_units(record_type=record_type, page_size=1_000_000)
        items = [{
            "id": u.id, "type": u.record_type, "label": u.label, "rows": u.rows,
            "deleted_at": to_local(u.deleted_at, tenant.time_zone).isoformat(),
            "deleted_by": u.deleted_by,
            "purge_after": to_local(expiry_of(u, days), tenant.time_zone).isoformat(),
        } for u in page.units]
    if as_json:
        echo_json(items)
        return
    for u in page.units:
        click.echo(f"{u.id:>6}  {u.record_type:<22} {u.label[:40]:<40} {u.rows:>4} row(s)  "
                   f"{_local(u.deleted_at, tenant)}  {u.deleted_by}")
    if not items:
        click.echo(f"The trash of '{tenant.slug}' is empty.")


@trash.command("restore")
@click.argument("unit_id", type=RECORD_ID)
@click.option("--tenant", "tenant_slug", required=True, help="The tenant's slug.")
def restore(unit_id: int, tenant_slug: str) -> None:
    """Restore unit UNIT_ID (see `crm trash list`) with everything trashed with it."""
    tenant = get_tenant(tenant_slug)
    set_actor(cli_actor(), tenant=tenant)
    with tenant_scope(tenant.id):
        try:
            unit = get_unit(unit_id)
            label = f"{unit.record_type} '{unit.label}'"
            rows = restore_unit(context(tenant=tenant), unit)
            db.session.commit()
        except UnitNotFound:
            db.session.rollback()
            raise CliError(f"There is no unit {unit_id} in the trash of '{tenant.slug}'; see "
                           f"'crm trash list --tenant {tenant.slug}'.") from None
        except RestoreRefused as exc:
            db.session.rollback()
            raise CliError(str(exc)) from None
    click.echo(f"Restored {label} with {len(rows)} row(s).")


@trash.command("empty")
@click.option("--tenant", "tenant_slug", required=True, help="The tenant's slug.")
@BATCH_OPTION
def empty(tenant_slug: str, batch_size: int) -> None:
    """Purge everything in the tenant's trash for good (rows and files)."""
    tenant = get_tenant(tenant_slug)
    set_actor(cli_actor(), tenant=tenant)
    with tenant_scope(tenant.id):
        adopt_orphans(tenant.id)
        db.session.commit()
        ids = all_unit_ids()
        try:
            result = purge_units(context(tenant=tenant), ids, batch_size)
        except PurgeBusy as exc:
            raise CliError(f"Emptying stopped: {exc}") from None
    click.echo(f"{tenant.slug}: {result.sentence()}")


@trash.command("purge-expired")
@click.option("--tenant", "tenant_slug", help="Only this tenant (default: every tenant).")
@BATCH_OPTION
def purge_expired_command(tenant_slug: str | None, batch_size: int) -> None:
    """Purge units older than each tenant's retention (idempotent; for cron)."""
    tenant = get_tenant(tenant_slug) if tenant_slug else None
    set_actor(SYSTEM_ACTOR)
    try:
        reports = purge_expired(SYSTEM_ACTOR, tenant=tenant, batch_units=batch_size)
    except PurgeBusy as exc:
        raise CliError(f"Purging stopped: {exc}") from None
    for report in reports:
        click.echo(f"{report.slug} (retention {report.retention_days} days): "
                   f"{report.result.sentence()}")
    total = sum(r.result.units for r in reports)
    click.echo(f"Purged {total} expired unit(s) in {len(reports)} tenant(s) with a trash.")



@click.command("erase")
@with_appcontext
@click.argument("email")
@click.option("--tenant", "tenant_slug", required=True, help="The tenant's slug.")
@click.option("--dry-run", is_flag=True, help="Only show what would be erased.")
@click.option("--anonymize", is_flag=True,
              help="Keep business records; replace the person's details instead.")
def erase(email: str, tenant_slug: str, dry_run: bool, anonymize: bool) -> None:
    """Erase the person with address EMAIL (exact address; trashed records too)."""
    try:
        address = normalize_email(email)
    except InvalidEmail as exc:
        raise click.BadParameter(str(exc), param_hint="EMAIL") from None
    tenant = get_tenant(tenant_slug)
    host = current_app.extensions["crm"]["plugins"]
    if not host.is_enabled(tenant.id, PLUGIN):
        raise CliError(f"The trash plugin is not enabled for '{tenant.slug}', so its erasure "
                       f"ledger could not keep the person from coming back; enable it with "
                       f"'crm plugins enable trash --tenant {tenant.slug}'.")
    set_actor(cli_actor(), tenant=tenant)
    ctx = context(tenant=tenant)
    mode = ANONYMIZE if anonymize else ERASE
    with tenant_scope(tenant.id):
        subject = find_by_email(address)
        by_address = address_preview(ctx, subject)
        if not subject.contacts and not by_address:
            _nobody(tenant, address)
            return
        if dry_run:
            _show_preview(ctx, subject, mode, tenant, by_address)
            db.session.rollback()
            return
        try:
            lines = erase_subject(ctx, tenant, subject, mode)
            db.session.commit()
        except ledger.LedgerError as exc:
            db.session.rollback()
            raise CliError(f"Nothing was erased: {exc}.") from None
    verb = "Erased" if mode == ERASE else "Anonymized"
    click.echo(f"{verb} {address} in '{tenant.slug}' ({len(subject.contacts)} contact(s)):")
    for line in lines:
        click.echo(f"  {line}")


def _nobody(tenant, address: str) -> None:
    done = ledger.find(tenant.id, address)
    if done is not None:
        click.echo(f"{address} was already {done.mode}d in '{tenant.slug}' on "
                   f"{_local(done.erased_at, tenant)}; nothing about it is left.")
        return
    raise CliError(f"No contact of '{tenant.slug}' has the address {address} (the match is "
                   "exact); check the address. Nothing was erased.")


def _show_preview(ctx, subject, mode: str, tenant, by_address) -> None:
    click.echo(f"Dry run: would {mode} {subject.email} in '{tenant.slug}'; nothing was "
               "changed.")
    total = 0
    for item in preview(ctx, subject):
        state = " (in the trash)" if item.trashed else ""
        click.echo(f"contact #{item.contact.id} {item.contact.full_name}{state}")
        for section in item.sections:
            click.echo(f"  {section.title} [{section.plugin}]: {len(section.rows)} row(s)")
        total += item.row_count
    if by_address:
        click.echo(f"kept under the address {subject.email} and no contact")
        for section in by_address:
            click.echo(f"  {section.title} [{section.plugin}]: {len(section.rows)} row(s)")
            total += len(section.rows)
    click.echo(f"{len(subject.contacts)} contact(s), {total} row(s) listed. Run again without "
               f"--dry-run to {mode}.")


COMMANDS = [trash, erase]
