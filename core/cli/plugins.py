"""`crm plugins list|enable|disable|set`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from core.cli.common import CliError, cli_actor, echo_json, get_tenant
from core.db import db
from core.events import context
from core.plugin_host import PluginStateError
from core.scoping import tenant_scope
from core.settings import SettingError, set_setting


@click.group("plugins", cls=AppGroup)
def plugins() -> None:
    """List plugins and switch them on or off for a tenant."""


@plugins.command("list")
@click.option("--tenant", "tenant_slug", help="Also say whether each is enabled for SLUG.")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON: [{name, version, depends, installed, enabled}].")
def list_(tenant_slug: str | None, as_json: bool) -> None:
    """List the available plugins, whether installed here and enabled for the tenant."""
    host = current_app.extensions["crm"]["plugins"]
    tenant = get_tenant(tenant_slug) if tenant_slug else None
    enabled = host.enabled_for(tenant.id) if tenant else None
    items = [
        {
            "name": info.name,
            "version": info.version,
            "depends": info.depends,
            "installed": info.installed,
            "enabled": None if enabled is None else info.name in enabled,
            "summary": info.summary,
        }
        for info in sorted(host.available.values(), key=lambda i: i.name)
    ]
    if as_json:
        echo_json(items)
        return
    for item in items:
        state = "installed" if item["installed"] else "not installed"
        if item["enabled"] is not None:
            state += ", enabled" if item["enabled"] else ", disabled"
        needs = f" (needs {', '.join(item['depends'])})" if item["depends"] else ""
        click.echo(f"{item['name']:<16} {item['version']:<8} {state}{needs}")
    if not items:
        click.echo("No plugins are available.")


def _toggle(name: str, tenant_slug: str, enable: bool) -> None:
    host = current_app.extensions["crm"]["plugins"]
    tenant = get_tenant(tenant_slug)
    ctx = context(tenant=tenant, actor=cli_actor())
    try:
        messages = host.enable(ctx, name) if enable else host.disable(ctx, name)
    except PluginStateError as exc:
        db.session.rollback()
        raise CliError(str(exc)) from exc
    db.session.commit()
    for line in messages:
        click.echo(line)


@plugins.command("enable")
@click.argument("name")
@click.option("--tenant", "tenant_slug", required=True, help="The tenant's slug.")
def enable(name: str, tenant_slug: str) -> None:
    """Enable plugin NAME (and what it needs) for the tenant."""
    _toggle(name, tenant_slug, enable=True)


@plugins.command("disable")
@click.argument("name")
@click.option("--tenant", "tenant_slug", required=True, help="The tenant's slug.")
def disable(name: str, tenant_slug: str) -> None:
    """Disable plugin NAME for the tenant (its data is kept)."""
    _toggle(name, tenant_slug, enable=False)


@plugins.command("set")
@click.argument("name")
@click.argument("key")
@click.argument("value")
@click.option("--tenant", "tenant_slug", required=True, help="The tenant's slug.")
def set_(name: str, key: str, value: str, tenant_slug: str) -> None:
    """Set the tenant's setting KEY of plugin NAME to VALUE (checked as the plugins page
    checks it; a refused value changes nothing)."""
    host = current_app.extensions["crm"]["plugins"]
    if name not in host.installed:
        raise CliError(f"plugin: '{name}' is not installed here.")
    tenant = get_tenant(tenant_slug)
    with tenant_scope(tenant.id):
        try:
            stored = set_setting(tenant.id, name, key, value)
        except SettingError as exc:
            db.session.rollback()
            raise CliError(str(exc)) from exc
        db.session.commit()
    click.echo(f"{name}.{key} = {stored!r} for {tenant.slug}")
