"""The "Export personal data" panel on a contact page: the button to the review page and
the person's open subject requests with their due dates."""

from __future__ import annotations

from typing import Any

from flask import render_template
from markupsafe import Markup

from core.clock import to_local
from core.events import EventContext, Panel
from plugins.export import PLUGIN, register

PANEL_ORDER = 50  # above the panels that show more of the person's data
TEMPLATE = "export/contact_panel.html"


def export_panel(ctx: EventContext, contact: Any) -> Panel | None:
    """The panel of `contact`, or None outside a tenant."""
    if ctx.tenant is None:
        return None
    zone = ctx.tenant.time_zone
    pending = [
        {"id": r.id, "kind": r.kind.value, "article": r.kind.article,
         "due": to_local(r.due_at, zone).strftime("%Y-%m-%d"), "overdue": r.is_overdue()}
        for r in register.requests(contact_id=contact.id)
    ]
    html = render_template(TEMPLATE, contact=contact, pending=pending)
    return Panel(title="Export personal data", html=Markup(html), order=PANEL_ORDER,  # noqa: S704
                 plugin=PLUGIN)
