"""The plugin's admin pages (endpoints `gdpr_consents_*`, menu "Consents").

- Purposes (tenant admins): list, add, edit; never deleted (switch them off instead).
- Consents: every consent of the tenant, filterable by purpose and state.
- Segments: build one (purposes, as of, options), see its count and pages, export it as CSV
  or XLSX, save it; saved segments with their counts.
- Expiring: granted consents that expire within the tenant's `expiring_days`.
- Without consent: personal contacts without a valid consent to any marketing purpose.
- The contact page's actions (no menu entry): add a consent with a proof, record a refusal
  (a "no", with a proof too), correct a consent entered wrongly (rectification: a reason
  is required, the old values stay in the history), withdraw, mark an address
  undeliverable, download a consent receipt.

Every page inherits the core's access rule (`CrmViewMixin`): login, role, and 404 for tenants
that have not enabled the plugin. Bad input is answered with its message and a 4xx status,
nothing stored.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from flask import Response, abort, flash, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms.validators import ValidationError

from core.admin import TENANT_ADMINS, CrmModelView, CrmViewMixin
from core.admin.localtime import show_time
from core.db import db
from core.events import context
from core.models import Company, Contact, Tag
from core.settings import get_setting
from plugins.gdpr_consents import PLUGIN, corrections, deliverability, expiry, segments
from plugins.gdpr_consents import consents as consent_logic
from plugins.gdpr_consents.errors import ConsentInputError
from plugins.gdpr_consents.lookup import tenant_row
from plugins.gdpr_consents.models import Consent, Purpose
from plugins.gdpr_consents.panel import overview
from plugins.gdpr_consents.purposes import validate_purpose
from plugins.gdpr_consents.receipts import ReceiptUnavailable, receipt

CATEGORY = "Consents"


def _contact_url(contact_id: int) -> str:
    return url_for("contacts.details_view", id=contact_id)


class PurposeView(CrmModelView):
    """Purposes of processing with their legal basis (tenant admins)."""

    allowed_roles = TENANT_ADMINS
    can_delete = False
    can_view_details = False
    column_list = ("code", "name", "legal_basis", "default_months", "marketing", "active")
    column_labels = {"legal_basis": "Legal basis (Art. 6(1))",
                     "default_months": "Default months"}
    column_default_sort = "code"
    form_columns = ("code", "name", "description", "legal_basis", "default_months",
                    "marketing", "active")
    column_descriptions = {
        "legal_basis": "Only purposes with the basis 'consent' need a person's consent.",
        "default_months": "How long a consent lasts when none is given (empty: until "
                          "withdrawn).",
    }

    def on_model_change(self, form: Any, model: Purpose, is_created: bool) -> None:
        """Check the code, name and months like `crm purposes add` does."""
        try:
            validate_purpose(model)
        except ConsentInputError as exc:
            raise ValidationError(str(exc)) from None


class ConsentView(CrmModelView):
    """Every consent of the tenant (read only; changes are made on the contact page)."""

    can_create = False
    can_edit = False
    can_view_details = False
    column_list = ("contact", "purpose", "state", "source", "given_at", "expires_at",
                   "withdrawn_at")
    column_labels = {"given_at": "Given", "expires_at": "Expires", "withdrawn_at": "Withdrawn"}
    column_sortable_list = ("state", "source", "given_at", "expires_at", "withdrawn_at")
    column_default_sort = ("given_at", True)
    column_filters = ("state", "source")
    column_formatters = {
        "contact": lambda view, ctx, model, name: _link(model.contact),
        "purpose": lambda view, ctx, model, name: model.purpose.code,
    }


def _link(contact: Contact) -> Markup:
    """A link to the contact's page (Markup.format escapes the values)."""
    return Markup('<a href="{}">{}</a>').format(_contact_url(contact.id),
                                                 contact.email or contact.full_name)


class ContactConsentsView(CrmViewMixin, BaseView):
    """The contact page's consent actions (no menu entry)."""

    def is_visible(self) -> bool:
        """Reached from the contact page only."""
        return False

    @expose("/")
    def index(self) -> Any:
        """There is no page of its own."""
        abort(404)

    def _problem(self, message: str, status: int, contact: Contact | None = None,
                 form: dict[str, Any] | None = None) -> tuple[str, int]:
        extra: dict[str, Any] = {"show_time": show_time, "contact": None}
        if contact is not None:
            extra = overview(context(), contact)
            extra.update(form=form or {}, error=message)
        return self.render("gdpr_consents/problem.html", title="That was not recorded",
                           message=message, back=_contact_url(contact.id) if contact else None,
                           **extra), status

    @expose("/<int:contact_id>/add", methods=("POST",))
    def add(self, contact_id: int) -> Any:
        """Record the contact's answer for a purpose, with optional proof files: a consent,
        or with `answer=refused` a refusal (the person said no) dated `given_at`."""
        contact = self._contact(contact_id)
        form = request.form.to_dict()
        uploads = [f for f in request.files.getlist("proof") if f and f.filename]
        proofs = [consent_logic.Proof(f.filename, f.stream) for f in uploads]
        refused = form.get("answer") == "refused"
        ctx = context()
        try:
            fields = {k.removeprefix("field_"): v for k, v in form.items()
                      if k.startswith("field_")}
            if refused:
                consent = consent_logic.refuse(
                    ctx, contact, form.get("purpose") or None, refused_at=form.get("given_at"),
                    source=form.get("source") or "manual",
                    source_detail=form.get("source_detail"), proofs=proofs,
                )
            else:
                consent = consent_logic.grant(
                    ctx, contact, form.get("purpose") or None, given_at=form.get("given_at"),
                    duration_months=form.get("duration_months"),
                    source=form.get("source") or "manual",
                    source_detail=form.get("source_detail"), proofs=proofs, fields=fields,
                )
            db.session.commit()
        except ConsentInputError as exc:
            db.session.rollback()
            return self._problem(str(exc), exc.status, self._contact(contact_id), form)
        what = "Refusal" if refused else "Consent"
        flash(f"{what} for '{consent.purpose.name}' recorded.", "success")
        return redirect(_contact_url(contact.id))

    @expose("/consent/<int:consent_id>/rectify", methods=("GET", "POST"))
    def rectify(self, consent_id: int) -> Any:
        """Correct a consent entered wrongly (dates, duration, source): a form with its
        recorded values; on POST the changed fields and a reason are recorded as a
        rectification event, the old values kept in the history."""
        consent = self._consent(consent_id)
        ctx = context()
        shown = corrections.form_values(ctx, consent)
        if request.method == "GET":
            return self._rectify_page(consent, shown)
        submitted = request.form.to_dict()
        changes = corrections.changes_from(ctx, consent, submitted)
        try:
            consent_logic.rectify(ctx, consent, reason=submitted.get("reason", ""), **changes)
            db.session.commit()
        except ConsentInputError as exc:
            db.session.rollback()
            consent = self._consent(consent_id)
            return self._rectify_page(consent, {**shown, **submitted}, str(exc)), exc.status
        flash(f"Consent to '{consent.purpose.name}' corrected.", "success")
        return redirect(_contact_url(consent.contact_id))

    def _rectify_page(self, consent: Consent, values: dict[str, Any],
                      error: str | None = None) -> str:
        return self.render(
            "gdpr_consents/rectify.html", consent=consent, values=values, error=error,
            sources=sorted(consent_logic.known_sources(context()).values(),
                           key=lambda s: s["code"]),
            back=_contact_url(consent.contact_id), show_time=show_time,
        )

    @expose("/consent/<int:consent_id>/withdraw", methods=("POST",))
    def withdraw(self, consent_id: int) -> Any:
        """Withdraw a consent now (its history stays)."""
        consent = self._consent(consent_id)
        contact_id = consent.contact_id
        try:
            consent_logic.withdraw(context(), consent, reason=request.form.get("reason"))
            db.session.commit()
        except ConsentInputError as exc:
            db.session.rollback()
            return self._problem(str(exc), exc.status)
        flash("The consent is withdrawn.", "success")
        return redirect(_contact_url(contact_id))

    @expose("/<int:contact_id>/undeliverable", methods=("POST",))
    def undeliverable(self, contact_id: int) -> Any:
        """Mark the contact's address undeliverable, or lift the mark (`clear`)."""
        contact = self._contact(contact_id)
        if not contact.email:
            return self._problem("email: the contact has no address.", 400)
        ctx = context()
        try:
            if request.form.get("clear"):
                deliverability.clear_undeliverable(ctx, contact.email)
            else:
                deliverability.mark_undeliverable(
                    ctx, contact.email, reason=request.form.get("reason", ""), source="manual")
            db.session.commit()
        except ConsentInputError as exc:
            db.session.rollback()
            return self._problem(str(exc), exc.status)
        return redirect(_contact_url(contact_id))

    @expose("/consent/<int:consent_id>/receipt.json")
    def receipt(self, consent_id: int) -> Any:
        """Download the consent's Kantara receipt (JSON)."""
        consent = self._consent(consent_id)
        try:
            document = receipt(context(), consent)
        except ReceiptUnavailable as exc:
            return self._problem(str(exc), 409)
        body = json.dumps(document, ensure_ascii=False, indent=2)
        response = Response(body, mimetype="application/json")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="consent-receipt-{consent.id}.json"')
        return response

    def _contact(self, contact_id: int) -> Contact:
        try:
            return tenant_row(Contact, contact_id, "contact")
        except ConsentInputError:
            abort(404)

    def _consent(self, consent_id: int) -> Consent:
        try:
            return tenant_row(Consent, consent_id, "consent")
        except ConsentInputError:
            abort(404)


def _segment_options(args: Any) -> dict[str, Any]:
    return {
        "purposes": args.getlist("purposes"),
        "as_of": args.get("as_of") or None,
        "match_all": args.get("match", "all") != "any",
        "include_role_addresses": bool(args.get("roles")),
        "company": args.get("company") or None,
        "tag": args.get("tag") or None,
        "filters": args.getlist("filter"),
    }


class SegmentsView(CrmViewMixin, BaseView):
    """Build, count, page, export and save segments."""

    @expose("/")
    def index(self) -> Any:
        """The segment builder; with purposes chosen, the count and a page of members."""
        ctx = context()
        options = _segment_options(request.args)
        number = max(0, request.args.get("page", 0, type=int) or 0)
        result: dict[str, Any] = {}
        status = 200
        if options["purposes"]:
            try:
                spec = segments.build_spec(ctx, **options)
                result = {
                    "count": segments.count(ctx, spec),
                    "rows": segments.page(ctx, spec, number),
                    "spec": spec,
                }
            except ConsentInputError as exc:
                result, status = {"error": str(exc)}, exc.status
        return self._page(ctx, options, number, result), status

    def _page(self, ctx: Any, options: dict[str, Any], number: int,
              result: dict[str, Any]) -> str:
        saved = [(s, segments.count(ctx, segments.spec_of(ctx, s)))
                 for s in segments.list_segments()]
        return self.render(
            "gdpr_consents/segments.html", options=options, page=number, result=result,
            page_size=segments.PAGE_SIZE, purposes=list(db.session.scalars(
                select(Purpose).where(Purpose.active.is_(True)).order_by(Purpose.code))),
            companies=list(db.session.scalars(select(Company).order_by(Company.name)
                                              .limit(500))),
            tags=list(db.session.scalars(select(Tag).order_by(Tag.name))),
            filters=sorted(segments.named_filters(ctx).values(), key=lambda f: f["key"]),
            saved=saved, query=request.query_string.decode("ascii", "replace"),
            show_time=show_time,
        )

    @expose("/export")
    def export(self) -> Any:
        """Download the segment as CSV or XLSX (through the core's writer)."""
        ctx = context()
        fmt = request.args.get("format", "csv")
        try:
            spec = segments.build_spec(ctx, **_segment_options(request.args))
            folder = tempfile.mkdtemp(prefix="segment-")
            target = Path(folder) / f"segment.{fmt}"
            segments.export(ctx, spec, fmt, target)
            db.session.commit()
        except ConsentInputError as exc:
            db.session.rollback()
            return self._page(ctx, _segment_options(request.args), 0,
                              {"error": str(exc)}), exc.status
        day = spec.as_of.astimezone(consent_logic.tenant_zone(ctx))  # the tenant's date
        name = f"segment-{'-'.join(spec.purposes)}-{day:%Y%m%d}.{fmt}"
        response = send_file(target, as_attachment=True, download_name=name, max_age=0)
        response.call_on_close(lambda: _remove(target))
        return response

    @expose("/save", methods=("POST",))
    def save(self) -> Any:
        """Save the segment described by the form under its name."""
        ctx = context()
        try:
            spec = segments.build_spec(ctx, **_segment_options(request.form))
            segment = segments.save_segment(ctx, request.form.get("name", ""), spec)
            db.session.commit()
        except ConsentInputError as exc:
            db.session.rollback()
            return self._page(ctx, _segment_options(request.form), 0,
                              {"error": str(exc)}), exc.status
        flash(f"Saved segment '{segment.name}'.", "success")
        return redirect(url_for(".index", **_saved_args(segment)))


def _saved_args(segment: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"purposes": segment.purposes, "filter": segment.filters or []}
    if not segment.match_all:
        args["match"] = "any"
    if segment.include_role_addresses:
        args["roles"] = "1"
    if segment.company_id:
        args["company"] = segment.company_id
    if segment.tag_id:
        args["tag"] = segment.tag_id
    return args


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.parent.rmdir()


class ExpiringView(CrmViewMixin, BaseView):
    """Granted consents that expire soon."""

    @expose("/")
    def index(self) -> Any:
        """The consents expiring within the tenant's `expiring_days` (default 30)."""
        ctx = context()
        days = int(get_setting(ctx.tenant_id, PLUGIN, "expiring_days"))
        rows = expiry.expiring_soon(ctx.at, days)
        return self.render("gdpr_consents/expiring.html", rows=rows, days=days,
                           show_time=show_time, contact_url=_contact_url)


class UnconsentedView(CrmViewMixin, BaseView):
    """Personal contacts without a valid consent to any marketing purpose."""

    @expose("/")
    def index(self) -> Any:
        """A page of 50 such contacts, with the total."""
        ctx = context()
        number = max(0, request.args.get("page", 0, type=int) or 0)
        every = segments.unconsented_personal_query(ctx, per_row=False).order_by(None)
        total = db.session.scalar(select(func.count()).select_from(every.subquery()))
        rows = db.session.scalars(segments.unconsented_personal_query(ctx)
                                  .limit(segments.PAGE_SIZE)
                                  .offset(number * segments.PAGE_SIZE)).all()
        return self.render("gdpr_consents/unconsented.html", rows=rows, total=total,
                           page=number, page_size=segments.PAGE_SIZE, contact_url=_contact_url)


def admin_views() -> list[Any]:
    """New view objects for one app's admin."""
    return [
        PurposeView(Purpose, db, name="Purposes", endpoint="gdpr_consents_purposes",
                    category=CATEGORY),
        ConsentView(Consent, db, name="All consents", endpoint="gdpr_consents_consents",
                    category=CATEGORY),
        SegmentsView(name="Segments", endpoint="gdpr_consents_segments", category=CATEGORY),
        ExpiringView(name="Expiring soon", endpoint="gdpr_consents_expiring",
                     category=CATEGORY),
        UnconsentedView(name="Without consent", endpoint="gdpr_consents_unconsented",
                        category=CATEGORY),
        ContactConsentsView(name="Contact consents", endpoint="gdpr_consents_contact"),
    ]

