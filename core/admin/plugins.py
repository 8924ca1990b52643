"""The plugins page: tenant admins switch plugins on and off and edit their settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, current_app, flash, redirect, request
from flask_admin import BaseView, expose
from flask_login import current_user

from core.db import db
from core.events import context
from core.plugin_host import PluginHost, PluginStateError
from core.settings import SettingError, all_settings, set_setting

from .access import TENANT_ADMINS, CrmViewMixin


def _host() -> PluginHost:
    return current_app.extensions["crm"]["plugins"]


class PluginsView(CrmViewMixin, BaseView):
    """List every available plugin with its state for the tenant; toggles and settings."""

    allowed_roles = TENANT_ADMINS

    @expose("/")
    def index(self) -> Any:
        """The list of plugins with their settings."""
        return self._page({}, 200)

    def _page(self, errors: dict[str, dict[str, str]], status: int,
              submitted: dict[str, dict[str, Any]] | None = None) -> Any:
        """The page; `errors` {plugin: {setting key: message}} of a refused save, whose
        `submitted` values {plugin: {key: value}} are shown again for correcting."""
        host = _host()
        tenant_id = current_user.tenant_id
        enabled = host.enabled_for(tenant_id)
        rows = []
        for info in sorted(host.available.values(), key=lambda i: i.name):
            declared = host.settings.declared.get(info.name, {}) if info.installed else {}
            values = all_settings(tenant_id, info.name) if declared else {}
            values.update((submitted or {}).get(info.name, {}))
            rows.append({
                "name": info.name,
                "version": info.version,
                "depends": info.depends,
                "installed": info.installed,
                "enabled": info.name in enabled,
                "summary": info.summary,
                "settings": [(spec, values.get(key)) for key, spec in declared.items()],
            })
        return self.render("crm/plugins.html", plugins=rows, errors=errors), status

    @expose("/<plugin>/enable", methods=("POST",))
    def enable(self, plugin: str) -> Any:
        """Enable `plugin` (and what it needs) for the tenant."""
        return self._change(_host().enable, plugin)

    @expose("/<plugin>/disable", methods=("POST",))
    def disable(self, plugin: str) -> Any:
        """Disable `plugin` for the tenant (refused while another enabled plugin needs it)."""
        return self._change(_host().disable, plugin)

    def _change(self, change: Callable[[Any, str], list[str]], name: str) -> Any:
        try:
            messages = change(context(), name)
            db.session.commit()
        except PluginStateError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            for message in messages:
                flash(message, "success")
        return redirect(self.get_url(".index"))

    @expose("/<plugin>/settings", methods=("POST",))
    def settings(self, plugin: str) -> Any:
        """Save every setting of `plugin` at once, or none when one is refused."""
        name = plugin
        host = _host()
        declared = host.settings.declared.get(name) if name in host.installed else None
        if not declared:
            abort(404)
        problems: dict[str, str] = {}
        typed: dict[str, Any] = {}
        for key, spec in declared.items():
            if spec.type == "bool":
                typed[key] = key in request.form  # an unticked box is not sent
                raw = "on" if typed[key] else "off"
            else:
                raw = typed[key] = request.form.get(key, "")
            try:
                set_setting(current_user.tenant_id, name, key, raw)
            except SettingError as exc:
                problems[key] = str(exc)
        if problems:
            db.session.rollback()
            return self._page({name: problems}, 400, {name: typed})
        db.session.commit()
        flash(f"Saved the settings of {name}.", "success")
        return redirect(self.get_url(".index"))
