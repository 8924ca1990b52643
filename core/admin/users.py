"""The users page: tenant admins manage the logins of their own tenant."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from sqlalchemy import select
from wtforms import PasswordField, SelectField
from wtforms.validators import DataRequired, ValidationError

from core.db import db
from core.emails import normalize_email
from core.models import Role, User
from core.models.user import WeakPassword
from core.scoping import all_tenants

from .access import TENANT_ADMINS
from .base import CrmModelView
from .forms import valid_email

ROLE_CHOICES = [(Role.USER.value, "User"), (Role.ADMIN.value, "Tenant admin")]


class UserView(CrmModelView):
    """Logins of the tenant: e-mail, name, role, active, a new password."""

    allowed_roles = TENANT_ADMINS
    column_list = ("email", "full_name", "role", "active", "last_login_at", "created_at")
    column_details_list = column_list
    column_labels = {"email": "E-mail", "last_login_at": "Last login"}
    column_searchable_list = ("email", "full_name")
    column_sortable_list = ("email", "full_name", "role", "last_login_at")
    column_default_sort = ("email", False)
    form_columns = ("email", "full_name", "role", "active", "new_password")
    form_extra_fields = {"new_password": PasswordField("New password")}
    form_overrides = {"role": SelectField}
    form_args = {
        "email": {"label": "E-mail", "validators": [DataRequired(), valid_email]},
        "role": {"choices": ROLE_CHOICES},
    }

    def on_model_change(self, form: Any, model: User, is_created: bool) -> None:
        """Normalize and check the e-mail (unique in the deployment), keep the admin from
        locking themselves out, set the password (a new user needs one)."""
        model.email = normalize_email(model.email)
        with db.session.no_autoflush, all_tenants():
            clash = db.session.scalar(
                select(User.id).where(User.email == model.email, User.id != (model.id or 0))
            )
        if clash is not None:
            raise ValidationError(f"E-mail: {model.email} is already used by another login.")
        model.role = Role(form.role.data)
        if model.id == current_user.id and (model.role != Role.ADMIN or not model.active):
            raise ValidationError("You cannot take away your own admin rights or disable "
                                  "your own login.")
        password = form.new_password.data or ""
        if is_created and not password:
            raise ValidationError("New password: a new user needs a password.")
        if password:
            try:
                model.set_password(password)
            except WeakPassword as exc:
                raise ValidationError(f"New password: {exc}.") from None
        elif not model.active:
            model.rotate_session_token()

    def on_model_delete(self, model: User) -> None:
        """An admin cannot delete their own login."""
        if model.id == current_user.id:
            raise ValidationError("You cannot delete your own login.")
