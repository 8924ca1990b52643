"""Hook implementations of the `trash` plugin (thin; the logic lives in its modules)."""

from __future__ import annotations

from typing import Any

from core.hookspecs import hookimpl
from core.settings import Setting
from plugins.trash import admin as pages
from plugins.trash import erasure, ledger, retention, units
from plugins.trash.cli import COMMANDS
from plugins.trash.models import MODELS

# --- boot hooks ------------------------------------------------------------------------------


@hookimpl
def crm_register_models() -> list[type]:
    """The trash units and the erasure ledger."""
    return list(MODELS)


@hookimpl
def crm_register_commands() -> list[Any]:
    """`crm trash ...` and `crm erase`."""
    return list(COMMANDS)


@hookimpl
def crm_register_admin_views(admin: Any) -> list[Any]:
    """The trash page and the erasure page (new objects for every app)."""
    return pages.admin_views()


@hookimpl
def crm_settings() -> list[Setting]:
    """Per-tenant retention of the trash (days)."""
    return list(retention.SETTINGS)


# --- decisions and events --------------------------------------------------------------------


@hookimpl
def crm_delete_record(ctx: Any, record: Any) -> str | None:
    """A delete moves the record and its dependants to the trash as one unit."""
    return units.trash_record(ctx, record)


@hookimpl
def crm_is_suppressed(ctx: Any, email: str) -> str | None:
    """An erased address must not come back: say when it was erased."""
    if ctx.tenant is None or not email:
        return None
    entry = ledger.find(ctx.tenant.id, email)
    if entry is None:
        return None
    return f"erased on {entry.erased_at:%Y-%m-%d} at the person's request (right to erasure)"


@hookimpl
def crm_backup_restored(ctx: Any, backup_name: str) -> list[str]:
    """Carry the erasure ledger across the restore and erase again whoever came back."""
    return erasure.reapply_erasures(ctx.actor)


@hookimpl
def crm_contact_panels(ctx: Any, contact: Any) -> list[Any]:
    """The "Right to erasure" panel with the "Erase person" button (tenant admins)."""
    return pages.erasure_panel(ctx, contact)
