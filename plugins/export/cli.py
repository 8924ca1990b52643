"""`crm export subject|company|requests`: the plugin's exports and register on the command line.

Every command works on one tenant that has the plugin enabled, as the actor
`cli:<os user>`. A failed operation (unknown tenant, address, company or request) ends with
exit 1 and one sentence; bad usage (an invalid address or format) with exit 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from core.cli.common import OUTPUT_PATH, CliError, cli_actor, echo_json, get_tenant, output_file
from core.clock import parse_as_of, utcnow
from core.db import db
from core.events import EventContext, context, set_actor
from core.ids import RECORD_ID
from core.models import Company, Tenant
from core.scoping import tenant_scope
from plugins.export import PLUGIN, register
from plugins.export.formats import FORMATS
from plugins.export.gather import Pack
from plugins.export.models import RequestChannel, RequestKind
from plugins.export.service import UnknownSubject, contact_by_email, pack_for, produce

TENANT = click.option("--tenant", "tenant_slug", required=True, help="The tenant's slug.")
FORMAT = click.option("--format", "file_format", type=click.Choice(FORMATS),
                      help="docx (Word), xlsx (Excel), json (Art. 20) or zip (all three "
                           "and the attachments).")
OUTPUT = click.option("-o", "--output", type=OUTPUT_PATH, help="The file to write.")
LEAVE_OUT = click.option("--leave-out", "leave_out", multiple=True, metavar="SECTION",
                         help="Leave a whole section out (its key, e.g. attachments); "
                              "repeatable. Sections are listed with --list-sections.")
LIST_SECTIONS = click.option("--list-sections", is_flag=True,
                             help="Print the sections and their row counts; write nothing.")
REQUEST = click.option("--request", "request_id", type=RECORD_ID, default=None,
                       help="The subject request this export answers (its number).")


@contextmanager
def tenant_command(slug: str) -> Iterator[tuple[Tenant, EventContext]]:
    """Run a command's body for tenant `slug` with the plugin enabled: the tenant in scope
    and the CLI user as the actor."""
    tenant = get_tenant(slug)
    if not current_app.extensions["crm"]["plugins"].is_enabled(tenant.id, PLUGIN):
        raise CliError(f"The {PLUGIN} plugin is not enabled for tenant '{slug}'; enable it "
                       f"with 'crm plugins enable {PLUGIN} --tenant {slug}'.")
    set_actor(cli_actor(), tenant=tenant)
    with tenant_scope(tenant.id):
        yield tenant, context(tenant=tenant, actor=cli_actor())


@click.group("export", cls=AppGroup)
def export() -> None:
    """Export what is held about a person or a company; the subject-request register."""


def _write(ctx: EventContext, pack: Pack, file_format: str | None, output: Path | None,
           leave_out: tuple[str, ...], list_sections: bool, request_id: int | None) -> None:
    if list_sections:
        for section in pack.sections:
            click.echo(f"{section.key:<32} {section.title:<32} {len(section.items)} row(s)")
        return
    if file_format is None or output is None:
        raise click.UsageError("Give --format and -o FILE (or --list-sections).")
    unknown = sorted(set(leave_out) - {s.key for s in pack.sections})
    if unknown:
        raise click.BadParameter(f"no section {', '.join(unknown)}; see --list-sections",
                                 param_hint="--leave-out")
    request = register.get_request(request_id) if request_id is not None else None
    if request_id is not None and request is None:
        raise CliError(f"There is no subject request #{request_id} in this tenant; list them "
                       "with 'crm export requests list'.")
    chosen, left_out = pack.choose(
        [s.key for s in pack.sections if s.key not in leave_out],
        [item.id for s in pack.sections for item in s.items],
    )
    with output_file(output) as partial:
        produced = produce(ctx, chosen, file_format, left_out, via="cli")
        if request is not None:
            register.answer_with(request, produced.record)
        partial.write_bytes(produced.data)
    db.session.commit()
    click.echo(f"Wrote {output}: {chosen.row_count} row(s) in {len(chosen.sections)} "
               f"section(s) about {pack.label}.")


@export.command("subject")
@click.argument("email")
@TENANT
@FORMAT
@OUTPUT
@LEAVE_OUT
@LIST_SECTIONS
@REQUEST
def subject(email: str, tenant_slug: str, file_format: str | None, output: Path | None,
            leave_out: tuple[str, ...], list_sections: bool, request_id: int | None) -> None:
    """Export everything held about the person with address EMAIL (exact match)."""
    with tenant_command(tenant_slug) as (_tenant, ctx):
        try:
            contact = contact_by_email(email)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="EMAIL") from None
        except UnknownSubject as exc:
            raise CliError(str(exc)) from None
        _write(ctx, pack_for(ctx, "contact", contact), file_format, output, leave_out,
               list_sections, request_id)


@export.command("company")
@click.argument("company")
@TENANT
@FORMAT
@OUTPUT
@LEAVE_OUT
@LIST_SECTIONS
def company(company: str, tenant_slug: str, file_format: str | None, output: Path | None,
            leave_out: tuple[str, ...], list_sections: bool) -> None:
    """Export the company COMPANY (its number or exact name), its contacts and all their
    activities."""
    with tenant_command(tenant_slug) as (_tenant, ctx):
        condition = Company.name == company.strip()
        if company.strip().isdigit():
            condition = Company.id == int(company)
        found = db.session.scalars(select(Company).where(condition).limit(2)).all()
        if not found:
            raise CliError(f"No company '{company}' in this tenant; give its exact name or "
                           "its number from the Companies page.")
        if len(found) > 1:
            raise CliError(f"Several companies are called '{company}'; give the number of "
                           "the one you mean.")
        _write(ctx, pack_for(ctx, "company", found[0]), file_format, output, leave_out,
               list_sections, None)


# --- the register ----------------------------------------------------------------------------


@export.group("requests", cls=AppGroup)
def requests() -> None:
    """The register of data-subject requests (GDPR Art. 12 and 15 to 21)."""


@requests.command("list")
@TENANT
@click.option("--all", "show_all", is_flag=True, help="Closed requests too.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: one object per request.")
def requests_list(tenant_slug: str, show_all: bool, as_json: bool) -> None:
    """List the open requests, soonest due first (overdue ones are marked)."""
    with tenant_command(tenant_slug) as (tenant, _ctx):
        items = [register.request_dict(r, tenant.time_zone)
                 for r in register.requests(open_only=not show_all)]
    if as_json:
        echo_json(items)
        return
    for item in items:
        mark = "OVERDUE " if item["overdue"] else ""
        click.echo(f"#{item['id']:<5} {mark}due {item['due_at'][:10]}  {item['kind']:<14} "
                   f"{item['status']:<9} {item['requester'] or '-'}")
    if not items:
        click.echo("No open requests." if not show_all else "No requests yet.")


@requests.command("add")
@click.argument("kind", type=click.Choice([k.value for k in RequestKind]))
@TENANT
@click.option("--email", required=True, help="The requester's e-mail address.")
@click.option("--name", default=None, help="The requester's name.")
@click.option("--channel", default="email", show_default=True,
              type=click.Choice([c.value for c in RequestChannel]))
@click.option("--received", default=None,
              help="When it arrived: YYYY-MM-DD (the start of that day in the tenant's zone) "
                   "or an ISO 8601 date-time; default now.")
@click.option("--identity-checked", is_flag=True, help="The requester's identity was checked.")
def requests_add(kind: str, tenant_slug: str, email: str, name: str | None, channel: str,
                 received: str | None, identity_checked: bool) -> None:
    """Register a request of KIND (access, rectification, erasure, ...)."""
    with tenant_command(tenant_slug) as (tenant, _ctx):
        try:
            at: datetime = (parse_as_of(received, tenant.time_zone) if received
                            else utcnow())
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--received") from None
        try:
            request = register.add_request(
                kind=RequestKind(kind), received_at=at, channel=RequestChannel(channel),
                requester_email=email, requester_name=name, identity_checked=identity_checked,
                time_zone=tenant.time_zone)
        except register.RequestError as exc:
            raise CliError(str(exc)) from None
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--email") from None
        db.session.commit()
        item = register.request_dict(request, tenant.time_zone)
    click.echo(f"Registered {kind} request #{item['id']}, due {item['due_at'][:10]}"
               f"{'' if item['contact_id'] else ' (no contact has this address)'}.")
