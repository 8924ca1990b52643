"""Building an app's admin: one `Admin` per app with new view objects, core and plugins.

Flask-Admin views remember the Admin and the blueprint they were registered with, so a
view object serves one app only: `init_admin` makes new ones every time it is called, and a
plugin's `crm_register_admin_views` must return new view objects on every call.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from core.db import db
from core.models import Activity, Company, Contact, Tenant, User
from core.plugin_host import PluginError, PluginHost
from core.security_headers import csp_nonce

from .access import CrmViewMixin
from .attachments import AttachmentView
from .crm import ActivityView, CompanyView, ContactView
from .home import HomeView
from .plugins import PluginsView
from .tenants import TenantView
from .users import UserView


def init_admin(app: Flask) -> Admin:
    """Create the app's Admin at `/admin/` with the core pages and the plugins' pages."""
    admin = Admin(
        app,
        name="CRM",
        theme=Bootstrap4Theme(base_template="crm/admin_base.html"),
        index_view=HomeView(name="Home", url="/admin", endpoint="admin"),
        csp_nonce_generator=csp_nonce,
    )
    page_size = int(app.config["ADMIN_PAGE_SIZE"])
    for view in core_views():
        if hasattr(view, "page_size"):
            view.page_size = page_size
        admin.add_view(view)
    add_plugin_views(admin, app.extensions["crm"]["plugins"])
    app.extensions["crm"]["admin"] = admin
    return admin


def core_views() -> list[Any]:
    """New view objects for the core's pages."""
    return [
        ContactView(Contact, db, name="Contacts", endpoint="contacts"),
        CompanyView(Company, db, name="Companies", endpoint="companies"),
        ActivityView(Activity, db, name="Activities", endpoint="activities"),
        UserView(User, db, name="Users", endpoint="users"),
        PluginsView(name="Plugins", endpoint="plugins"),
        TenantView(Tenant, db, name="Tenants", endpoint="tenants"),
        AttachmentView(name="Attachments", endpoint="attachments"),
    ]


def add_plugin_views(admin: Admin, host: PluginHost) -> None:
    """Add the views the installed plugins return from `crm_register_admin_views`.

    Each must be a new object inheriting `CrmViewMixin` (usually via `CrmModelView`) with
    an endpoint `<plugin>_...`; it is marked with its plugin, so its pages answer 404 and
    its menu entry is hidden for tenants that have not enabled the plugin.
    """
    for name, views in host.boot_results("crm_register_admin_views", admin=admin):
        for view in views:
            endpoint = getattr(view, "endpoint", None) or ""
            if not endpoint.startswith(f"{name}_"):
                raise PluginError(
                    f"plugin '{name}' has an admin view with endpoint '{endpoint}', which does "
                    f"not start with '{name}_'"
                )
            if not isinstance(view, CrmViewMixin):
                raise PluginError(
                    f"admin view '{endpoint}' of plugin '{name}' must inherit "
                    "core.admin.CrmModelView or core.admin.CrmViewMixin"
                )
            if getattr(view, "admin", None) is not None:
                raise PluginError(
                    f"admin view '{endpoint}' of plugin '{name}' is already registered with "
                    "an app; return new view objects on every call"
                )
            view.crm_plugin = name
            admin.add_view(view)
