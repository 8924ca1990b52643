"""Absolute addresses of the plugin's public pages (web form links, webhook URLs).

The base is `CRM_BASE_URL` when set (what people outside reach: a mail or a receipt may
be made by a command, with no request), else the address of the current request (proxy
aware through `CRM_PROXY_FIX`), else `http://127.0.0.1:5000`.
"""

from __future__ import annotations

from flask import current_app, has_request_context, request

FALLBACK = "http://127.0.0.1:5000"


def absolute_url(path: str, base: str | None = None) -> str:
    """`path` (starting with `/`) under `base`, else the configured or request's base."""
    root = base or current_app.config.get("BASE_URL") or (
        request.host_url if has_request_context() else FALLBACK)
    return root.rstrip("/") + path
