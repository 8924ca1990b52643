"""Takes deletes over, as the trash plugin will."""

from core.hookspecs import hookimpl


@hookimpl
def crm_delete_record(ctx, record):
    record.notes = "kept by sample_child"
    return "kept"


@hookimpl
def crm_plugin_enabled(ctx, plugin):
    from flask import current_app

    current_app.extensions.setdefault("sample_calls", []).append(
        ("crm_plugin_enabled", ctx.tenant.slug, ctx.actor, {"plugin": plugin})
    )
