"""Hook implementations of the `export` plugin (thin; the logic lives in its modules)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.db import db
from core.hookspecs import hookimpl
from plugins.export import panel, register
from plugins.export.admin import ExportView, SubjectRequestView
from plugins.export.cli import export
from plugins.export.models import MODELS, SubjectRequest

# the export pages' script (review.js), served by the export view's own blueprint
STATIC_DIR = Path(__file__).parent / "static"

# --- boot hooks ------------------------------------------------------------------------------


@hookimpl
def crm_register_models() -> list[type]:
    """The plugin's tables: export records and the subject-request register."""
    return list(MODELS)


@hookimpl
def crm_register_commands() -> list[Any]:
    """`crm export subject|company|requests`."""
    return [export]


@hookimpl
def crm_register_admin_views(admin: Any) -> list[Any]:
    """The export pages (`/admin/export/`) and the subject-request register (new view
    objects on every call: a view serves one app)."""
    return [
        ExportView(name="Export", endpoint="export_subject", url="export",
                   static_folder=str(STATIC_DIR)),
        SubjectRequestView(SubjectRequest, db, name="Subject requests",
                           endpoint="export_requests"),
    ]


# --- runtime hooks ---------------------------------------------------------------------------


@hookimpl
def crm_contact_panels(ctx: Any, contact: Any) -> list[Any]:
    """The "Export personal data" panel with the person's open requests."""
    found = panel.export_panel(ctx, contact)
    return [found] if found else []


@hookimpl
def crm_subject_data(ctx: Any, contact: Any) -> list[Any]:
    """The person's own subject requests."""
    return register.subject_sections(ctx, contact)


@hookimpl
def crm_subject_erase(ctx: Any, contact: Any, mode: str) -> list[str]:
    """Keep the register without the person's details; exports no longer name them."""
    return register.subject_erased(ctx, contact)


@hookimpl
def crm_records_purged(ctx: Any, records: list[Any]) -> None:
    """Export records of contacts removed for good no longer name them."""
    register.relabel_exports([r.id for r in records if r.type == "contact"])
