"""Small helpers the tests share (imported as `tests.support`); tenants and logins are the
core's testing helpers (`core.testing`), re-exported."""

from __future__ import annotations

from typing import Any

from flask import Flask

from core.hookspecs import hookimpl
from core.testing import (
    BUILTIN_PLUGINS,
    PASSWORD,
    TenantLogins,
    csrf_token,
    logged_in,
    login,
    make_tenant_with_users,
)

__all__ = ["BUILTIN_PLUGINS", "PASSWORD", "ExportRecorder", "TenantLogins", "csrf_token",
           "logged_in", "login", "make_tenant_with_users", "record_exports"]


# --- exports: what `crm_records_exported` was told -------------------------------------------


class ExportRecorder:
    """Hears `crm_records_exported` of every tenant (registered on an app's plugin manager,
    not an installed plugin)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    @hookimpl
    def crm_records_exported(self, ctx: Any, what: str, file_format: str, subject: Any,
                             rows: int, details: dict[str, Any]) -> None:
        """Keep the call's arguments."""
        self.calls.append({"ctx": ctx, "what": what, "file_format": file_format,
                           "subject": subject, "rows": rows, "details": details})


def record_exports(app: Flask) -> ExportRecorder:
    """Register a new ExportRecorder on `app`'s plugin manager and return it."""
    recorder = ExportRecorder()
    app.extensions["crm"]["plugins"].pm.register(recorder, name=f"exports_{id(recorder)}")
    return recorder
