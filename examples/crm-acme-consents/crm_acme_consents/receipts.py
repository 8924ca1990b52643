"""The register of counter receipts: filled when a counter consent is recorded, shown as a
panel on the contact page, part of the person's data (access and erasure)."""

from __future__ import annotations

from typing import Any

from flask import render_template
from markupsafe import Markup
from sqlalchemy import delete, select

from core.admin.localtime import show_time
from core.db import db
from core.events import Panel, Section
from crm_acme_consents.counter import SOURCE
from crm_acme_consents.models import CounterReceipt
from crm_acme_consents.settings import PLUGIN


def note_receipt(ctx: Any, consent: Any, event: Any) -> None:
    """Keep the receipt number of a consent signed at the counter (not committed)."""
    number = ((event.payload or {}).get("fields") or {}).get("receipt_number")
    if consent.source != SOURCE or not number:
        return
    db.session.add(CounterReceipt(tenant_id=ctx.tenant_id, contact_id=consent.contact_id,
                                  number=number, purpose=consent.purpose.code))


def receipts_of(contact: Any) -> list[CounterReceipt]:
    """The contact's counter receipts, oldest first."""
    return list(db.session.scalars(select(CounterReceipt).where(
        CounterReceipt.contact_id == contact.id).order_by(CounterReceipt.id)))


def receipts_panel(ctx: Any, contact: Any) -> list[Panel]:
    """The "Counter receipts" panel (none when the contact has no receipt)."""
    receipts = receipts_of(contact)
    if not receipts:
        return []
    html = render_template("acme_consents/receipts_panel.html", receipts=receipts,
                           show_time=show_time)
    return [Panel(title="Counter receipts", html=Markup(html), order=30,  # noqa: S704
                  plugin=PLUGIN)]


def receipt_section(contact: Any) -> list[Section]:
    """The contact's receipts, for the right of access."""
    rows = [[r.number, r.purpose, r.recorded_at] for r in receipts_of(contact)]
    return [Section(key="acme_receipts", title="Counter receipts",
                    columns=["Receipt number", "Purpose", "Recorded at"], rows=rows,
                    plugin=PLUGIN)]


def erase_receipts(contact: Any) -> list[str]:
    """Remove the contact's receipts (erased and anonymized alike: they name the person)."""
    removed = db.session.execute(
        delete(CounterReceipt).where(CounterReceipt.contact_id == contact.id),
        execution_options={"synchronize_session": False}).rowcount
    return [f"{removed} counter receipt(s) removed"] if removed else []
