"""Records each call as (hook name, tenant slug or None, arguments) on the app."""

from __future__ import annotations

import click
from flask import Blueprint, current_app

from core.events import Panel
from core.hookspecs import hookimpl
from core.settings import Setting


def _record(name: str, ctx, **kwargs) -> None:
    calls = current_app.extensions.setdefault("sample_calls", [])
    calls.append((name, ctx.tenant.slug if ctx.tenant else None, ctx.actor, kwargs))


@hookimpl
def crm_settings():
    return [Setting("greeting", "str", "zdravo", "Greeting"),
            Setting("limit", "int", 5, "Limit", minimum=1, maximum=10)]


@hookimpl
def crm_config_defaults():
    return {"SAMPLE_COLOUR": "blue"}


@hookimpl
def crm_register_commands():
    @click.command("sample-hello")
    def hello():
        """Say hello (a plugin command)."""
        click.echo("hello from sample")

    return [hello]


@hookimpl
def crm_register_blueprints():
    blueprint = Blueprint("sample", __name__, url_prefix="/sample")

    @blueprint.get("/<tenant>/ping")
    def ping(tenant):
        return {"pong": tenant}

    return [blueprint]


@hookimpl
def crm_plugin_enabled(ctx, plugin):
    _record("crm_plugin_enabled", ctx, plugin=plugin)


@hookimpl
def crm_plugin_disabled(ctx, plugin):
    _record("crm_plugin_disabled", ctx, plugin=plugin)


@hookimpl
def crm_record_created(ctx, record):
    _record("crm_record_created", ctx, record=str(record), type=type(record).__name__)


@hookimpl
def crm_record_updated(ctx, record, changes):
    _record("crm_record_updated", ctx, record=str(record), changes=changes)


@hookimpl
def crm_record_deleted(ctx, record, how):
    _record("crm_record_deleted", ctx, record=str(record), how=how)


@hookimpl
def crm_records_purged(ctx, records):
    _record("crm_records_purged", ctx, records=records)


@hookimpl
def crm_login_failed(ctx, email, reason):
    _record("crm_login_failed", ctx, email=email, reason=reason)


@hookimpl
def crm_contact_panels(ctx, contact):
    return [Panel(title="Sample", html=f"sample panel for {contact.full_name}")]


@hookimpl
def crm_backup_restored(ctx, backup_name):
    _record("crm_backup_restored", ctx, backup_name=backup_name)
    return [f"sample saw {backup_name}"]


@hookimpl
def crm_user_logged_in(ctx, user):
    _record("crm_user_logged_in", ctx, user=user.email)


@hookimpl
def crm_user_logged_out(ctx, user):
    _record("crm_user_logged_out", ctx, user=user.email)


@hookimpl
def crm_list_viewed(ctx, list_name, search, filters, page, rows_shown):
    _record("crm_list_viewed", ctx, list_name=list_name, search=search, filters=filters,
            page=page, rows_shown=rows_shown)


@hookimpl
def crm_record_viewed(ctx, record):
    _record("crm_record_viewed", ctx, record=str(record))


@hookimpl
def crm_records_exported(ctx, what, file_format, subject, rows, details):
    _record("crm_records_exported", ctx, what=what, file_format=file_format, rows=rows)
