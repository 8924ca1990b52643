"""Attachments on the admin pages: upload on a record's page, download and delete.

Uploads go through the one store (`core.attachments`), which checks the size and the type
read from the bytes before anything is kept; a refusal is shown on the record's page with
its status (413, 415), never a 500. Request bodies over `MAX_CONTENT_LENGTH` are refused
by Flask before they are read (413). Downloads are `Content-Disposition: attachment` and
only for users of the attachment's tenant whose owning record (a core record or a plugin's,
such as a consent's proof) is there for them: another tenant's id, a file of a trashed
record, or of a plugin the tenant has switched off answers 404.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_admin.helpers import get_redirect_target
from flask_login import current_user
from sqlalchemy import select

from core.attachments import AttachmentRejected, attachment_store, owner_model
from core.db import db
from core.events import context
from core.models import Attachment
from core.records import delete_record
from core.schema import CORE_BRANCH, table_owner

from .access import CrmViewMixin

# owner_type -> admin endpoint of the page of the core records that take attachments
CORE_OWNER_PAGES: dict[str, str] = {
    "contact": "contacts",
    "company": "companies",
    "activity": "activities",
}


class AttachmentsMixin:
    """Upload route and attachment list for a model view with `attachment_owner_type`."""

    attachment_owner_type: str | None = None

    def attachments_of(self, record: Any) -> list[Attachment] | None:
        """The record's attachments (None when this view takes none)."""
        if self.attachment_owner_type is None:
            return None
        return list(
            db.session.scalars(
                select(Attachment)
                .where(Attachment.owner_type == self.attachment_owner_type,
                       Attachment.owner_id == record.id)
                .order_by(Attachment.created_at.desc())
            )
        )

    @expose("/attachments/", methods=("POST",))
    def upload_view(self) -> Any:
        """Store the uploaded `file` on the record `?id=`; refusals are shown on its page."""
        if self.attachment_owner_type is None:
            abort(404)
        record = self.get_one(request.args.get("id"))
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self.render_details(record, upload_error="File: choose a file to upload."), 400
        try:
            stored = attachment_store().save(
                owner_type=self.attachment_owner_type,
                owner_id=record.id,
                filename=upload.filename,
                stream=upload.stream,
                uploaded_by_id=current_user.id,
                tenant_id=record.tenant_id,
            )
            db.session.commit()
        except AttachmentRejected as exc:
            db.session.rollback()
            return self.render_details(record, upload_error=str(exc)), exc.status
        flash(f"Attached '{stored.filename}'.", "success")
        return redirect(self.get_url(".details_view", id=record.id))


class AttachmentView(CrmViewMixin, BaseView):
    """`/admin/attachments/<id>/download` and `/delete` (no menu entry)."""

    def is_visible(self) -> bool:
        """Never in the menu: attachments are reached from their record's page."""
        return False

    @expose("/")
    def index(self) -> Any:
        """There is no list of all attachments."""
        abort(404)

    @expose("/<int:attachment_id>/download")
    def download(self, attachment_id: int) -> Any:
        """Send the file as a download (never shown inline)."""
        attachment = self._visible(attachment_id)
        path = attachment_store().path(attachment)
        if not path.is_file():
            abort(404)
        response = send_file(
            path,
            mimetype=attachment.content_type,
            as_attachment=True,
            download_name=attachment.filename,
            max_age=0,
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @expose("/<int:attachment_id>/delete", methods=("POST",))
    def delete(self, attachment_id: int) -> Any:
        """Delete an attachment through the one delete path, back to its record."""
        attachment = self._visible(attachment_id)
        name, back = attachment.filename, self._owner_url(attachment)
        how = delete_record(context(), attachment)
        db.session.commit()
        flash(f"'{name}' was {how}.", "success")
        return redirect(get_redirect_target() or back)

    def _visible(self, attachment_id: int) -> Attachment:
        """The tenant's attachment whose owning record the tenant can see, else 404: the
        owner is found through the one owner mapping (`core.attachments.owner_model`) and
        read through the tenant scope; a plugin's record counts only while the tenant has
        that plugin enabled, and a file whose owner type no model knows is not served."""
        attachment = db.session.scalar(select(Attachment).where(Attachment.id == attachment_id))
        if attachment is None:
            abort(404)
        model = owner_model(attachment.owner_type)
        if model is None or not self._owner_enabled(model):
            abort(404)
        if db.session.scalar(select(model.id).where(model.id == attachment.owner_id)) is None:
            abort(404)
        return attachment

    def _owner_enabled(self, model: type) -> bool:
        branch = table_owner(current_app, model.__table__.name)
        if branch == CORE_BRANCH:
            return True
        host = current_app.extensions["crm"]["plugins"]
        return branch is not None and host.is_enabled(context().tenant_id, branch)

    def _owner_url(self, attachment: Attachment) -> str:
        page = CORE_OWNER_PAGES.get(attachment.owner_type)
        if page is None:
            return url_for("admin.index")
        return url_for(f"{page}.details_view", id=attachment.owner_id)
