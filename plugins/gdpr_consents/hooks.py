"""Hook implementations of the `gdpr_consents` plugin (thin; the logic lives in its modules)."""

from __future__ import annotations

from typing import Any

from core.hookspecs import hookimpl
from core.settings import Setting
from plugins.gdpr_consents.admin import admin_views
from plugins.gdpr_consents.cli import COMMANDS
from plugins.gdpr_consents.consents import BUILTIN_SOURCES
from plugins.gdpr_consents.intake import cli as intake_cli
from plugins.gdpr_consents.intake.restore import erase_again
from plugins.gdpr_consents.intake.subject import (
    address_sections,
    erase_address,
    erase_intake,
    intake_sections,
)
from plugins.gdpr_consents.intake.views import intake_views
from plugins.gdpr_consents.intake.webform.admin import webform_views
from plugins.gdpr_consents.intake.webform.models import WEBFORM_MODELS
from plugins.gdpr_consents.intake.webform.public import blueprint as forms_blueprint
from plugins.gdpr_consents.intake.webhook_views import webhook_views
from plugins.gdpr_consents.intake.webhooks import BUILTIN_PROVIDERS
from plugins.gdpr_consents.intake.webhooks import blueprint as hooks_blueprint
from plugins.gdpr_consents.lifecycle import on_enabled
from plugins.gdpr_consents.models import MODELS
from plugins.gdpr_consents.panel import consent_panel
from plugins.gdpr_consents.purposes import unknown_purpose_code
from plugins.gdpr_consents.subject import erase, purged, sections


@hookimpl
def crm_register_models() -> list[type]:
    """The plugin's tables (purposes, consents, events, notices, marks, segments, intake)."""
    return list(MODELS) + list(WEBFORM_MODELS)


@hookimpl
def crm_register_commands() -> list[Any]:
    """`crm purposes`, `crm consents` (with `import`), `crm segments`, `crm webhooks`."""
    intake_cli.attach(next(c for c in COMMANDS if c.name == "consents"))
    return list(COMMANDS) + list(intake_cli.COMMANDS)


@hookimpl
def crm_register_blueprints() -> list[Any]:
    """The mailing-system webhooks at `/hooks/<tenant>/<provider>/<secret>` and the public
    web forms at `/f/<tenant>/...`."""
    return [hooks_blueprint, forms_blueprint]


@hookimpl
def crm_register_admin_views(admin: Any) -> list[Any]:
    """Purposes, consents, segments, expiring soon, without consent, contact actions,
    import, web forms, webhooks."""
    return admin_views() + intake_views() + webform_views() + webhook_views()


@hookimpl
def crm_settings() -> list[Setting]:
    """Per-tenant settings: e-mail class lists and the controller's details for receipts."""
    return [
        Setting("role_local_parts", "str", "", "Extra role address local parts",
                help="Comma-separated, e.g. narocila, blagajna (added to the built-in list)."),
        Setting("free_mail_domains", "str", "", "Extra free-mail domains",
                help="Comma-separated, e.g. mojmail.si (added to the built-in list)."),
        Setting("expiring_days", "int", 30, "Days ahead in the 'expiring soon' list",
                minimum=1, maximum=365),
        Setting("policy_url", "str", "", "Privacy policy URL (consent receipts)",
                kind="url"),
        Setting("controller_contact", "str", "", "Controller contact person (receipts)"),
        Setting("controller_email", "str", "", "Controller e-mail (receipts)", kind="email"),
        Setting("controller_phone", "str", "", "Controller phone (receipts)"),
        Setting("controller_address", "str", "", "Controller postal address (receipts)"),
        Setting("controller_url", "str", "", "Controller web site (receipts)", kind="url"),
        Setting("jurisdiction", "str", "SI", "Jurisdiction (ISO 3166 code, receipts)"),
        Setting("language", "str", "sl", "Language of consent texts (receipts)"),
        Setting("form_frame_origins", "str", "", "Sites that may embed the web forms",
                kind="origins",
                help="Space-separated https origins, e.g. https://www.acme.si "
                     "https://shop.acme.si; empty: the forms cannot be shown in an iframe."),
    ]


@hookimpl
def crm_setting_kinds() -> dict[str, Any]:
    """`purpose_code`: a code of one of the tenant's purposes (for other plugins' settings)."""
    return {"purpose_code": unknown_purpose_code}


@hookimpl
def crm_plugin_enabled(ctx: Any, plugin: str) -> None:
    """A tenant without purposes gets newsletter, events and sms (the demo: consents too)."""
    on_enabled(ctx)


@hookimpl
def crm_consent_sources() -> list[dict[str, Any]]:
    """The built-in consent sources (this plugin's own extension point)."""
    return [dict(source) for source in BUILTIN_SOURCES]


@hookimpl
def crm_webhook_providers() -> list[dict[str, Any]]:
    """The built-in mailing systems (this plugin's own extension point)."""
    return [dict(provider) for provider in BUILTIN_PROVIDERS]


@hookimpl
def crm_contact_panels(ctx: Any, contact: Any) -> list[Any]:
    """The consent overview, deliverability, the add form and the history."""
    return [consent_panel(ctx, contact)]


@hookimpl
def crm_subject_data(ctx: Any, contact: Any) -> list[Any]:
    """The person's consents, their history, deliverability marks, mailing-system events
    and web form submissions."""
    return sections(ctx, contact) + intake_sections(contact)


@hookimpl
def crm_subject_erase(ctx: Any, contact: Any, mode: str) -> list[str]:
    """Erase or anonymize the person's consents, history, proofs, marks, mailing-system
    events (raw payloads) and web form submissions."""
    return erase(ctx, contact, mode) + erase_intake(ctx, contact, mode)


@hookimpl
def crm_address_data(ctx: Any, email: str) -> list[Any]:
    """Never-confirmed web form submissions (and mailing-system events) of an address no
    contact has."""
    return address_sections(email)


@hookimpl
def crm_address_erase(ctx: Any, email: str, mode: str) -> list[str]:
    """Erase or strip the never-confirmed submissions and the events of an address no
    contact has."""
    return erase_address(ctx, email, mode)


@hookimpl(trylast=True)
def crm_backup_restored(ctx: Any, backup_name: str) -> list[str]:
    """After the trash plugin carried its erasure ledger across the restore: erase again
    what an erased address kept without a contact."""
    return erase_again(ctx.actor)


@hookimpl
def crm_records_purged(ctx: Any, records: list[Any]) -> None:
    """Drop proof files and marks of contacts and consents removed for good."""
    purged(ctx, records)
