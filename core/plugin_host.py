"""The plugin host: discovery, the three plugin states, boot hooks and per-tenant toggles.

1. available: a package found through the entry-point group `crm.plugins` (plus any given
   in the `EXTRA_PLUGINS` config, for tests), with a `MANIFEST` dict (name, version,
   depends, summary) and a `hooks` module of `@hookimpl` functions;
2. installed: named in `CRM_PLUGINS` (default: all available); only installed plugins are
   registered with the plugin manager, so only their models, migrations, views, routes and
   commands exist;
3. enabled per tenant: a `tenant_plugin` row; runtime hooks reach only the tenant's enabled
   plugins (`PluginManager.subset_hook_caller`).
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
from flask import Flask, g
from sqlalchemy import select

from core import hookspecs, subject
from core.db import db
from core.events import EventContext, TenantRef, tenant_ref
from core.models import Tenant, TenantPlugin
from core.scoping import tenant_scope
from core.settings import SettingsRegistry

ENTRY_POINT_GROUP = "crm.plugins"
CORE_PLUGIN = "core"


class PluginError(RuntimeError):
    """A plugin that cannot be booted (clash, missing dependency, unknown name)."""


class PluginStateError(ValueError):
    """A toggle that is refused; the message says why and what to do."""


@dataclass
class PluginInfo:
    """What the host knows about one available plugin."""

    name: str
    version: str
    depends: list[str]
    summary: str
    package: ModuleType
    installed: bool = False
    hooks: ModuleType | None = None
    tables: list[str] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        """The plugin package's folder."""
        return Path(self.package.__file__).parent


def discover(extra: list[ModuleType] | None = None) -> dict[str, PluginInfo]:
    """Return every available plugin by name (entry points, then `extra` packages)."""
    packages = [ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)]
    packages.extend(extra or [])
    found: dict[str, PluginInfo] = {}
    for package in packages:
        manifest = getattr(package, "MANIFEST", None)
        if not isinstance(manifest, dict) or "name" not in manifest:
            raise PluginError(f"plugin package {package.__name__} has no MANIFEST with a name")
        name = manifest["name"]
        if name == CORE_PLUGIN:
            raise PluginError(f"plugin package {package.__name__} may not be called '{name}'")
        if name in found and found[name].package is not package:
            raise PluginError(f"two plugins are called '{name}'")
        found[name] = PluginInfo(
            name=name,
            version=str(manifest.get("version", "0")),
            depends=list(manifest.get("depends", [])),
            summary=manifest.get("summary", ""),
            package=package,
        )
    return found


class PluginHost:
    """One app's plugin manager and plugin states (kept on `app.extensions["crm"]`)."""

    def __init__(self, app: Flask, available: dict[str, PluginInfo], installed: list[str]):
        self.app = app
        self.available = available
        self.pm = pluggy.PluginManager("crm")
        self.pm.add_hookspecs(hookspecs)
        # the core's own part of subject exports and erasures; never switched off
        self.pm.register(subject, name=CORE_PLUGIN)
        unknown = [n for n in installed if n not in available]
        if unknown:
            raise PluginError(
                f"CRM_PLUGINS names unknown plugin(s) {', '.join(unknown)}; "
                f"available: {', '.join(sorted(available)) or 'none'}."
            )
        for name in installed:
            missing = [d for d in available[name].depends if d not in installed]
            if missing:
                raise PluginError(
                    f"plugin '{name}' needs {', '.join(missing)}; add it to CRM_PLUGINS"
                )
        self.installed = [n for n in _dependency_order(available) if n in installed]
        for name in self.installed:
            info = available[name]
            info.installed = True
            spec_module = _optional_module(info.package, "hookspecs")
            if spec_module is not None:
                self.pm.add_hookspecs(spec_module)
            info.hooks = importlib.import_module(f"{info.package.__name__}.hooks")
            self.pm.register(info.hooks, name=name)
        self.settings = SettingsRegistry()

    # --- boot ---------------------------------------------------------------------------

    def boot_results(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call boot hook `hook_name` on each installed plugin in dependency order; return
        (plugin, what it returned) for every plugin that returned something."""
        results = []
        for name in self.installed:
            for value in self._only(name, hook_name)(**kwargs):
                if value is not None:
                    results.append((name, value))
        return results

    def plugin_object(self, name: str) -> Any:
        """The object registered with pluggy for plugin `name`."""
        return self.pm.get_plugin(name)

    # --- runtime ------------------------------------------------------------------------

    def enabled_for(self, tenant_id: int) -> set[str]:
        """Return the installed plugins enabled for the tenant (read once per app context)."""
        cache = g.setdefault("crm_enabled_plugins", {})
        if tenant_id not in cache:
            with db.session.no_autoflush, tenant_scope(tenant_id):
                names = db.session.scalars(
                    select(TenantPlugin.plugin).where(TenantPlugin.enabled.is_(True))
                ).all()
            cache[tenant_id] = {n for n in names if n in self.installed}
        return cache[tenant_id]

    def is_enabled(self, tenant_id: int | None, name: str) -> bool:
        """True when plugin `name` is installed and enabled for the tenant."""
        return tenant_id is not None and name in self.enabled_for(tenant_id)

    def caller_for(self, tenant_id: int | None, hook_name: str) -> Any:
        """Return a hook caller that reaches only the tenant's enabled plugins (every
        installed plugin when `tenant_id` is None)."""
        if tenant_id is None:
            return getattr(self.pm.hook, hook_name)
        enabled = self.enabled_for(tenant_id)
        off = [self.plugin_object(n) for n in self.installed if n not in enabled]
        if not off:
            return getattr(self.pm.hook, hook_name)
        return self.pm.subset_hook_caller(hook_name, remove_plugins=off)

    def tenant_ref(self, tenant_id: int) -> TenantRef:
        """Return the TenantRef of a tenant id (read once per app context)."""
        cache = g.setdefault("crm_tenant_refs", {})
        if tenant_id not in cache:
            with db.session.no_autoflush:
                cache[tenant_id] = tenant_ref(db.session.get(Tenant, tenant_id))
        return cache[tenant_id]

    # --- toggles ------------------------------------------------------------------------

    def enable(self, ctx: EventContext, name: str) -> list[str]:
        """Enable `name` (and, first, what it depends on) for `ctx.tenant`; return one
        message per plugin switched on. Not committed."""
        self._require_installed(name)
        tenant_id = ctx.tenant_id
        messages: list[str] = []
        for needed in self._with_dependencies(name):
            if self.is_enabled(tenant_id, needed):
                continue
            self._set_row(tenant_id, needed, True, ctx.actor)
            self._only(needed, "crm_plugin_enabled")(ctx=ctx, plugin=needed)
            if needed == name:
                messages.append(f"Enabled {needed}.")
            else:
                messages.append(f"Enabled {needed} too, because {name} needs it.")
        if not messages:
            messages.append(f"{name} was already enabled.")
        return messages

    def disable(self, ctx: EventContext, name: str) -> list[str]:
        """Disable `name` for `ctx.tenant` (its data stays); refuse while an enabled plugin
        depends on it. Not committed."""
        self._require_installed(name)
        tenant_id = ctx.tenant_id
        if not self.is_enabled(tenant_id, name):
            return [f"{name} was already disabled."]
        dependants = sorted(
            other for other in self.enabled_for(tenant_id)
            if name in self.available[other].depends
        )
        if dependants:
            raise PluginStateError(
                f"{name} cannot be disabled while {', '.join(dependants)} "
                f"{'needs' if len(dependants) == 1 else 'need'} it; disable "
                f"{'that' if len(dependants) == 1 else 'those'} first."
            )
        self._only(name, "crm_plugin_disabled")(ctx=ctx, plugin=name)
        self._set_row(tenant_id, name, False, ctx.actor)
        return [f"Disabled {name}; its data is kept."]

    def _only(self, name: str, hook_name: str) -> Any:
        others = [plugin for other, plugin in self.pm.list_name_plugin() if other != name]
        return self.pm.subset_hook_caller(hook_name, remove_plugins=others)

    def _require_installed(self, name: str) -> None:
        if name not in self.available:
            raise PluginStateError(
                f"There is no plugin '{name}'; see 'crm plugins list' for the names."
            )
        if name not in self.installed:
            raise PluginStateError(
                f"{name} is not installed in this deployment (see CRM_PLUGINS)."
            )

    def _with_dependencies(self, name: str) -> list[str]:
        ordered: list[str] = []

        def visit(current: str) -> None:
            for dep in self.available[current].depends:
                visit(dep)
            if current not in ordered:
                ordered.append(current)

        visit(name)
        return ordered

    def _set_row(self, tenant_id: int, name: str, enabled: bool, actor: str) -> None:
        with tenant_scope(tenant_id):
            row = db.session.scalar(select(TenantPlugin).where(TenantPlugin.plugin == name))
            if row is None:
                row = TenantPlugin(plugin=name, tenant_id=tenant_id)
                db.session.add(row)
            row.enabled = enabled
            row.changed_by = actor
            db.session.flush()
        g.setdefault("crm_enabled_plugins", {}).pop(tenant_id, None)


def _optional_module(package: ModuleType, name: str) -> ModuleType | None:
    full = f"{package.__name__}.{name}"
    if importlib.util.find_spec(full) is None:
        return None
    return importlib.import_module(full)


def _dependency_order(available: dict[str, PluginInfo]) -> list[str]:
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            raise PluginError(f"plugins depend on each other in a circle through '{name}'")
        visiting.add(name)
        for dep in available[name].depends:
            if dep not in available:
                raise PluginError(f"plugin '{name}' depends on '{dep}', which is not available")
            visit(dep)
        visiting.discard(name)
        ordered.append(name)

    for name in sorted(available):
        visit(name)
    return ordered


def plugin_host(app: Flask | None = None) -> PluginHost:
    """Return the app's plugin host (the current app's by default)."""
    from flask import current_app

    return (app or current_app).extensions["crm"]["plugins"]

