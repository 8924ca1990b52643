"""The admin page of web forms (tenant admins): create and edit a form (purposes offered,
notice text and version, thank-you text), see its embeddable URL. The notice's SHA-256 is
stored on every save (`consents.notice_hash`, the hash consents record)."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from markupsafe import Markup
from sqlalchemy import select
from wtforms.validators import ValidationError

from core.admin import TENANT_ADMINS, CrmModelView
from core.boot import request_tenant
from core.db import db
from plugins.gdpr_consents.consents import notice_hash
from plugins.gdpr_consents.intake.public_url import absolute_url
from plugins.gdpr_consents.intake.webform.models import WebForm

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def form_url(form: WebForm) -> str:
    """The public address of `form` (to link to or embed in an iframe)."""
    return absolute_url(f"/f/{request_tenant().slug}/{form.slug}")


def reserved_slugs() -> set[str]:
    """The path segments the public routes use right after `/f/<tenant>/` (`confirm`,
    `consents`, ...): a form of that name would be shadowed by them."""
    reserved = set()
    for rule in current_app.url_map.iter_rules():
        parts = rule.rule.split("/")
        if parts[:3] == ["", "f", "<tenant>"] and len(parts) > 3 and "<" not in parts[3]:
            reserved.add(parts[3])
    return reserved


def check_form(form: WebForm) -> None:
    """Refuse a form without a valid slug (also a reserved or taken one), title, notice or
    purpose (ValidationError naming the field); store the notice's hash."""
    form.slug = (form.slug or "").strip().lower()
    if not SLUG_RE.match(form.slug):
        raise ValidationError("slug: use 1 to 64 lower-case letters, digits and '-' "
                              "(it becomes the address /f/<tenant>/<slug>).")
    if form.slug in reserved_slugs():
        raise ValidationError(f"slug: '{form.slug}' is reserved (it is part of the addresses "
                              "of confirmation and consents pages); choose another.")
    with db.session.no_autoflush:
        taken = db.session.scalar(select(WebForm.id).where(
            WebForm.slug == form.slug, WebForm.id != (form.id or 0)))
    if taken is not None:
        raise ValidationError(f"slug: a form with slug '{form.slug}' already exists.")
    for field in ("title", "notice_text", "notice_version"):
        if not (getattr(form, field) or "").strip():
            raise ValidationError(f"{field}: this is needed.")
    if not form.purposes:
        raise ValidationError("purposes: offer at least one purpose.")
    form.notice_hash = notice_hash(form.notice_text)


class WebFormView(CrmModelView):
    """The tenant's public consent forms."""

    allowed_roles = TENANT_ADMINS
    can_view_details = False
    column_list = ("slug", "title", "purposes", "notice_version", "notice_hash", "active",
                   "url")
    column_labels = {"url": "Embeddable URL", "notice_hash": "Notice SHA-256",
                     "slug": "Address name"}
    column_formatters = {
        "purposes": lambda view, ctx, model, name: ", ".join(p.code for p in model.purposes),
        "url": lambda view, ctx, model, name: Markup(
            '<a href="{0}" target="_blank" rel="noopener">{0}</a>').format(form_url(model)),
        "notice_hash": lambda view, ctx, model, name: (model.notice_hash or "")[:16] + "…",
    }
    form_columns = ("slug", "title", "purposes", "notice_text", "notice_version",
                    "thank_you_text", "active")
    column_descriptions = {
        "slug": "The last part of the public address /f/<tenant>/<slug> (not confirm or "
                "consents: those are the addresses of the mails' pages).",
        "notice_text": "What the visitor is told (controller, purposes, rights); its version "
                       "and SHA-256 are recorded with every consent.",
        "thank_you_text": "Shown after the visitor confirmed the link in the mail.",
    }

    def on_model_change(self, form: Any, model: WebForm, is_created: bool) -> None:
        """Check the form and store the notice hash."""
        check_form(model)


def webform_views() -> list[Any]:
    """New view objects for one app's admin."""
    return [WebFormView(WebForm, db, name="Web forms", endpoint="gdpr_consents_webforms",
                        category="Consents")]
