"""`crm delete TYPE ID... --tenant SLUG`: delete records from the command line.

Each record goes through the one delete path (`core.records.delete_record`), so a plugin
that takes deletes over (the trash plugin) does so here too: each record becomes its own
trash unit. All or nothing: when one id is not found, nothing is deleted.
"""

from __future__ import annotations

import click
from sqlalchemy import select

from core.cli.common import CliError, cli_actor, get_tenant, record_model
from core.db import db
from core.events import context, set_actor
from core.records import delete_record
from core.scoping import tenant_scope


@click.command("delete")
@click.argument("record_type", metavar="TYPE")
@click.argument("ids", nargs=-1, required=True, type=click.IntRange(min=1), metavar="ID...")
@click.option("--tenant", "tenant_slug", required=True, help="The tenant's slug.")
def delete(record_type: str, ids: tuple[int, ...], tenant_slug: str) -> None:
    """Delete records of TYPE (contact, company, activity, attachment, or a plugin's type
    as `crm trash list` shows it) by id. With the trash plugin on they go to the trash,
    each with what belongs to it; without it they are deleted for good."""
    tenant = get_tenant(tenant_slug)
    model = record_model(record_type, "TYPE")
    set_actor(cli_actor(), tenant=tenant)
    ctx = context(tenant=tenant)
    with tenant_scope(tenant.id):
        records = []
        for record_id in dict.fromkeys(ids):
            record = db.session.scalar(select(model).where(model.id == record_id))
            if record is None:
                raise CliError(f"There is no {record_type} #{record_id} in '{tenant.slug}' "
                               "(or it is in the trash already); nothing was deleted.")
            records.append((record, str(record)))
        done = [(delete_record(ctx, record), record.id, label) for record, label in records]
        db.session.commit()
    for how, record_id, label in done:
        click.echo(f"{how.capitalize()} {record_type} '{label}' (#{record_id}).")
