"""The import page of the admin (tenant admins): upload a sheet or a Mailchimp export,
preview (dry run) or import, choose or save a column mapping, download the template."""

from __future__ import annotations

import io
from typing import Any

from flask import abort, request, send_file
from flask_admin import BaseView, expose
from sqlalchemy import select

from core.admin import TENANT_ADMINS, CrmViewMixin
from core.db import db
from core.errors import too_large
from core.events import context
from plugins.gdpr_consents.errors import ConsentInputError
from plugins.gdpr_consents.intake.cli import limits_from_config
from plugins.gdpr_consents.intake.headers import FIELDS
from plugins.gdpr_consents.intake.importer import (
    ImportRefused,
    mapping_name,
    run_import,
    save_mapping,
)
from plugins.gdpr_consents.intake.template import write_template
from plugins.gdpr_consents.intake.values import DATE_FORMATS
from plugins.gdpr_consents.intake.webhooks import describe
from plugins.gdpr_consents.models import ImportMapping
from plugins.gdpr_consents.purposes import list_purposes

TEMPLATE_NAME = "consent-import.xlsx"


class ImportView(CrmViewMixin, BaseView):
    """Import consents from a file, with a preview first."""

    allowed_roles = TENANT_ADMINS

    def _page(self, status: int = 200, **extra: Any) -> tuple[str, int]:
        mappings = list(db.session.scalars(select(ImportMapping).order_by(ImportMapping.name)))
        return self.render("gdpr_consents/intake/import.html", purposes=list_purposes(),
                           mappings=mappings, fields=FIELDS, date_formats=list(DATE_FORMATS),
                           lists=describe(), form=request.form, **extra), status

    @expose("/")
    def index(self) -> Any:
        """The upload form."""
        return self._page()

    @expose("/", methods=("POST",))
    def upload(self) -> Any:
        """Preview (dry run) or import the uploaded file; save the mapping when named and
        the import committed (a preview or a refused file saves none)."""
        limits = limits_from_config()
        if request.content_length is not None and request.content_length > (
                limits.max_bytes + 64 * 1024):
            too_large(limits.max_bytes)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self._page(400, error="Choose a file to import.")
        data = upload.stream.read(limits.max_bytes + 1)
        ctx = context()
        columns = {f: request.form.get(f"col_{f}", "").strip() for f in FIELDS}
        columns = {k: v for k, v in columns.items() if v}
        save_as = request.form.get("save_as", "").strip()
        try:
            if save_as:
                mapping_name(save_as, "save_as")  # refused before anything is read
            report = run_import(
                ctx, upload.filename, data, dry_run=request.form.get("action") != "import",
                mapping=request.form.get("mapping") or None,
                purpose=request.form.get("purpose") or None,
                date_format=request.form.get("date_format") or None, limits=limits,
                columns=columns,
            )
        except (ImportRefused, ConsentInputError) as exc:
            db.session.rollback()
            return self._page(400, error=str(exc))
        if report.committed and save_as and columns:
            # only with a committed import: a preview or a refused file saves nothing
            options = {"date_format": request.form.get("date_format") or "auto"}
            if request.form.get("purpose"):
                options["purpose"] = request.form["purpose"]
            save_mapping(ctx, save_as, columns, options, field="save_as")
            db.session.commit()
            report.notes.append(f"Saved the columns as the mapping '{save_as}'.")
        return self._page(200 if not report.errors else 422, report=report)

    @expose("/template/<file_name>")
    def template(self, file_name: str) -> Any:
        """Download the tenant's import template (XLSX) as `consent-import.xlsx`."""
        if file_name != TEMPLATE_NAME:
            abort(404)
        ctx = context()
        stream = io.BytesIO()
        write_template(stream, ctx.tenant.time_zone if ctx.tenant else "UTC")
        stream.seek(0)
        return send_file(stream, as_attachment=True, download_name=TEMPLATE_NAME,
                         mimetype="application/vnd.openxmlformats-officedocument."
                                  "spreadsheetml.sheet")


def intake_views() -> list[Any]:
    """New view objects for one app's admin."""
    return [ImportView(name="Import", endpoint="gdpr_consents_import", category="Consents")]
