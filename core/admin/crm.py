"""The CRM pages: contacts, companies and activities (users and tenant admins)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from sqlalchemy import select
from wtforms.validators import Optional, ValidationError

from core.clock import utcnow
from core.db import db
from core.events import Panel, context, emit
from core.models import Activity, Company, Contact

from .base import CrmModelView
from .filters import TagFilter, by_company, by_day, by_owner
from .forms import valid_email

NO_CHOICE = "(none)"


def _tag_names(view: Any, ctx: Any, model: Any, name: str) -> str:
    return ", ".join(tag.name for tag in model.tags)


class ContactView(CrmModelView):
    """People: list, search, filters, detail page with activities, attachments, panels."""

    search_by_key = True
    column_searchable_list = ("search_key",)
    attachment_owner_type = "contact"
    details_template = "crm/contact_details.html"
    column_list = ("last_name", "first_name", "email", "phone", "company", "tags", "owner")
    column_labels = {"email": "E-mail"}
    column_sortable_list = ("last_name", "first_name", "email", ("company", "company.name"))
    column_default_sort = [("last_name", False), ("first_name", False)]
    column_formatters = {"tags": _tag_names}
    column_formatters_detail = {"tags": _tag_names}
    column_details_list = ("first_name", "last_name", "email", "phone", "owner", "notes",
                           "created_at", "updated_at")  # company and tags: own sections
    form_columns = ("first_name", "last_name", "email", "phone", "company", "tags", "owner",
                    "notes")
    form_args = {
        "email": {"label": "E-mail", "validators": [Optional(), valid_email]},
        "company": {"blank_text": NO_CHOICE},
        "owner": {"blank_text": NO_CHOICE},
    }

    def make_filters(self) -> list[Any]:
        """Company, tag, owner and the day the contact was created."""
        return [
            by_company(Contact.company_id),
            TagFilter(Contact.id, Contact.tags),
            by_owner(Contact.owner_id),
            *by_day(Contact.created_at, "Created"),
        ]

    def on_model_change(self, form: Any, model: Contact, is_created: bool) -> None:
        """A contact needs a name or an e-mail; the e-mail is unique in the tenant; a new
        contact's owner defaults to the user who creates it."""
        if not (model.first_name or model.last_name or model.email):
            raise ValidationError("Enter a first name, a last name or an e-mail address.")
        if model.email:
            with db.session.no_autoflush:
                clash = db.session.scalar(
                    select(Contact.id).where(Contact.email == model.email,
                                             Contact.id != (model.id or 0))
                )
            if clash is not None:
                raise ValidationError(f"E-mail: another contact already has {model.email}.")
        if is_created and model.owner is None:
            model.owner = current_user._get_current_object()

    def details_extras(self, record: Contact) -> dict[str, Any]:
        """The contact's activities and the panels plugins contribute."""
        contributed = emit("crm_contact_panels", context(), contact=record) or []
        panels: list[Panel] = [panel for group in contributed for panel in (group or [])]
        return {
            "activities": list(record.activities),
            "panels": sorted(panels, key=lambda p: (p.order, p.title)),
        }


class CompanyView(CrmModelView):
    """Organisations: list, search, detail page with their contacts and attachments."""

    search_by_key = True
    column_searchable_list = ("search_key",)
    attachment_owner_type = "company"
    details_template = "crm/company_details.html"
    column_list = ("name", "vat_id", "phone", "website", "updated_at")
    column_labels = {"vat_id": "VAT ID", "updated_at": "Changed"}
    column_sortable_list = ("name", "vat_id", "updated_at")
    column_default_sort = ("name", False)
    column_details_list = ("name", "vat_id", "website", "phone", "address", "notes",
                           "created_at", "updated_at")
    form_columns = ("name", "vat_id", "website", "phone", "address", "notes")
    form_args = {"vat_id": {"label": "VAT ID"}}

    def make_filters(self) -> list[Any]:
        """The day the company was created."""
        return by_day(Company.created_at, "Created")

    def details_extras(self, record: Company) -> dict[str, Any]:
        """The company's contacts."""
        return {"contacts": list(record.contacts)}


class ActivityView(CrmModelView):
    """Meetings, calls, e-mails, notes and tasks."""

    search_by_key = True
    column_searchable_list = ("search_key",)
    attachment_owner_type = "activity"
    column_list = ("occurred_at", "kind", "subject", "company", "owner")
    column_labels = {"occurred_at": "When"}
    column_sortable_list = ("occurred_at", "kind", "subject", ("company", "company.name"))
    column_default_sort = ("occurred_at", True)
    column_details_list = ("occurred_at", "kind", "subject", "company", "participants",
                           "owner", "body", "created_at", "updated_at")
    form_columns = ("kind", "subject", "occurred_at", "company", "participants", "owner",
                    "body")
    form_args = {
        "occurred_at": {"label": "When", "default": utcnow},
        "company": {"blank_text": NO_CHOICE},
        "owner": {"blank_text": NO_CHOICE},
    }

    def make_filters(self) -> list[Any]:
        """Company, owner and the day it happened."""
        return [
            by_company(Activity.company_id),
            by_owner(Activity.owner_id),
            *by_day(Activity.occurred_at, "When"),
        ]

    def on_model_change(self, form: Any, model: Activity, is_created: bool) -> None:
        """A new activity's owner defaults to the user who records it."""
        if model.occurred_at is None:
            model.occurred_at = utcnow()
        if is_created and model.owner is None:
            model.owner = current_user._get_current_object()
