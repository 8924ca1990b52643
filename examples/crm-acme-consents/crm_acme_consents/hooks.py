"""Hook implementations of the acme_consents plugin (thin; the logic is in its modules)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from core.hookspecs import hookimpl
from core.settings import Setting
from crm_acme_consents.counter import counter_source, receipt_field
from crm_acme_consents.mobile import mobile_filter, sms_rule
from crm_acme_consents.postbox import postbox_provider, postbox_source
from crm_acme_consents.settings import SETTINGS, setting


@hookimpl
def crm_settings() -> list[Setting]:
    """Receipt number pattern, SMS purpose code, mobile prefixes (per tenant)."""
    return list(SETTINGS)


@hookimpl
def crm_plugin_enabled(ctx: Any, plugin: str) -> None:
    """Note in the log who enabled it for which tenant and the receipt pattern in force."""
    current_app.logger.info(
        "acme_consents enabled for %s by %s; counter receipts must match %s",
        ctx.tenant.slug, ctx.actor, setting(ctx, "receipt_pattern"))


@hookimpl
def crm_plugin_disabled(ctx: Any, plugin: str) -> None:
    """Note in the log that it was disabled (the consents it recorded stay)."""
    current_app.logger.info("acme_consents disabled for %s by %s", ctx.tenant.slug,
                            ctx.actor)


@hookimpl
def crm_consent_sources(ctx: Any) -> list[dict[str, Any]]:
    """Signed at the counter, and Postbox."""
    return [counter_source(), postbox_source()]


@hookimpl
def crm_consent_fields(ctx: Any) -> list[dict[str, Any]]:
    """The receipt number of a counter consent."""
    return [receipt_field(ctx)]


@hookimpl
def crm_consent_rules(ctx: Any, contact: Any, purpose: Any, source: str) -> list[str]:
    """SMS consent only for contacts with a mobile number."""
    return sms_rule(ctx, contact, purpose)


@hookimpl
def crm_segment_filters(ctx: Any) -> list[dict[str, Any]]:
    """Has a mobile number."""
    return [mobile_filter(ctx)]


@hookimpl
def crm_webhook_providers(ctx: Any) -> list[dict[str, Any]]:
    """Postbox webhooks at /hooks/<tenant>/postbox/<secret>."""
    return [postbox_provider()]
