"""The plugin's admin pages: review-and-download of a person's or a company's data, the
export start page, and the register of subject requests.

All of them are reached through `crm_register_admin_views`, so they answer 404 for tenants
that have not enabled the plugin; a record of another tenant is not found by the central
tenant filter and answers 404 as well.
"""

from __future__ import annotations

import io
from typing import Any

from flask import abort, flash, g, request, send_file
from flask_admin import BaseView, expose
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms.validators import ValidationError

from core.admin import CrmModelView, CrmViewMixin
from core.clock import DEFAULT_TIME_ZONE, to_local, utcnow
from core.db import db
from core.events import context, emit
from core.ids import parse_id
from core.models import Company, Contact
from core.text import search_key
from plugins.export import register
from plugins.export.formats import FORMATS, MEDIA_TYPES
from plugins.export.gather import Pack, show
from plugins.export.models import ExportRecord, RequestStatus, SubjectRequest
from plugins.export.service import pack_for, produce

MODELS = {"contact": Contact, "company": Company}
SEARCH_LIMIT = 20
RECENT_EXPORTS = 20
FORMAT_LABELS = {"docx": "Word (.docx)", "xlsx": "Excel (.xlsx)", "json": "JSON (.json)",
                 "zip": "ZIP with attachments"}
CHANGED = ("The data changed after this page was opened (a record was added, edited or "
           "removed): check the items again, then download.")


def tenant_zone() -> str:
    """The time zone of the request's tenant."""
    tenant = g.get("crm_tenant")
    return tenant.time_zone if tenant is not None else DEFAULT_TIME_ZONE


class ExportView(CrmViewMixin, BaseView):
    """`/admin/export/`: find a person or company; review what an export holds, untick what
    must not go out, download it as Word, Excel, JSON or ZIP."""

    @expose("/")
    def index(self) -> Any:
        """Search people and companies; the latest exports."""
        text = (request.args.get("q") or "").strip()
        contacts: list[Contact] = []
        companies: list[Company] = []
        if text:
            pattern = f"%{search_key(text)}%"
            contacts = list(db.session.scalars(
                select(Contact).where(Contact.search_key.like(pattern))
                .order_by(Contact.last_name, Contact.first_name, Contact.id)
                .limit(SEARCH_LIMIT)))
            companies = list(db.session.scalars(
                select(Company).where(Company.search_key.like(pattern))
                .order_by(Company.name, Company.id).limit(SEARCH_LIMIT)))
        recent = list(db.session.scalars(
            select(ExportRecord).order_by(ExportRecord.at.desc(), ExportRecord.id.desc())
            .limit(RECENT_EXPORTS)))
        return self.render("export/index.html", q=text, contacts=contacts,
                           companies=companies, recent=recent, zone=tenant_zone(), show=show)

    @expose("/contact/<int:record_id>", methods=("GET", "POST"))
    def contact(self, record_id: int) -> Any:
        """Review (GET) or download (POST) what is held about a person."""
        return self._review("contact", record_id)

    @expose("/company/<int:record_id>", methods=("GET", "POST"))
    def company(self, record_id: int) -> Any:
        """Review (GET) or download (POST) the company, its contacts and their activities."""
        return self._review("company", record_id)

    def _review(self, kind: str, record_id: int) -> Any:
        model = MODELS[kind]
        record = db.session.scalar(select(model).where(model.id == record_id))
        if record is None:
            abort(404)
        ctx = context()
        pack = pack_for(ctx, kind, record)
        if request.method == "POST":
            return self._download(ctx, kind, record, pack)
        emit("crm_record_viewed", ctx, record=record)
        db.session.commit()
        return self._page(kind, record, pack)

    def _page(self, kind: str, record: Any, pack: Pack, status: int = 200) -> Any:
        open_requests = register.requests(contact_id=record.id) if kind == "contact" else []
        back = (self.get_url("contacts.details_view", id=record.id) if kind == "contact"
                else self.get_url("companies.details_view", id=record.id))
        return self.render("export/review.html", pack=pack, kind=kind, record=record,
                           digest=pack.digest(), formats=FORMAT_LABELS, show=show,
                           open_requests=open_requests, back=back), status

    def _download(self, ctx: Any, kind: str, record: Any, pack: Pack) -> Any:
        file_format = request.form.get("format", "")
        if file_format not in FORMATS:
            abort(400, "Choose one of the download buttons: Word, Excel, JSON or ZIP.")
        answered = None
        raw_request = request.form.get("request", "").strip()
        if raw_request:
            request_id = parse_id(raw_request)
            answered = register.get_request(request_id) if request_id is not None else None
            if answered is None or answered.contact_id != record.id or kind != "contact":
                abort(400, "The subject request chosen is not one of this person's.")
        if request.form.get("digest") != pack.digest():
            flash(CHANGED, "error")
            return self._page(kind, record, pack, status=409)
        chosen, left_out = pack.choose(request.form.getlist("section"),
                                       request.form.getlist("item"))
        produced = produce(ctx, chosen, file_format, left_out)
        if answered is not None:
            register.answer_with(answered, produced.record)
        db.session.commit()
        return send_file(io.BytesIO(produced.data), mimetype=MEDIA_TYPES[file_format],
                         as_attachment=True, download_name=produced.name, max_age=0)


def _due(view: Any, ctx: Any, model: SubjectRequest, name: str) -> Markup:
    """The due date in the tenant's zone, marked when overdue."""
    day = to_local(model.due_at, tenant_zone()).strftime("%Y-%m-%d")
    if model.is_overdue():
        return Markup('<span class="text-danger font-weight-bold export-overdue">{} '
                      '<span class="badge badge-danger">overdue</span></span>').format(day)
    return Markup("{}").format(day)


def _kind(view: Any, ctx: Any, model: SubjectRequest, name: str) -> str:
    return f"{model.kind.value} ({model.kind.article})"


def _answered(view: Any, ctx: Any, model: SubjectRequest, name: str) -> Markup:
    parts = []
    if model.answered_by_export_id:
        parts.append(escape(f"export #{model.answered_by_export_id}"))
    if model.answer_reference:
        parts.append(escape(model.answer_reference))
    return Markup(", ").join(parts)


class SubjectRequestView(CrmModelView):
    """`/admin/export_requests/`: the register of data-subject requests. The list shows the
    open requests, soonest due first, overdue ones marked (`?show=all`: every request)."""

    list_template = "export/requests_list.html"
    can_delete = False  # the register proves requests were answered: close, never delete
    column_list = ("id", "due_at", "kind", "status", "requester_name", "requester_email",
                   "contact", "channel", "received_at", "identity_checked", "answered")
    column_labels = {"id": "No.", "due_at": "Due", "kind": "Right", "received_at": "Received",
                     "requester_name": "Requester", "requester_email": "E-mail",
                     "identity_checked": "Identity checked", "extension_months":
                     "Extension (months)", "answered_by_export": "Answered by export",
                     "answer_reference": "Answer reference (e.g. the erasure)",
                     "answered": "Answered by", "identity_note": "How the identity was checked",
                     "extension_reason": "Reason for the extension"}
    column_formatters = {"due_at": _due, "kind": _kind, "answered": _answered}
    column_default_sort = [("due_at", False), ("id", False)]
    column_sortable_list = ("id", "due_at", "received_at", "status", "kind")
    column_filters = ("status", "kind", "channel")
    form_columns = ("kind", "received_at", "channel", "requester_name", "requester_email",
                    "contact", "identity_checked", "identity_note", "extension_months",
                    "extension_reason", "status", "answered_by_export", "answer_reference",
                    "notes")
    column_details_list = (*form_columns, "due_at", "closed_at", "created_at", "updated_at")
    form_ajax_refs = {"contact": {"fields": ("last_name", "first_name", "email"),
                                  "placeholder": "Type a name or an e-mail"}}
    form_args = {
        "received_at": {"label": "Received", "default": utcnow},
        "requester_email": {"label": "E-mail"},
        "extension_months": {"default": 0},
        "answered_by_export": {"query_factory": lambda: db.session.scalars(
            select(ExportRecord).order_by(ExportRecord.at.desc()).limit(200)).all(),
            "allow_blank": True, "blank_text": "(none)"},
    }

    def _open_only(self) -> bool:
        return (request.endpoint == f"{self.endpoint}.index_view"
                and request.args.get("show") != "all")

    def get_query(self) -> Any:
        """The tenant's requests (open ones only on the default list)."""
        query = super().get_query()
        return query.filter(SubjectRequest.status == RequestStatus.OPEN) if (
            self._open_only()) else query

    def get_count_query(self) -> Any:
        """Counts what `get_query` lists."""
        query = super().get_count_query()
        return query.filter(SubjectRequest.status == RequestStatus.OPEN) if (
            self._open_only()) else query

    @expose("/delete/", methods=("POST",))
    def delete_view(self) -> Any:
        """There is no deleting in the register: 404, whatever the id."""
        abort(404)

    def on_model_change(self, form: Any, model: SubjectRequest, is_created: bool) -> None:
        """Check the extension rule and set the due date and the closing time."""
        try:
            register.prepare(model, tenant_zone())
        except register.RequestError as exc:
            raise ValidationError(str(exc)) from None

