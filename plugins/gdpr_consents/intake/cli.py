"""Intake commands: `crm consents import`, `crm consents template`, `crm consents mapping`
and the `crm webhooks` group. `attach(consents)` adds the consent subcommands to the
plugin's `consents` group."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from tqdm import tqdm

from core.cli.common import OUTPUT_PATH, CliError, echo_json, output_file
from core.db import db
from plugins.gdpr_consents.cli import TENANT, tenant_command
from plugins.gdpr_consents.intake import webhooks
from plugins.gdpr_consents.intake.importer import ImportRefused, run_import, save_mapping
from plugins.gdpr_consents.intake.readers import Limits
from plugins.gdpr_consents.intake.template import write_template
from plugins.gdpr_consents.intake.values import DATE_FORMATS


def limits_from_config() -> Limits:
    """The import limits of the app (`CRM_IMPORT_MAX_BYTES`, `..._MAX_UNCOMPRESSED`,
    `..._MAX_ROWS`)."""
    config = current_app.config
    base = Limits()
    return Limits(int(config.get("IMPORT_MAX_BYTES", base.max_bytes)),
                  int(config.get("IMPORT_MAX_UNCOMPRESSED", base.max_uncompressed)),
                  int(config.get("IMPORT_MAX_ROWS", base.max_rows)))


@click.command("import")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@TENANT
@click.option("--dry-run", is_flag=True, help="Show what would change; store nothing.")
@click.option("--mapping", default=None, help="A saved column mapping to use.")
@click.option("--purpose", default=None,
              help="Purpose code for a sheet without a purpose column (or a Mailchimp export).")
@click.option("--date-format", type=click.Choice(list(DATE_FORMATS)), default=None,
              help="How to read slashed dates such as 1/2/2020 (dmy or mdy).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def consents_import(file: Path, tenant_slug: str, dry_run: bool, mapping: str | None,
                    purpose: str | None, date_format: str | None, as_json: bool) -> None:
    """Import consents from FILE (XLSX, CSV, or a Mailchimp audience export ZIP/CSV).
    All rows or none: any error rolls the whole import back."""
    limits = limits_from_config()
    if file.stat().st_size > limits.max_bytes:
        raise CliError(f"{file.name}: the file is larger than the limit of "
                       f"{limits.max_bytes // 1024} KB.")
    data = file.read_bytes()
    with tenant_command(tenant_slug) as (_tenant, ctx):
        # progress only on a terminal (disable=None: off when stderr is not a tty)
        bar = tqdm(desc="rows", unit="row", file=sys.stderr,
                   disable=True if as_json else None, leave=False)
        try:
            report = run_import(ctx, file.name, data, dry_run=dry_run, mapping=mapping,
                                purpose=purpose, date_format=date_format, limits=limits,
                                progress=bar.update)
        except ImportRefused as exc:
            raise CliError(str(exc)) from None
        finally:
            bar.close()
    if as_json:
        echo_json(report.as_dict())
    else:
        for row in report.rows:
            for change in row.changes:
                click.echo(f"{row.sheet}, row {row.row} ({row.email}): {change}")
        for note in report.notes:
            click.echo(f"Note: {note}")
        click.echo(report.summary())
        for error in report.errors:
            click.echo(f"Error: {error}", err=True)
    if report.count("rejected"):
        raise CliError(f"{file.name}: {report.count('rejected')} rows have errors; nothing "
                       "was imported. Fix them and import again.")


@click.command("template")
@with_appcontext
@TENANT
@click.option("-o", "--output", required=True, type=OUTPUT_PATH,
              help="Where to write the XLSX template.")
def consents_template(tenant_slug: str, output: Path) -> None:
    """Write the import template (XLSX) made from the tenant's purposes."""
    with tenant_command(tenant_slug) as (tenant, _ctx), output_file(output) as partial:
        rows = write_template(partial, tenant.time_zone)
    click.echo(f"Wrote the template with {rows} example rows to {output}.")


@click.command("mapping")
@with_appcontext
@click.argument("name")
@TENANT
@click.option("--column", "columns", multiple=True, metavar="FIELD=HEADER",
              help="A field and the header that holds it, e.g. email=Naslov.")
@click.option("--purpose", default=None, help="Purpose code for sheets without one.")
@click.option("--date-format", type=click.Choice(list(DATE_FORMATS)), default=None)
def consents_mapping(name: str, tenant_slug: str, columns: tuple[str, ...],
                     purpose: str | None, date_format: str | None) -> None:
    """Save the column mapping NAME for later imports (`--mapping NAME`)."""
    pairs: dict[str, str] = {}
    for item in columns:
        field, sep, header = item.partition("=")
        if not sep or not field.strip():
            raise click.BadParameter(f"'{item}' is not FIELD=HEADER.", param_hint="--column")
        pairs[field.strip()] = header.strip()
    options: dict[str, Any] = {k: v for k, v in (("purpose", purpose),
                                                 ("date_format", date_format)) if v}
    with tenant_command(tenant_slug) as (_tenant, ctx):
        save_mapping(ctx, name, pairs, options)
        db.session.commit()
    click.echo(f"Saved the mapping '{name}'.")


def attach(group: click.Group) -> None:
    """Add the intake subcommands to the plugin's `consents` group."""
    for command in (consents_import, consents_template, consents_mapping):
        group.add_command(command)


@click.group("webhooks", cls=AppGroup)
def webhooks_group() -> None:
    """Receive consent changes from mailing systems (Mailchimp, Brevo, Mailjet, and those
    plugins add)."""


@webhooks_group.command("add")
@click.argument("provider")
@TENANT
@click.option("--purpose", required=True, help="The purpose this list stands for.")
@click.option("--list", "list_id", default=None,
              help="The list (audience) id; without it the provider's default purpose.")
@click.option("--base-url", default=None, envvar="CRM_BASE_URL",
              help="The public address of the CRM (default: CRM_BASE_URL or localhost).")
def webhooks_add(provider: str, tenant_slug: str, purpose: str, list_id: str | None,
                 base_url: str | None) -> None:
    """Set up PROVIDER's webhook for the tenant (mailchimp, brevo, mailjet, or one a plugin
    enabled for the tenant adds); print the URL to paste into it."""
    with tenant_command(tenant_slug) as (tenant, ctx):
        endpoint = webhooks.add_webhook(ctx, provider, purpose, list_id)
        db.session.commit()
        click.echo(webhooks.hook_url(tenant.slug, endpoint, base_url))


@webhooks_group.command("list")
@TENANT
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def webhooks_list(tenant_slug: str, as_json: bool) -> None:
    """List the tenant's webhooks and list mappings."""
    with tenant_command(tenant_slug):
        items = webhooks.describe()
    if as_json:
        echo_json(items)
        return
    for item in items:
        click.echo(f"{item['provider']:<10} list {item['list_id'] or '(default)':<16} "
                   f"-> {item['purpose']}")
    if not items:
        click.echo("No webhooks yet; add one with 'crm webhooks add PROVIDER --tenant SLUG "
                   "--purpose CODE'.")


COMMANDS = [webhooks_group]
