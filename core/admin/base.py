"""`CrmModelView`: the base of every model page, core or plugin.

What it adds to Flask-Admin's `ModelView`, once for all pages:
- a record that is not the tenant's (or does not exist) answers 404 on every URL that takes
  an id: details, edit, delete, attachment upload and bulk actions (`get_one` aborts, the
  action ids are checked before any action runs);
- every delete, single or bulk, goes through `core.records.delete_record`; the built-in
  export and fast mass delete stay off (the CRM lists export through the core's safe writer
  instead: `list_export.ListExportMixin`);
- list and detail pages report `crm_list_viewed` and `crm_record_viewed`;
- search compares the case- and accent-free `search_key` with the typed text folded the
  same way (`zupancic` finds `Župančič`);
- times are shown in the tenant's time zone.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import abort, flash, g, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField
from flask_admin.helpers import get_redirect_target
from flask_admin.model import typefmt
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from wtforms.validators import ValidationError

from core.db import db
from core.events import context, emit
from core.ids import parse_id, parse_page
from core.records import DELETED, delete_record
from core.text import sanitize_text, search_key

from .access import CrmViewMixin
from .attachments import AttachmentsMixin
from .converters import CrmFilterConverter, CrmModelConverter
from .list_export import ListExportMixin
from .localtime import format_datetime, show_time

log = logging.getLogger(__name__)

HIDDEN_COLUMNS = ("search_key", "deleted_at", "deleted_by", "deletion_unit", "tenant")

# the view methods Flask-Admin guards with a switch, and the switch
OPERATION_SWITCHES = {
    "create_view": "can_create",
    "edit_view": "can_edit",
    "delete_view": "can_delete",
    "details_view": "can_view_details",
    "export": "can_export",
}


class CrmModelView(CrmViewMixin, AttachmentsMixin, ListExportMixin, ModelView):
    """A tenant-scoped model page (see the module docstring for what it guarantees).

    Subclasses set the usual Flask-Admin options; `search_by_key = True` for models with a
    `search_key` column, `attachment_owner_type` (e.g. `"contact"`) to accept uploads, and
    may return extra filters from `make_filters()` (built per view, per app).
    """

    can_export = False
    fast_mass_delete = False
    can_view_details = True
    can_set_page_size = False
    named_filter_urls = True
    model_form_converter = CrmModelConverter
    search_by_key = False
    details_template = "crm/details.html"
    column_exclude_list = HIDDEN_COLUMNS
    column_details_exclude_list = HIDDEN_COLUMNS
    form_excluded_columns = (*HIDDEN_COLUMNS, "created_at", "updated_at")
    column_type_formatters = {**typefmt.BASE_FORMATTERS, datetime: format_datetime}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, datetime: format_datetime}

    def __init__(self, model: type, session: Any, **kwargs: Any) -> None:
        self.column_filters = self.make_filters()
        self.filter_converter = CrmFilterConverter()
        super().__init__(model, session, **kwargs)

    def make_filters(self) -> list[Any]:
        """The list filters of this view (a new list per view instance)."""
        return list(type(self).column_filters or [])

    def format_time(self, moment: datetime | None) -> str:
        """`moment` in the tenant's time zone (for templates)."""
        return show_time(moment)

    def search_placeholder(self) -> str | None:
        """The hint in the search box."""
        return "Search (case and accents do not matter)" if self.search_by_key else "Search"

    # --- reading: 404 for anything that is not the tenant's ---------------------------------

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        """The access rule first (login, role, plugin); then an operation this view does
        not offer (create, edit, delete, details, export switched off) answers 404 instead
        of Flask-Admin's flash-and-redirect, whatever id it was given."""
        response = super()._handle_view(name, **kwargs)
        if response is not None:
            return response
        switch = OPERATION_SWITCHES.get(name)
        if switch is not None and not getattr(self, switch):
            abort(404)
        return None

    def get_one(self, id: Any) -> Any:
        """The record with primary key `id` among the rows this user may see, else 404."""
        key = self._key(id)
        pk = self._pk_attribute()
        record = None if key is None else self.get_query().filter(pk == key).one_or_none()
        if record is None:
            abort(404)
        return record

    def get_records(self, ids: list[Any]) -> list[Any]:
        """The records with the given ids; 404 when any of them is not visible."""
        keys = {self._key(i) for i in ids}
        if None in keys:
            abort(404)
        records = self.get_query().filter(self._pk_attribute().in_(keys)).all()
        if len(records) != len(keys):
            abort(404)
        return records

    def _pk_attribute(self) -> Any:
        """The model's primary key as an ORM attribute (so the central filters apply)."""
        mapper = inspect(self.model)
        return mapper.get_property_by_column(mapper.primary_key[0]).class_attribute

    def _key(self, raw: Any) -> Any:
        pk = inspect(self.model).primary_key[0]
        if raw is None or isinstance(raw, list):
            return None
        try:
            python_type = pk.type.python_type
        except NotImplementedError:
            python_type = str
        if python_type is int:
            return parse_id(raw, pk)
        try:
            return python_type(str(raw).strip())
        except (TypeError, ValueError):
            return None

    def get_list(self, page: Any, sort_column: Any, sort_desc: Any, search: Any, filters: Any,
                 execute: bool = True, page_size: Any = None) -> Any:
        """Flask-Admin's list query (page at least 0, search text sanitized), searching the
        folded key; remembers what was shown for the `crm_list_viewed` event."""
        page = parse_page(page)  # ?page=-1 would be a negative OFFSET, a huge one overflow
        search = sanitize_text(search) if search else search  # PostgreSQL refuses NUL
        folded = search_key(search) if search and self.search_by_key else search
        count, rows = super().get_list(
            page, sort_column, sort_desc, folded, filters, execute=execute, page_size=page_size
        )
        if execute:
            g.crm_list_shown = {
                "search": search or None,
                "filters": self._describe_filters(filters),
                "page": page or 0,
                "rows_shown": len(rows),
            }
        return count, rows

    def _describe_filters(self, filters: Any) -> dict[str, Any]:
        described: dict[str, Any] = {}
        for index, _name, value in filters or []:
            flt = self._filters[index]
            described[f"{flt.name} {flt.operation()}"] = value
        return described

    @expose("/")
    def index_view(self) -> Any:
        """The list page; reports `crm_list_viewed`."""
        page = super().index_view()
        shown = g.pop("crm_list_shown", None)
        if shown is not None:
            emit("crm_list_viewed", context(), list_name=self.endpoint, **shown)
            db.session.commit()
        return page

    @expose("/details/")
    def details_view(self) -> Any:
        """The detail page of one record; reports `crm_record_viewed`."""
        record = self.get_one(request.args.get("id"))
        page = self.render_details(record)
        emit("crm_record_viewed", context(), record=record)
        db.session.commit()
        return page

    def render_details(self, record: Any, **extra: Any) -> str:
        """Render the detail page of `record` (`extra` goes to the template)."""
        return self.render(
            self.details_template,
            model=record,
            details_columns=self._details_columns,
            get_value=self.get_detail_value,
            return_url=get_redirect_target() or self.get_url(".index_view"),
            attachments=self.attachments_of(record),
            **self.details_extras(record),
            **extra,
        )

    def details_extras(self, record: Any) -> dict[str, Any]:
        """More template variables for the detail page (related records, panels)."""
        return {}

    # --- writing ----------------------------------------------------------------------------

    def validate_form(self, form: Any) -> bool:
        """Flask-Admin's validation, plus: a chosen record that is not among the choices (an
        id of another tenant, a deleted one) is an error on its field, not a silent blank."""
        valid = super().validate_form(form)
        if request.method != "POST":
            return valid
        for field in form:
            if _unknown_choice(field):
                field.errors = [*field.errors, f"{field.label.text}: not a valid choice."]
                valid = False
        return valid

    def handle_view_exception(self, exc: Exception) -> bool:
        """A clash with a unique field is a message, never a 500 nor a database dump."""
        if isinstance(exc, IntegrityError):
            flash("This would duplicate a record that exists already (a field that must be "
                  "unique, such as the e-mail, is used).", "error")
            return True
        return super().handle_view_exception(exc)

    def delete_model(self, model: Any) -> bool:
        """Delete through `core.records.delete_record` (a plugin may take it over)."""
        label = str(model)
        try:
            self.on_model_delete(model)
            how = delete_record(context(), model)
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return False
        except SQLAlchemyError:
            db.session.rollback()
            log.exception("delete of %s failed", label)
            flash(f"'{label}' could not be deleted: the database refused it.", "error")
            return False
        if how != DELETED:
            flash(f"'{label}' was {how}.", "info")
        self.after_model_delete(model)
        return True

    def handle_action(self, return_view: str | None = None) -> Any:
        """Run a bulk action, after checking that every selected id is visible (404 else)."""
        ids = request.form.getlist("rowid")
        if ids:
            self.get_records(ids)
        return super().handle_action(return_view)

    @action("delete", "Delete", "Delete the selected records?")
    def action_delete(self, ids: list[str]) -> None:
        """Bulk delete, one `delete_record` per record, in one transaction."""
        records = self.get_records(ids)
        ctx = context()
        outcomes: dict[str, int] = {}
        try:
            for record in records:
                self.on_model_delete(record)
                how = delete_record(ctx, record)
                outcomes[how] = outcomes.get(how, 0) + 1
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            flash(f"Nothing was deleted: {exc}", "error")
            return None
        for how, count in sorted(outcomes.items()):
            flash(f"{count} record(s) {how}.", "success")
        return None


def _unknown_choice(field: Any) -> bool:
    """True when a record select field was sent an id that is not among its choices."""
    if not isinstance(field, QuerySelectField):
        return False
    sent = {value for value in (field.raw_data or []) if value not in ("", "__None")}
    if isinstance(field, QuerySelectMultipleField):
        return len(sent) != len(field.data or [])
    return bool(sent) and field.data is None
