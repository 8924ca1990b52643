"""Hook implementations of the `audit` plugin (thin; the logic lives in its modules)."""

from __future__ import annotations

from typing import Any

from core.hookspecs import hookimpl
from plugins.audit import actions, panel, redaction, retention, subject
from plugins.audit import admin as admin_pages
from plugins.audit.cli import audit
from plugins.audit.models import AuditChain, AuditCheckpoint, AuditEntry

# --- boot hooks ------------------------------------------------------------------------------


@hookimpl
def crm_register_models() -> list[type]:
    """The audit tables: entries, chain heads, purge checkpoints."""
    return [AuditEntry, AuditChain, AuditCheckpoint]


@hookimpl
def crm_register_admin_views(admin: Any) -> list[Any]:
    """The audit log pages (new view objects for each app)."""
    return admin_pages.admin_views()


@hookimpl
def crm_register_commands() -> list[Any]:
    """`crm audit ...`."""
    return [audit]


@hookimpl
def crm_settings() -> list[Any]:
    """Per-tenant retention of the audit trail."""
    return retention.SETTINGS


# --- plugin lifecycle ------------------------------------------------------------------------


@hookimpl
def crm_plugin_enabled(ctx: Any, plugin: str) -> None:
    """Record that the trail (re)starts for the tenant; the chain resumes where it was."""
    actions.plugin_toggled(ctx, plugin, enabled=True)


@hookimpl
def crm_plugin_disabled(ctx: Any, plugin: str) -> None:
    """Record that the trail stops for the tenant."""
    actions.plugin_toggled(ctx, plugin, enabled=False)


# --- events ----------------------------------------------------------------------------------


@hookimpl
def crm_user_logged_in(ctx: Any, user: Any) -> None:
    """Record a login."""
    actions.user_logged_in(ctx, user)


@hookimpl
def crm_login_failed(ctx: Any, email: str, reason: str) -> None:
    """Record a failed login (the platform chain when the address is unknown)."""
    actions.login_failed(ctx, email, reason)


@hookimpl
def crm_user_logged_out(ctx: Any, user: Any) -> None:
    """Record a logout."""
    actions.user_logged_out(ctx, user)


@hookimpl
def crm_list_viewed(ctx: Any, list_name: str, search: str | None, filters: dict[str, Any],
                    page: int, rows_shown: int) -> None:
    """Record a list view."""
    actions.list_viewed(ctx, list_name, search, filters, page, rows_shown)


@hookimpl
def crm_record_viewed(ctx: Any, record: Any) -> None:
    """Record a detail view."""
    actions.record_viewed(ctx, record)


@hookimpl
def crm_record_created(ctx: Any, record: Any) -> None:
    """Record a create (inside the flush; the entry is written at commit)."""
    actions.record_created(ctx, record)


@hookimpl
def crm_records_created(ctx: Any, records: list[Any]) -> None:
    """Record each of many records inserted together, as `crm_record_created` would."""
    actions.records_created(ctx, records)


@hookimpl
def crm_record_updated(ctx: Any, record: Any, changes: dict[str, tuple[Any, Any]]) -> None:
    """Record an update, field by field."""
    actions.record_updated(ctx, record, changes)


@hookimpl
def crm_record_deleted(ctx: Any, record: Any, how: str) -> None:
    """Record a delete."""
    actions.record_deleted(ctx, record, how)


@hookimpl
def crm_record_restored(ctx: Any, record: Any) -> None:
    """Record a restore from the trash."""
    actions.record_restored(ctx, record)


@hookimpl
def crm_records_purged(ctx: Any, records: list[Any]) -> None:
    """Blank what the trail holds about records removed for good; record the purge."""
    redaction.records_purged(ctx, records)


@hookimpl
def crm_records_anonymized(ctx: Any, records: list[Any]) -> None:
    """Blank what the trail holds about records stripped of a person's details."""
    redaction.records_anonymized(ctx, records)


@hookimpl
def crm_records_imported(ctx: Any, what: str, file_name: str, rows_read: int, created: int,
                         updated: int, rejected: int) -> None:
    """Record an import."""
    actions.records_imported(ctx, what, file_name, rows_read, created, updated, rejected)


@hookimpl
def crm_records_exported(ctx: Any, what: str, file_format: str, subject: str | None,
                         rows: int, details: dict[str, Any]) -> None:
    """Record an export."""
    actions.records_exported(ctx, what, file_format, subject, rows, details)


# --- contributions ---------------------------------------------------------------------------


@hookimpl
def crm_subject_data(ctx: Any, contact: Any) -> list[Any]:
    """The trail's entries about the person (right of access, erasure preview)."""
    return subject.subject_sections(ctx, contact)


@hookimpl
def crm_subject_erase(ctx: Any, contact: Any, mode: str) -> list[str]:
    """Blank the trail's details about an erased or anonymized person."""
    return redaction.subject_erased(ctx, contact, mode)


@hookimpl
def crm_contact_panels(ctx: Any, contact: Any) -> list[Any]:
    """The contact's History panel."""
    history = panel.history_panel(ctx, contact)
    return [history] if history else []
