"""`crm tenants create|list`."""

from __future__ import annotations

import re

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core.cli.common import CliError, echo_json
from core.clock import zone
from core.db import db
from core.models import Tenant
from core.scoping import all_tenants

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
NAME_MAX = 255


@click.group("tenants", cls=AppGroup)
def tenants() -> None:
    """Create and list tenants (one per customer company)."""


@tenants.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The company's name as users see it.")
@click.option("--time-zone", default="Europe/Ljubljana", show_default=True)
def create(slug: str, name: str, time_zone: str) -> None:
    """Create the tenant SLUG (lower-case letters, digits and dashes)."""
    if not SLUG_RE.match(slug):
        raise click.BadParameter(
            f"'{slug}' is not a slug; use 1 to 63 lower-case letters, digits and dashes "
            "(e.g. acme-si)", param_hint="SLUG"
        )
    name = name.strip()
    if not name:
        raise click.BadParameter("the name may not be empty", param_hint="--name")
    if len(name) > NAME_MAX:
        raise click.BadParameter(f"the name has {len(name)} characters; at most {NAME_MAX}",
                                 param_hint="--name")
    try:
        zone(time_zone)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--time-zone") from exc
    with all_tenants():
        if db.session.scalar(select(Tenant).where(Tenant.slug == slug)):
            raise CliError(f"A tenant '{slug}' exists already; pick another slug.")
        db.session.add(Tenant(slug=slug, name=name, time_zone=time_zone))
        db.session.commit()
    click.echo(f"Created tenant '{slug}' ({name}); every plugin starts off for it.")


@tenants.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: [{slug, name, time_zone}].")
def list_(as_json: bool) -> None:
    """List the tenants."""
    with all_tenants():
        rows = db.session.scalars(select(Tenant).order_by(Tenant.slug)).all()
    items = [{"slug": t.slug, "name": t.name, "time_zone": t.time_zone} for t in rows]
    if as_json:
        echo_json(items)
        return
    for item in items:
        click.echo(f"{item['slug']:<24} {item['name']:<40} {item['time_zone']}")
    if not items:
        click.echo("No tenants yet; create one with 'crm tenants create SLUG --name NAME'.")
