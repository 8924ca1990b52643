"""The "History" panel on a contact page: who created, changed, viewed and exported the
contact (and records that belong to it, such as consents), and when."""

from __future__ import annotations

from typing import Any

from flask import render_template
from markupsafe import Markup

from core.clock import to_local
from core.events import EventContext, Panel
from plugins.audit.present import parsed, summary
from plugins.audit.queries import HISTORY_SIZE, contact_history

PANEL_ORDER = 900  # below the panels about the contact's data (consents, ...)
TEMPLATE = "audit/history_panel.html"


def history_rows(ctx: EventContext, contact_id: int, limit: int = HISTORY_SIZE
                 ) -> tuple[list[dict[str, Any]], bool]:
    """The contact's newest entries prepared for showing (times in the tenant's zone), and
    whether older ones exist."""
    time_zone = ctx.tenant.time_zone if ctx.tenant else None
    entries = contact_history(ctx.tenant_id, contact_id, limit + 1)
    rows = []
    for entry in entries[:limit]:
        local = to_local(entry.at, time_zone)
        changes = (parsed(entry.details) or {}).get("changes", {})
        rows.append({
            "at_iso": local.isoformat(),
            "at_text": local.strftime("%Y-%m-%d %H:%M"),
            "actor": entry.actor,
            "summary": summary(entry),
            "changes": [(field, *values) for field, values in sorted(changes.items())],
        })
    return rows, len(entries) > limit


def history_panel(ctx: EventContext, contact: Any) -> Panel | None:
    """The History panel of `contact`, or None outside a tenant."""
    if ctx.tenant is None:
        return None
    rows, more = history_rows(ctx, contact.id)
    html = render_template(TEMPLATE, entries=rows, more=more)
    return Panel(title="History", html=Markup(html), order=PANEL_ORDER, plugin="audit")  # noqa: S704
