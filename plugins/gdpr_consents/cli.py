"""The plugin's commands: `crm purposes`, `crm consents`, `crm segments`.

Every command works on one tenant that has the plugin enabled (`crm consents expire`
without `--tenant`: on every such tenant), as the actor `cli:<os user>`. Bad input ends
with exit 1 and one sentence naming the option at fault; nothing is stored then.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from core.cli.common import OUTPUT_PATH, CliError, cli_actor, echo_json, get_tenant, output_file
from core.clock import to_local
from core.db import db
from core.events import EventContext, context, set_actor
from core.ids import RECORD_ID
from core.models import Contact, Tenant, TenantPlugin
from core.scoping import all_tenants, tenant_scope
from core.settings import get_setting
from plugins.gdpr_consents import PLUGIN, deliverability, expiry, segments
from plugins.gdpr_consents import consents as consent_logic
from plugins.gdpr_consents.errors import ConsentInputError
from plugins.gdpr_consents.models import Consent, LegalBasis, Purpose
from plugins.gdpr_consents.purposes import (
    create_purpose,
    get_purpose,
    list_purposes,
    purpose_dict,
)
from plugins.gdpr_consents.receipts import ReceiptUnavailable, receipt
from plugins.gdpr_consents.validity import current_state


@contextmanager
def tenant_command(slug: str) -> Iterator[tuple[Tenant, EventContext]]:
    """Run a command's body for the tenant `slug` (which must have the plugin enabled):
    the tenant in scope, the CLI user as the actor; bad input becomes a CliError and
    rolls back."""
    tenant = get_tenant(slug)
    host = current_app.extensions["crm"]["plugins"]
    if not host.is_enabled(tenant.id, PLUGIN):
        raise CliError(f"The {PLUGIN} plugin is not enabled for tenant '{slug}'; enable it "
                       f"with 'crm plugins enable {PLUGIN} --tenant {slug}'.")
    set_actor(cli_actor(), tenant=tenant)
    with tenant_scope(tenant.id):
        try:
            yield tenant, context(tenant=tenant, actor=cli_actor())
        except ConsentInputError as exc:
            db.session.rollback()
            raise CliError(f"{exc}") from exc


PROOFS = click.option(
    "--proof", "proof_files", multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A scan, PDF or photo of the signed form (repeatable).")


@contextmanager
def opened_proofs(paths: tuple[Path, ...]) -> Iterator[list[consent_logic.Proof]]:
    """The files `paths` opened as proofs, closed afterwards."""
    handles = [path.open("rb") for path in paths]
    try:
        yield [consent_logic.Proof(p.name, h) for p, h in zip(paths, handles, strict=True)]
    finally:
        for handle in handles:
            handle.close()


def _iso(moment: Any, tz: str) -> str | None:
    local = to_local(moment, tz)
    return None if local is None else local.isoformat()


def _shown(moment: Any, tz: str) -> str:
    local = to_local(moment, tz)
    return "-" if local is None else local.strftime("%Y-%m-%d %H:%M")


def show(items: list[dict[str, Any]], as_json: bool, line: Any, empty: str) -> None:
    """Print `items` as JSON, or one `line(item)` each (`empty` when there are none)."""
    if as_json:
        echo_json(items)
        return
    for item in items:
        click.echo(line(item))
    if not items:
        click.echo(empty)


TENANT = click.option("--tenant", "tenant_slug", required=True, help="The tenant's slug.")


# --- purposes -----------------------------------------------------------------------------


@click.group("purposes", cls=AppGroup)
def purposes() -> None:
    """Define what a tenant processes personal data for (purposes and legal bases)."""


@purposes.command("add")
@click.argument("code")
@TENANT
@click.option("--name", required=True, help="The purpose's name as people read it.")
@click.option("--description", default=None, help="What the data is used for.")
@click.option("--basis", "legal_basis", default="consent", show_default=True,
              type=click.Choice([b.value for b in LegalBasis]),
              help="Legal basis (GDPR Art. 6(1) a to f).")
@click.option("--months", default=None, help="Default duration of a consent, in months.")
@click.option("--marketing/--no-marketing", default=False, show_default=True,
              help="Whether the purpose is marketing.")
def purposes_add(code: str, tenant_slug: str, name: str, description: str | None,
                 legal_basis: str, months: str | None, marketing: bool) -> None:
    """Add purpose CODE (e.g. newsletter) to the tenant."""
    with tenant_command(tenant_slug):
        purpose = create_purpose(code, name, description=description, legal_basis=legal_basis,
                                 default_months=months, marketing=marketing)
        db.session.commit()
        click.echo(f"Added purpose '{purpose.code}' ({purpose.name}, "
                   f"{purpose.legal_basis.article}).")


@purposes.command("list")
@TENANT
@click.option("--json", "as_json", is_flag=True, help="Print JSON: one object per purpose.")
def purposes_list(tenant_slug: str, as_json: bool) -> None:
    """List the tenant's purposes."""
    with tenant_command(tenant_slug):
        items = [purpose_dict(p) for p in list_purposes()]
    def line(item: dict[str, Any]) -> str:
        months = f"{item['default_months']} months" if item["default_months"] else "no expiry"
        flags = ", marketing" if item["marketing"] else ""
        flags += "" if item["active"] else ", inactive"
        return (f"{item['code']:<16} {item['name']:<32} {item['legal_basis']:<21} "
                f"{months}{flags}")

    show(items, as_json, line, "No purposes yet; add one with 'crm purposes add CODE "
                               "--tenant SLUG --name NAME'.")


# --- consents -----------------------------------------------------------------------------


@click.group("consents", cls=AppGroup)
def consents() -> None:
    """List, record, withdraw and expire consents."""


def consent_items(tenant: Tenant, email: str | None, now: Any) -> list[dict[str, Any]]:
    """Return one JSON-ready object per contact and purpose (for `crm consents list`)."""
    query = (
        select(Consent, Contact.email, Purpose.code)
        .join(Contact, Contact.id == Consent.contact_id)
        .join(Purpose, Purpose.id == Consent.purpose_id)
        .order_by(Contact.email, Purpose.code)
    )
    if email is not None:
        query = query.where(Contact.id == consent_logic.find_contact(email, "--email").id)
    tz = tenant.time_zone
    return [{
        "email": address,
        "purpose": code,
        "state": current_state(consent, now).value,
        "given_at": _iso(consent.given_at, tz),
        "expires_at": _iso(consent.expires_at, tz),
        "withdrawn_at": _iso(consent.withdrawn_at, tz),
        "source": consent.source,
    } for consent, address, code in db.session.execute(query)]


@consents.command("list")
@TENANT
@click.option("--email", default=None, help="Only this contact's consents.")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON: [{email, purpose, state, given_at, expires_at, withdrawn_at, "
                   "source}], times in ISO 8601 with the offset.")
def consents_list(tenant_slug: str, email: str | None, as_json: bool) -> None:
    """List each contact's consents, one line per contact and purpose."""
    with tenant_command(tenant_slug) as (tenant, ctx):
        items = consent_items(tenant, email, ctx.at)
    def line(item: dict[str, Any]) -> str:
        until = item["expires_at"][:10] if item["expires_at"] else "-"
        given = item["given_at"][:10] if item["given_at"] else "-"
        return (f"{item['email']:<36} {item['purpose']:<14} {item['state']:<10} "
                f"given {given}  until {until}  ({item['source']})")

    show(items, as_json, line, "No consents recorded.")


@consents.command("grant")
@click.argument("email")
@click.argument("purpose")
@TENANT
@click.option("--given-at", required=True, help="When it was given: YYYY-MM-DD or ISO 8601.")
@click.option("--months", default=None, help="Duration in months (default: the purpose's).")
@click.option("--expires-at", default=None, help="Or an expiry date instead of --months.")
@click.option("--source", default="manual", show_default=True, help="Source code.")
@click.option("--detail", "source_detail", default=None, help="Source detail (e.g. sejem).")
@click.option("--notice-version", default=None, help="Version of the notice shown.")
@click.option("--notice-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="The exact notice text shown (a UTF-8 text file).")
@PROOFS
@click.option("--field", "extra_fields", multiple=True, metavar="NAME=VALUE",
              help="An extra field a plugin adds for the source, e.g. "
                   "receipt_number=AC-000123 (repeatable).")
def consents_grant(email: str, purpose: str, tenant_slug: str, given_at: str,
                   months: str | None, expires_at: str | None, source: str,
                   source_detail: str | None, notice_version: str | None,
                   notice_file: Path | None, proof_files: tuple[Path, ...],
                   extra_fields: tuple[str, ...]) -> None:
    """Record that the contact EMAIL gave consent to PURPOSE."""
    fields = {}
    for item in extra_fields:
        name, sep, value = item.partition("=")
        if not sep:
            raise CliError(f"--field '{item}' is not NAME=VALUE.")
        fields[name.strip()] = value
    with tenant_command(tenant_slug) as (tenant, ctx):
        contact = consent_logic.find_contact(email)
        with opened_proofs(proof_files) as proofs:
            consent = consent_logic.grant(
                ctx, contact, purpose, given_at=given_at, duration_months=months,
                expires_at=expires_at, source=source, source_detail=source_detail,
                notice_version=notice_version,
                notice_text=notice_file.read_text(encoding="utf-8") if notice_file else None,
                proofs=proofs,
                fields=fields,
            )
        db.session.commit()
        until = _shown(consent.expires_at, tenant.time_zone)
        click.echo(f"Consent of {contact.email} to '{consent.purpose.code}' is granted "
                   f"(consent #{consent.id}, until {until}).")


@consents.command("withdraw")
@click.argument("email")
@click.argument("purpose")
@TENANT
@click.option("--at", "withdrawn_at", default=None, help="When (default: now).")
@click.option("--reason", default=None, help="Why, as the person said.")
def consents_withdraw(email: str, purpose: str, tenant_slug: str, withdrawn_at: str | None,
                      reason: str | None) -> None:
    """Withdraw the consent of the contact EMAIL to PURPOSE (its history stays)."""
    with tenant_command(tenant_slug) as (tenant, ctx):
        contact, consent = _consent_of(email, purpose)
        consent_logic.withdraw(ctx, consent, withdrawn_at=withdrawn_at, reason=reason)
        db.session.commit()
        click.echo(f"Consent of {contact.email} to '{purpose}' is withdrawn as of "
                   f"{_shown(consent.withdrawn_at, tenant.time_zone)}.")


def _consent_of(email: str, purpose: str) -> tuple[Contact, Consent]:
    """The contact EMAIL and its consent to PURPOSE, or ConsentInputError naming the one
    that is not there."""
    contact = consent_logic.find_contact(email)
    consent = consent_logic.find_consent(contact, get_purpose(purpose))
    if consent is None:
        raise ConsentInputError("purpose", f"{contact.email} has no consent to '{purpose}'.")
    return contact, consent


@consents.command("rectify")
@click.argument("email")
@click.argument("purpose")
@TENANT
@click.option("--reason", required=True, help="Why the consent is corrected (required).")
@click.option("--given-at", default=None, help="The right date it was given.")
@click.option("--months", "duration_months", default=None,
              help="The right duration in months ('' for until withdrawn).")
@click.option("--expires-at", default=None, help="Or the right expiry date.")
@click.option("--source", default=None, help="The right source code.")
@click.option("--detail", "source_detail", default=None, help="The right source detail.")
@click.option("--withdrawn-at", default=None, help="The right date of the withdrawal.")
@click.option("--withdrawal-reason", default=None, help="The right withdrawal reason.")
def consents_rectify(email: str, purpose: str, tenant_slug: str, reason: str,
                     **corrections: str | None) -> None:
    """Correct the consent of the contact EMAIL to PURPOSE that was entered wrongly; the
    old values stay in its history with the reason."""
    changes = {field: value for field, value in corrections.items() if value is not None}
    with tenant_command(tenant_slug) as (tenant, ctx):
        if not changes:
            raise ConsentInputError("consent", "nothing to correct; give at least one of "
                                    "--given-at, --months, --expires-at, --source, --detail, "
                                    "--withdrawn-at, --withdrawal-reason.")
        contact, consent = _consent_of(email, purpose)
        consent_logic.rectify(ctx, consent, reason=reason, **changes)
        db.session.commit()
        click.echo(f"Consent of {contact.email} to '{purpose}' is corrected (given "
                   f"{_shown(consent.given_at, tenant.time_zone)}, until "
                   f"{_shown(consent.expires_at, tenant.time_zone)}).")


@consents.command("refuse")
@click.argument("email")
@click.argument("purpose")
@TENANT
@click.option("--at", "refused_at", default=None, help="When (default: now).")
@click.option("--source", default="manual", show_default=True, help="Source code.")
@click.option("--detail", "source_detail", default=None, help="Source detail.")
@PROOFS
def consents_refuse(email: str, purpose: str, tenant_slug: str, refused_at: str | None,
                    source: str, source_detail: str | None,
                    proof_files: tuple[Path, ...]) -> None:
    """Record that the contact EMAIL said no to PURPOSE when asked."""
    with tenant_command(tenant_slug) as (_tenant, ctx):
        contact = consent_logic.find_contact(email)
        with opened_proofs(proof_files) as proofs:
            consent_logic.refuse(ctx, contact, purpose, refused_at=refused_at or ctx.at,
                                 source=source, source_detail=source_detail, proofs=proofs)
        db.session.commit()
        click.echo(f"Refusal of {contact.email} for '{purpose}' is recorded.")


@consents.command("history")
@click.argument("email")
@TENANT
@click.option("--json", "as_json", is_flag=True, help="Print JSON: one object per event.")
def consents_history(email: str, tenant_slug: str, as_json: bool) -> None:
    """Show every change of the consents of the contact EMAIL, oldest first."""
    with tenant_command(tenant_slug) as (tenant, _ctx):
        contact = consent_logic.find_contact(email)
        events = list(reversed(consent_logic.history(contact_id=contact.id)))
        tz = tenant.time_zone
        items = [{
            "at": _iso(e.at, tz), "purpose": e.purpose.code, "change": e.kind.value,
            "state_before": e.state_before, "state_after": e.state_after,
            "effective_at": _iso(e.effective_at, tz), "by": e.actor, "source": e.source,
            "reason": e.reason,
            "corrected": {field: {"before": old, "after": new} for field, (old, new)
                          in consent_logic.corrected_fields(e).items()},
        } for e in events]
    show(items, as_json, lambda item: (
        f"{item['at'][:16]}  {item['purpose']:<12} {item['change']:<9} "
        f"{item['state_before'] or '-':>9} -> {item['state_after']:<9} by {item['by']}"
        + (f"  ({item['reason']})" if item["reason"] else "")), "No consent history.")


def _tenants_with_plugin() -> list[Tenant]:
    with all_tenants():
        return list(db.session.scalars(
            select(Tenant).join(TenantPlugin, TenantPlugin.tenant_id == Tenant.id)
            .where(TenantPlugin.plugin == PLUGIN, TenantPlugin.enabled.is_(True))
            .order_by(Tenant.slug)
        ))


@consents.command("expire")
@click.option("--tenant", "tenant_slug", default=None,
              help="Only this tenant (default: every tenant with the plugin enabled).")
def consents_expire(tenant_slug: str | None) -> None:
    """Turn overdue consents to expired, with an event each (safe to repeat; for cron)."""
    slugs = [tenant_slug] if tenant_slug else [t.slug for t in _tenants_with_plugin()]
    total = 0
    for slug in slugs:
        with tenant_command(slug) as (_tenant, ctx):
            count = expiry.expire_due(ctx)
            db.session.commit()
        total += count
        click.echo(f"{slug}: {count} consent(s) expired.")
    if not slugs:
        click.echo("No tenant has the gdpr_consents plugin enabled.")


@consents.command("expiring")
@TENANT
@click.option("--days", default=None, type=click.IntRange(1, 3660),
              help="How many days ahead (default: the tenant's setting, 30).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def consents_expiring(tenant_slug: str, days: int | None, as_json: bool) -> None:
    """List the granted consents that expire within the next DAYS days."""
    with tenant_command(tenant_slug) as (tenant, ctx):
        days = days or int(get_setting(tenant.id, PLUGIN, "expiring_days"))
        rows = expiry.expiring_soon(ctx.at, days)
        items = [{"email": c.contact.email, "purpose": c.purpose.code,
                  "given_at": _iso(c.given_at, tenant.time_zone),
                  "expires_at": _iso(c.expires_at, tenant.time_zone)} for c in rows]
    show(items, as_json,
         lambda item: f"{item['expires_at'][:16]}  {item['email']:<36} {item['purpose']}",
         f"No consent expires within {days} days.")


@consents.command("receipt")
@click.argument("consent_id", type=RECORD_ID)
@TENANT
@click.option("-o", "--output", type=OUTPUT_PATH, default=None,
              help="Write to this file instead of standard output.")
def consents_receipt(consent_id: int, tenant_slug: str, output: Path | None) -> None:
    """Print the Kantara consent receipt (v1.1 JSON) of consent CONSENT_ID."""
    with tenant_command(tenant_slug) as (_tenant, ctx):
        try:
            document = receipt(ctx, consent_logic.get_consent(consent_id))
        except ReceiptUnavailable as exc:
            raise CliError(str(exc)) from exc
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if output is None:
        click.echo(text)
    else:
        with output_file(output) as partial:
            partial.write_text(text + "\n", encoding="utf-8")
        click.echo(f"Wrote the receipt of consent #{consent_id} to {output}.")


@consents.command("undeliverable")
@click.argument("email")
@TENANT
@click.option("--reason", default=None, help="Why (e.g. hard bounce); needed to mark.")
@click.option("--clear", is_flag=True, help="Lift the mark instead.")
def consents_undeliverable(email: str, tenant_slug: str, reason: str | None,
                           clear: bool) -> None:
    """Mark the address EMAIL undeliverable (kept out of segments), or lift the mark."""
    with tenant_command(tenant_slug) as (_tenant, ctx):
        if clear:
            mark = deliverability.clear_undeliverable(ctx, email)
            db.session.commit()
            click.echo(f"Lifted the mark of {mark.email}." if mark else
                       f"{email} was not marked undeliverable.")
            return
        mark = deliverability.mark_undeliverable(ctx, email, reason=reason or "")
        db.session.commit()
        click.echo(f"{mark.email} is marked undeliverable ({mark.reason}).")


@consents.command("missing")
@TENANT
@click.option("--json", "as_json", is_flag=True, help="Print JSON: [{email, name}].")
def consents_missing(tenant_slug: str, as_json: bool) -> None:
    """List personal contacts without a valid consent to any marketing purpose."""
    with tenant_command(tenant_slug) as (_tenant, ctx):
        rows = db.session.scalars(segments.unconsented_personal_query(ctx)).all()
        items = [{"email": c.email, "name": f"{c.first_name} {c.last_name}".strip()}
                 for c in rows]
    show(items, as_json, lambda item: f"{item['email']:<40} {item['name']}",
         "Every personal contact holds a marketing consent.")


# --- segments -----------------------------------------------------------------------------


def segment_options(function: Any) -> Any:
    """The options every segment command shares."""
    for option in reversed([
        TENANT,
        click.option("--as-of", default=None,
                     help="YYYY-MM-DD (start of that day in the tenant's zone) or an ISO "
                          "8601 date-time; default now."),
        click.option("--any", "match_any", is_flag=True,
                     help="With several purposes: a consent to any of them is enough."),
        click.option("--include-role-addresses", is_flag=True,
                     help="Also role addresses (info@, office@ ...), which need no consent."),
        click.option("--company", default=None, help="Only contacts of this company id."),
        click.option("--tag", default=None, help="Only contacts with this tag."),
        click.option("--filter", "filters", multiple=True, help="A named filter (repeatable)."),
    ]):
        function = option(function)
    return function


def _spec(ctx: EventContext, purpose: str, options: dict[str, Any]) -> segments.SegmentSpec:
    return segments.build_spec(
        ctx, purpose, as_of=options["as_of"], match_all=not options["match_any"],
        include_role_addresses=options["include_role_addresses"],
        company=options["company"], tag=options["tag"], filters=options["filters"],
    )


@click.group("segments", cls=AppGroup)
def segments_group() -> None:
    """Count and export the contacts who consented to a purpose (for mailing)."""


@segments_group.command("export")
@click.argument("purpose")
@click.option("--format", "file_format", required=True, type=click.Choice(segments.FORMATS))
@click.option("-o", "--output", required=True, type=OUTPUT_PATH, help="The file to write.")
@segment_options
def segments_export(purpose: str, file_format: str, output: Path, **options: Any) -> None:
    """Export the contacts with a valid consent to PURPOSE (a code or a comma list)."""
    with tenant_command(options.pop("tenant_slug")) as (_tenant, ctx):
        spec = _spec(ctx, purpose, options)
        with output_file(output) as partial:
            written = segments.export(ctx, spec, file_format, partial)
        db.session.commit()
    click.echo(f"Wrote {written} contact(s) of segment {'+'.join(spec.purposes)} to {output}.")


@segments_group.command("count")
@click.argument("purpose")
@segment_options
def segments_count(purpose: str, **options: Any) -> None:
    """Print how many contacts hold a valid consent to PURPOSE."""
    with tenant_command(options.pop("tenant_slug")) as (_tenant, ctx):
        click.echo(segments.count(ctx, _spec(ctx, purpose, options)))


@segments_group.command("save")
@click.argument("name")
@click.argument("purpose")
@segment_options
def segments_save(name: str, purpose: str, **options: Any) -> None:
    """Save a segment of PURPOSE under NAME (evaluated when it is used)."""
    with tenant_command(options.pop("tenant_slug")) as (_tenant, ctx):
        segment = segments.save_segment(ctx, name, _spec(ctx, purpose, options))
        db.session.commit()
        click.echo(f"Saved segment #{segment.id} '{segment.name}'.")


@segments_group.command("list")
@TENANT
@click.option("--json", "as_json", is_flag=True, help="Print JSON with each segment's count.")
def segments_list(tenant_slug: str, as_json: bool) -> None:
    """List the saved segments with their current counts."""
    with tenant_command(tenant_slug) as (_tenant, ctx):
        items = [{"id": s.id, "name": s.name, "purposes": s.purposes,
                  "count": segments.count(ctx, segments.spec_of(ctx, s))}
                 for s in segments.list_segments()]
    show(items, as_json, lambda item: (
        f"#{item['id']:<5} {item['name']:<32} {'+'.join(item['purposes']):<24} "
        f"{item['count']}"), "No saved segments.")


COMMANDS = [purposes, consents, segments_group]

