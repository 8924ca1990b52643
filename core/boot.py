"""Booting the installed plugins into an app: what their boot hooks return is checked
(names, prefixes, clashes) and registered. Any problem stops `create_app` loudly."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, g, request
from jinja2 import ChoiceLoader, FileSystemLoader
from sqlalchemy import select

from core.cli import add_command
from core.config import installed_plugin_names
from core.db import db
from core.events import tenant_ref
from core.models import Tenant
from core.plugin_host import CORE_PLUGIN, PluginError, PluginHost, discover
from core.schema import plugin_versions_folder
from core.scoping import all_tenants

FLASK_COMMANDS = ("run", "shell", "routes")
"""The commands `crm` (a FlaskGroup) has of its own; a plugin's command may not hide them."""


def boot_plugins(app: Flask) -> PluginHost:
    """Discover, install and boot the plugins of `app`; return the host."""
    available = discover(extra=app.config.get("EXTRA_PLUGINS"))
    host = PluginHost(app, available, installed_plugin_names(app, list(available)))
    state = app.extensions["crm"]
    state["plugins"] = host
    state["settings"] = host.settings

    for _name, defaults in host.boot_results("crm_config_defaults"):
        for key, value in defaults.items():
            app.config.setdefault(key, value)
    for name, kinds in host.boot_results("crm_setting_kinds"):
        host.settings.add_kinds(name, dict(kinds))
    for name, settings in host.boot_results("crm_settings"):
        host.settings.declare(name, list(settings))
    _register_models(app, host)
    _register_blueprints(app, host)
    _register_commands(app, host)
    _add_template_folders(app, host)
    return host


def _register_models(app: Flask, host: PluginHost) -> None:
    owners: dict[str, str] = {}
    for name, models in host.boot_results("crm_register_models"):
        for model in models:
            table = model.__table__.name
            if not table.startswith(f"{name}_"):
                raise PluginError(f"plugin '{name}' has a table '{table}' without the prefix "
                                  f"'{name}_'")
            if table in owners:
                raise PluginError(f"table '{table}' is registered by '{owners[table]}' and "
                                  f"'{name}'")
            owners[table] = name
        host.available[name].tables = sorted(t for t, o in owners.items() if o == name)
    migration_dirs = {}
    for name in host.installed:
        versions = plugin_versions_folder(app, name)
        if versions.is_dir():
            migration_dirs[name] = versions
    app.extensions["crm"]["table_owners"] = owners
    app.extensions["crm"]["migration_dirs"] = migration_dirs


def _register_blueprints(app: Flask, host: PluginHost) -> None:
    for name, blueprints in host.boot_results("crm_register_blueprints"):
        for blueprint in blueprints:
            if not blueprint.name.startswith(name):
                raise PluginError(f"plugin '{name}' has a blueprint '{blueprint.name}' that "
                                  f"does not start with its name")
            if blueprint.name in app.blueprints:
                raise PluginError(f"blueprint '{blueprint.name}' of '{name}' clashes")
            _guard_blueprint(blueprint, name)
            app.register_blueprint(blueprint)


def _guard_blueprint(blueprint: Blueprint, plugin: str) -> None:
    """Answer 404 on the plugin's routes for tenants that have not enabled it."""

    if getattr(blueprint, "_crm_guarded_for", None) == plugin:
        return

    def require_enabled() -> None:
        tenant = request_tenant()
        if tenant is None or not current_host().is_enabled(tenant.id, plugin):
            abort(404)

    blueprint.before_request(require_enabled)
    blueprint._crm_guarded_for = plugin  # a module-level blueprint is registered per app


def request_tenant() -> Any:
    """The tenant of this request: the `<tenant>` slug in the URL (public forms, webhooks),
    else the logged-in user's tenant; None when there is neither."""
    slug = (request.view_args or {}).get("tenant")
    if slug is None:
        return g.get("crm_tenant")
    cache = g.setdefault("crm_url_tenants", {})
    if slug not in cache:
        with all_tenants():
            tenant = db.session.scalar(select(Tenant).where(Tenant.slug == str(slug)))
        cache[slug] = tenant_ref(tenant)
    return cache[slug]


def current_host() -> PluginHost:
    """The current app's plugin host."""
    from flask import current_app

    return current_app.extensions["crm"]["plugins"]


def _register_commands(app: Flask, host: PluginHost) -> None:
    # the core's commands and the ones `crm` itself has (run, shell, routes) come first
    owners = dict.fromkeys([*app.cli.commands, *FLASK_COMMANDS], CORE_PLUGIN)
    for name, commands in host.boot_results("crm_register_commands"):
        for command in commands:
            owner = owners.setdefault(str(command.name), name)
            if owner == name and command.name in app.cli.commands:
                raise PluginError(f"The plugin '{name}' adds two commands named "
                                  f"'{command.name}'; rename one.")
            if owner == CORE_PLUGIN:
                raise PluginError(f"The plugin '{name}' adds a command '{command.name}', which "
                                  f"the core has already; remove {name} from CRM_PLUGINS.")
            if owner != name:
                raise PluginError(f"The plugins '{owner}' and '{name}' both add a command "
                                  f"'{command.name}'; remove one of them from CRM_PLUGINS.")
            add_command(app, command)


def _add_template_folders(app: Flask, host: PluginHost) -> None:
    folders = [
        str(host.available[n].folder / "templates")
        for n in host.installed
        if (host.available[n].folder / "templates").is_dir()
    ]
    if folders:
        app.jinja_loader = ChoiceLoader([app.jinja_loader, FileSystemLoader(folders)])
