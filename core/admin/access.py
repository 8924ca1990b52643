"""Who may open an admin view: the one access rule every core and plugin view follows.

`CrmViewMixin` goes first in a view's bases (`class MyView(CrmViewMixin, BaseView)`); the
model views inherit it through `CrmModelView`. A view names the roles that may use it in
`allowed_roles`; a plugin's view is marked with `crm_plugin` when it is registered and then
answers 404 (and leaves the menu) for tenants that have not enabled that plugin.

So a logged-in user gets 404 for a page that does not exist for their tenant, and 403 for a
page that exists but is another role's (README, Roles); anonymous visitors log in first.
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
        return bool(user.is_authenticated and user.role in self.allowed_roles
                    and self.exists_for_user())

    def exists_for_user(self) -> bool:
        """False for a plugin's view when the logged-in user's tenant has not enabled the
        plugin (the page does not exist for them); a user without a tenant (a platform
        admin) sees every installed plugin's page exist."""
        tenant_id = current_user.tenant_id
        if self.crm_plugin is None or tenant_id is None:
            return True
        return current_app.extensions["crm"]["plugins"].is_enabled(tenant_id, self.crm_plugin)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        """Anonymous: to the login page. A page that does not exist for the user's tenant (a
        plugin it has not enabled): 404. A page of another role: 403."""
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=safe_next(current_path())))
        if not self.exists_for_user():
            abort(404)
        abort(403)
