"""Hooks of the `webdemo` sample plugin. `WEBDEMO_VIEW` in the app config picks which view
is returned: `good` (default), `bad_prefix` or `plain` (not on the core's base class)."""

from __future__ import annotations

from typing import Any

from flask_admin import BaseView, expose

from core.admin import CrmViewMixin
from core.hookspecs import hookimpl
from core.settings import Setting


class HelloView(CrmViewMixin, BaseView):
    """A page of the plugin."""

    @expose("/")
    def index(self) -> str:
        return "webdemo hello page"


class PlainView(BaseView):
    """A page that does not follow the core's access rule."""

    @expose("/")
    def index(self) -> str:
        return "plain"


@hookimpl
def crm_register_admin_views(admin: Any) -> list[Any]:
    kind = admin.app.config.get("WEBDEMO_VIEW", "good")
    if kind == "bad_prefix":
        return [HelloView(name="Hello", endpoint="hello")]
    if kind == "plain":
        return [PlainView(name="Plain", endpoint="webdemo_plain")]
    return [HelloView(name="Webdemo hello", endpoint="webdemo_hello")]


@hookimpl
def crm_settings() -> list[Setting]:
    return [
        Setting("retention_days", "int", 30, "Retention (days)", minimum=1, maximum=3650),
        Setting("greeting", "str", "Živijo", "Greeting"),
        Setting("loud", "bool", False, "Loud"),
    ]
