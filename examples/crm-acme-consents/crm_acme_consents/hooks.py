"""Hook implementations of the acme_consents plugin (thin; the logic is in its modules)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from core.hookspecs import hookimpl
from core.settings import Setting
from crm_acme_consents.counter import counter_source, receipt_field
from crm_acme_consents.mobile import mobile_filter, sms_rule
from crm_acme_consents.models import CounterReceipt
from crm_acme_consents.postbox import postbox_provider, postbox_source
from crm_acme_consents.receipts import (
    erase_receipts,
    note_receipt,
    receipt_section,
    receipts_panel,
)
from crm_acme_consents.settings import SETTINGS, setting


@hookimpl
def crm_settings() -> list[Setting]:
    """Receipt number pattern, SMS purpose code, mobile prefixes (per tenant)."""
    return list(SETTINGS)


@hookimpl
def crm_register_models() -> list[type]:
    """The register of counter receipts (table acme_consents_receipt)."""
    return [CounterReceipt]


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


@hookimpl
def crm_consent_changed(ctx: Any, consent: Any, event: Any) -> None:
    """Keep the receipt number of a consent signed at the counter."""
    note_receipt(ctx, consent, event)


@hookimpl
def crm_contact_panels(ctx: Any, contact: Any) -> list[Any]:
    """The contact's counter receipts."""
    return receipts_panel(ctx, contact)


@hookimpl
def crm_subject_data(ctx: Any, contact: Any) -> list[Any]:
    """The person's counter receipts."""
    return receipt_section(contact)


@hookimpl
def crm_subject_erase(ctx: Any, contact: Any, mode: str) -> list[str]:
    """Remove the person's counter receipts."""
    return erase_receipts(contact)
