"""The plugin's table: the receipt numbers of consents signed at the counter."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import SafeString, db
from core.scoping import TenantOwned


class CounterReceipt(TenantOwned, db.Model):
    """A till receipt a consent was signed with at the counter."""

    __tablename__ = "acme_consents_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"),
                                            index=True)
    number: Mapped[str] = mapped_column(SafeString(64))
    purpose: Mapped[str] = mapped_column(SafeString(64))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
