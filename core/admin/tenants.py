"""The tenants page: platform admins create and rename tenants (and see no CRM data)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from core.cli.tenants import NAME_MAX, SLUG_RE
from core.clock import DEFAULT_TIME_ZONE
from core.db import db
from core.models import Tenant
from core.scoping import all_tenants

from .access import PLATFORM_ADMINS
from .base import CrmModelView
from .forms import valid_time_zone


class TenantView(CrmModelView):
    """Tenants: slug, name, time zone. Deleting a tenant is not offered on the web."""

    allowed_roles = PLATFORM_ADMINS
    can_delete = False
    column_list = ("slug", "name", "time_zone", "created_at")
    column_details_list = column_list
    column_searchable_list = ("slug", "name")
    column_default_sort = ("slug", False)
    form_columns = ("slug", "name", "time_zone")
    form_args = {
        "slug": {"validators": [DataRequired(), Regexp(
            SLUG_RE, message="Slug: use lower-case letters, digits and dashes (e.g. acme-si).")]},
        "name": {"validators": [DataRequired(message="Name: enter the tenant's name."),
                                Length(max=NAME_MAX, message=f"Name: at most {NAME_MAX} "
                                                             "characters.")]},
        "time_zone": {"default": DEFAULT_TIME_ZONE, "validators": [valid_time_zone]},
    }

    def _run_view(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """The tenants pages are the one place a platform admin works across tenants."""
        with all_tenants():
            return super()._run_view(fn, *args, **kwargs)

    def on_model_change(self, form: Any, model: Tenant, is_created: bool) -> None:
        """The slug is unique."""
        with db.session.no_autoflush:
            clash = db.session.scalar(
                select(Tenant.id).where(Tenant.slug == model.slug, Tenant.id != (model.id or 0))
            )
        if clash is not None:
            raise ValidationError(f"Slug: a tenant '{model.slug}' exists already.")
