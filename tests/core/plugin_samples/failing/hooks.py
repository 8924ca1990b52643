"""Raises in `crm_record_created` for a contact called "Boom", in `crm_contact_panels`, and
in `crm_plugin_enabled` for tenant `beta`."""

from core.hookspecs import hookimpl


class PluginBug(RuntimeError):
    """What the failing plugin raises."""


@hookimpl
def crm_record_created(ctx, record):
    if getattr(record, "last_name", None) == "Boom":
        raise PluginBug("the failing plugin broke on purpose")


@hookimpl
def crm_contact_panels(ctx, contact):
    raise PluginBug("the failing plugin's panel broke on purpose")


@hookimpl
def crm_plugin_enabled(ctx, plugin):
    if ctx.tenant.slug == "beta":
        raise PluginBug("the failing plugin cannot be enabled for beta")
