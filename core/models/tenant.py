"""A tenant: one customer company with its own users, data and plugin choices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from core.clock import DEFAULT_TIME_ZONE, utcnow
from core.db import SafeString, db


class Tenant(db.Model):
    """A customer company. Its `slug` appears in URLs and on the command line."""

    __tablename__ = "tenant"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(SafeString(63), unique=True)
    name: Mapped[str] = mapped_column(SafeString(255))
    time_zone: Mapped[str] = mapped_column(SafeString(64), default=DEFAULT_TIME_ZONE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __str__(self) -> str:
        return self.name
