"""`crm audit verify|list|export|purge`: the audit trail from the terminal.

Each command works on one chain: a tenant's (`--tenant SLUG`) or the platform's
(`--platform`: events without a tenant, such as failed logins of unknown addresses).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from core.cli.common import OUTPUT_PATH, CliError, cli_actor, echo_json, get_tenant, output_file
from core.clock import DEFAULT_TIME_ZONE, parse_as_of, to_local
from core.db import db
from core.events import EventContext, context, set_actor
from plugins.audit import exporting, retention
from plugins.audit.actions import ACTIONS
from plugins.audit.present import as_dict, summary
from plugins.audit.queries import EntryFilter, stream_entries
from plugins.audit.verify import verify_chain


@dataclass
class Chain:
    """The chain a command works on and how to name it in messages."""

    tenant: Any
    name: str
    time_zone: str

    @property
    def tenant_id(self) -> int | None:
        """The tenant's id, None for the platform chain."""
        return self.tenant.id if self.tenant else None

    def context(self) -> EventContext:
        """The event context of a command run on this chain."""
        set_actor(cli_actor(), tenant=self.tenant)
        return context(tenant=self.tenant, actor=cli_actor())


def _chain(tenant_slug: str | None, platform: bool) -> Chain:
    if bool(tenant_slug) == platform:
        raise click.UsageError("Give either --tenant SLUG or --platform.")
    if platform:
        return Chain(None, "the platform", DEFAULT_TIME_ZONE)
    tenant = get_tenant(tenant_slug or "")
    return Chain(tenant, f"'{tenant.slug}'", tenant.time_zone)


def _chain_options(function: Any) -> Any:
    function = click.option("--platform", is_flag=True,
                            help="The platform chain (events without a tenant).")(function)
    return click.option("--tenant", "tenant_slug", help="The tenant's slug.")(function)


def _filter_options(function: Any) -> Any:
    function = click.option("--until", "until_text", metavar="DATE",
                            help="Only entries before DATE (same forms as --since).")(function)
    function = click.option("--since", "since_text", metavar="DATE",
                            help="Only entries from DATE on: a date is the start of that day "
                                 "in the tenant's time zone; a date-time with an offset is "
                                 "taken as given.")(function)
    return click.option("--action", type=click.Choice(ACTIONS),
                        help="Only entries of this action.")(function)


def _criteria(chain: Chain, action: str | None, since_text: str | None,
              until_text: str | None) -> EntryFilter:
    moments = {}
    for name, text in (("--since", since_text), ("--until", until_text)):
        if text:
            try:
                moments[name] = parse_as_of(text, chain.time_zone)
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint=name) from exc
    return EntryFilter(action=action, since=moments.get("--since"),
                       until=moments.get("--until"))


@click.group("audit", cls=AppGroup)
def audit() -> None:
    """Verify, list, export and purge the audit trail (a hash chain per tenant)."""


@audit.command("verify")
@_chain_options
def verify(tenant_slug: str | None, platform: bool) -> None:
    """Recompute the chain; exit 1 naming the first entry changed, removed or reordered."""
    chain = _chain(tenant_slug, platform)
    report = verify_chain(chain.tenant_id)
    if not report.ok:
        raise CliError(
            f"The audit trail of {chain.name} was tampered with: {report.problem.message}; "
            "restore the entries from a backup and find out who had database access."
        )
    if report.entries == 0:
        click.echo(f"The audit trail of {chain.name} is empty; nothing to verify.")
        return
    start = " (older entries purged)" if report.first_seq > 1 else ""
    rate = report.entries / report.seconds if report.seconds else 0
    click.echo(
        f"The audit trail of {chain.name} is intact: {report.entries:,} "
        f"{'entry' if report.entries == 1 else 'entries'}, seq "
        f"{report.first_seq:,} to {report.last_seq:,}{start}, head {report.head_hash[:16]}; "
        f"checked in {report.seconds:.2f} s ({rate:,.0f} entries/s)."
    )


@audit.command("list")
@_chain_options
@_filter_options
@click.option("--limit", type=click.IntRange(min=1), help="Show at most N entries (newest).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: a list of entries.")
def list_(tenant_slug: str | None, platform: bool, action: str | None, since_text: str | None,
          until_text: str | None, limit: int | None, as_json: bool) -> None:
    """List the entries, oldest first, times in the tenant's time zone."""
    chain = _chain(tenant_slug, platform)
    criteria = _criteria(chain, action, since_text, until_text)
    entries: Any = stream_entries(chain.tenant_id, criteria)
    if limit:
        entries = deque(entries, maxlen=limit)
    if as_json:
        echo_json([as_dict(entry, chain.time_zone) for entry in entries])
        return
    shown = 0
    for entry in entries:
        moment = to_local(entry.at, chain.time_zone).strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"{entry.seq:>7}  {moment}  {entry.actor:<30}  {summary(entry)}")
        shown += 1
    if not shown:
        click.echo(f"No audit entries of {chain.name} match.")


@audit.command("export")
@_chain_options
@_filter_options
@click.option("--format", "file_format", type=click.Choice(exporting.FORMATS), required=True,
              help="csv or xlsx.")
@click.option("-o", "--output", type=OUTPUT_PATH, required=True, help="The file to write.")
def export(tenant_slug: str | None, platform: bool, action: str | None,
           since_text: str | None, until_text: str | None, file_format: str,
           output: Path) -> None:
    """Export the entries to CSV or XLSX (the export is itself logged)."""
    chain = _chain(tenant_slug, platform)
    criteria = _criteria(chain, action, since_text, until_text)
    with output_file(output) as partial:
        count = exporting.export_log(chain.context(), chain.tenant_id, criteria, file_format,
                                     partial, chain.time_zone)
    db.session.commit()
    click.echo(f"Wrote {count:,} audit entries of {chain.name} to {output}.")


@audit.command("purge")
@_chain_options
@click.option("--older-than-days",
              type=click.IntRange(min=retention.MIN_RETENTION_DAYS,
                                  max=retention.MAX_RETENTION_DAYS),
              help="Remove entries older than N days, at least one (default: the tenant's "
                   f"retention, {retention.DEFAULT_RETENTION_DAYS} days unless changed).")
@click.option("--batch-size", type=click.IntRange(min=1), default=retention.BATCH_SIZE,
              show_default=True, help="Entries removed per transaction.")
def purge(tenant_slug: str | None, platform: bool, older_than_days: int | None,
          batch_size: int) -> None:
    """Remove old entries in batches; the rest of the chain stays verifiable."""
    chain = _chain(tenant_slug, platform)
    result = retention.purge(chain.context(), older_than_days, batch_size)
    cutoff = to_local(result.cutoff, chain.time_zone).strftime("%Y-%m-%d %H:%M")
    if not result.purged:
        click.echo(f"No audit entries of {chain.name} are older than {cutoff}.")
        return
    entries = "entry" if result.purged == 1 else "entries"
    click.echo(
        f"Removed {result.purged:,} audit {entries} of {chain.name} older than {cutoff} in "
        f"{result.batches} batch{'es' if result.batches != 1 else ''} (through seq "
        f"{result.through_seq:,}); the rest still verifies."
    )
