"""Per-tenant plugin switches and per-tenant settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import SafeJSON, SafeString, db
from core.scoping import TenantOwned


class TenantPlugin(TenantOwned, db.Model):
    """Whether a plugin is enabled for a tenant (no row: off)."""

    __tablename__ = "tenant_plugin"
    __table_args__ = (UniqueConstraint("tenant_id", "plugin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(SafeString(64))
    enabled: Mapped[bool] = mapped_column(default=False)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    changed_by: Mapped[str] = mapped_column(SafeString(255), default="")


class TenantSetting(TenantOwned, db.Model):
    """One setting value of a tenant; `namespace` is `core` or a plugin name."""

    __tablename__ = "tenant_setting"
    __table_args__ = (UniqueConstraint("tenant_id", "namespace", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    namespace: Mapped[str] = mapped_column(SafeString(64))
    key: Mapped[str] = mapped_column(SafeString(64))
    value: Mapped[Any] = mapped_column(SafeJSON())
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
