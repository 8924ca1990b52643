"""`/admin/`: the start page after login."""

from __future__ import annotations

from typing import Any

from flask import redirect, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user
from sqlalchemy import func, select

from core.auth.redirects import current_path, safe_next
from core.db import db
from core.models import Activity, Company, Contact, Tenant
from core.scoping import all_tenants


class HomeView(AdminIndexView):
    """A short overview: the tenant's record counts, or the tenants for platform admins."""

    def is_accessible(self) -> bool:
        """Any logged-in user."""
        return current_user.is_authenticated

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        """Anonymous visitors log in first."""
        return redirect(url_for("auth.login", next=safe_next(current_path())))

    @expose("/")
    def index(self) -> Any:
        """Counts and links for the user's role."""
        if current_user.is_platform_admin:
            with all_tenants():
                counts = {"tenants": db.session.scalar(select(func.count(Tenant.id)))}
        else:
            counts = {
                "contacts": db.session.scalar(select(func.count(Contact.id))),
                "companies": db.session.scalar(select(func.count(Company.id))),
                "activities": db.session.scalar(select(func.count(Activity.id))),
            }
        return self.render("crm/home.html", counts=counts)
