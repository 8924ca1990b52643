"""The webhooks page of the admin (tenant admins): the tenant's webhook URL per mailing
system, to paste into it, the list mappings, and a form that sets one up (what `crm
webhooks add` does)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import BaseView, expose
from sqlalchemy import select

from core.admin import TENANT_ADMINS, CrmViewMixin
from core.boot import request_tenant
from core.db import db
from core.events import context
from plugins.gdpr_consents.errors import ConsentInputError
from plugins.gdpr_consents.intake import webhooks
from plugins.gdpr_consents.models import WebhookEndpoint
from plugins.gdpr_consents.purposes import list_purposes


class WebhooksView(CrmViewMixin, BaseView):
    """Set up mailing-system webhooks and see the URLs to paste."""

    allowed_roles = TENANT_ADMINS

    def _page(self, status: int = 200, error: str | None = None) -> tuple[str, int]:
        slug = request_tenant().slug
        endpoints = db.session.scalars(select(WebhookEndpoint).order_by(
            WebhookEndpoint.provider))
        urls = [(e.provider, webhooks.hook_url(slug, e)) for e in endpoints]
        providers = webhooks.providers(context()).values()
        return self.render("gdpr_consents/intake/webhooks.html", urls=urls,
                           lists=webhooks.describe(), providers=providers,
                           purposes=list_purposes(active_only=True), form=request.form,
                           error=error), status

    @expose("/")
    def index(self) -> Any:
        """The URLs, the list mappings and the setup form."""
        return self._page()

    @expose("/", methods=("POST",))
    def add(self) -> Any:
        """Set up the provider's webhook (the secret is kept when it exists) and map the
        list (none: the provider's default purpose)."""
        try:
            endpoint = webhooks.add_webhook(context(), request.form.get("provider", ""),
                                            request.form.get("purpose", ""),
                                            request.form.get("list_id") or None)
            db.session.commit()
        except ConsentInputError as exc:
            db.session.rollback()
            return self._page(400, error=str(exc))
        flash(f"Paste this URL into {endpoint.provider}: "
              f"{webhooks.hook_url(request_tenant().slug, endpoint)}", "success")
        return redirect(url_for(".index"))


def webhook_views() -> list[Any]:
    """New view objects for one app's admin."""
    return [WebhooksView(name="Webhooks", endpoint="gdpr_consents_webhooks",
                         category="Consents")]
