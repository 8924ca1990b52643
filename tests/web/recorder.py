"""A hook recorder registered on an app's plugin manager (it is not an installed plugin, so
it hears every tenant's events)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from markupsafe import Markup

from core.events import Panel
from core.hookspecs import hookimpl


class Recorder:
    """Keeps (hook name, arguments) of the events the web pages report."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def named(self, hook: str) -> list[dict[str, Any]]:
        """The arguments of every call of `hook`, in order."""
        return [kwargs for name, kwargs in self.calls if name == hook]

    @hookimpl
    def crm_user_logged_in(self, ctx: Any, user: Any) -> None:
        self.calls.append(("crm_user_logged_in", {"ctx": ctx, "email": user.email}))

    @hookimpl
    def crm_login_failed(self, ctx: Any, email: str, reason: str) -> None:
        self.calls.append(("crm_login_failed", {"ctx": ctx, "email": email, "reason": reason}))

    @hookimpl
    def crm_user_logged_out(self, ctx: Any, user: Any) -> None:
        self.calls.append(("crm_user_logged_out", {"ctx": ctx, "email": user.email}))

    @hookimpl
    def crm_list_viewed(self, ctx: Any, list_name: str, search: Any, filters: Any, page: int,
                        rows_shown: int) -> None:
        self.calls.append(("crm_list_viewed", {
            "ctx": ctx, "list_name": list_name, "search": search, "filters": filters,
            "page": page, "rows_shown": rows_shown,
        }))

    @hookimpl
    def crm_record_viewed(self, ctx: Any, record: Any) -> None:
        self.calls.append(("crm_record_viewed", {"ctx": ctx, "label": str(record)}))

    @hookimpl
    def crm_delete_record(self, ctx: Any, record: Any) -> None:
        self.calls.append(("crm_delete_record", {"ctx": ctx, "label": str(record)}))

    @hookimpl
    def crm_contact_panels(self, ctx: Any, contact: Any) -> list[Panel]:
        return [Panel(title="Recorder panel", html=Markup("<p id='recorded'>seen</p>"),
                      plugin="recorder")]


def record_events(app: Flask) -> Recorder:
    """Register a new Recorder on `app`'s plugin manager and return it."""
    recorder = Recorder()
    app.extensions["crm"]["plugins"].pm.register(recorder, name="test_recorder")
    return recorder
