"""Who may open an admin view: the one access rule every core and plugin view follows.

`CrmViewMixin` goes first in a view's bases (`class MyView(CrmViewMixin, BaseView)`); the
model views inherit it through `CrmModelView`. A view names the roles that may use it in
`allowed_roles`; a plugin's view is marked with `crm_plugin` when it is registered and then
answers 404 (and leaves the menu) for tenants that have not enabled that plugin.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, url_for
from flask_login import current_user

from core.auth.redirects import current_path, safe_next
from core.models import Role

TENANT_ROLES: tuple[Role, ...] = (Role.USER, Role.ADMIN)
TENANT_ADMINS: tuple[Role, ...] = (Role.ADMIN,)
PLATFORM_ADMINS: tuple[Role, ...] = (Role.PLATFORM_ADMIN,)


class CrmViewMixin:
    """Access rule of an admin view: logged in, an allowed role, the plugin enabled."""

    allowed_roles: tuple[Role, ...] = TENANT_ROLES
    crm_plugin: str | None = None

    def is_accessible(self) -> bool:
        """True when the current user may use this view (Flask-Admin also hides the menu
        entry of views that are not accessible)."""
        user = current_user
        if not user.is_authenticated or user.role not in self.allowed_roles:
            return False
        if self.crm_plugin is not None:
            host = current_app.extensions["crm"]["plugins"]
            return host.is_enabled(user.tenant_id, self.crm_plugin)
        return True

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        """Anonymous: to the login page. A plugin view of a disabled plugin: 404 (the page
        does not exist for this tenant). Another role's page: 403."""
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=safe_next(current_path())))
        if self.crm_plugin is not None:
            abort(404)
        abort(403)
