"""The kinds of text a per-tenant setting can be declared as (`Setting(kind=...)`), each a
check of the value: `url` (an http or https address), `email` (an e-mail address), `regex`
(a regular expression Python compiles), `origins` (space-separated https origins, e.g. the
sites allowed to embed a page). Plugins add kinds of their own with the `crm_setting_kinds`
hook (e.g. the consents plugin's `purpose_code`).

A check takes the value (already stripped; an empty value is "not set" and never checked),
runs with the tenant in scope (it may query the tenant's rows) and returns None when the
value is fine, else the problem as a clause ("is not an http or https address").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from core.emails import InvalidEmail, normalize_email

Check = Callable[[str], "str | None"]

ORIGIN_RE = re.compile(r"^https://[a-z0-9.-]+(:[0-9]{1,5})?$", re.IGNORECASE)


def http_url(value: str) -> str | None:
    """An absolute http or https address with a host (no `javascript:`, no `data:`)."""
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"'{value}' is not an http or https address"
    if any(char.isspace() for char in value):
        return f"'{value}' contains spaces"
    return None


def email_address(value: str) -> str | None:
    """A valid e-mail address."""
    try:
        normalize_email(value)
    except InvalidEmail as exc:
        return str(exc)
    return None


def regular_expression(value: str) -> str | None:
    """A regular expression Python's `re` compiles."""
    try:
        re.compile(value)
    except re.error as exc:
        return f"'{value}' is not a valid regular expression ({exc})"
    return None


def https_origins(value: str) -> str | None:
    """One or more https origins (`https://host` or `https://host:port`, no path),
    separated by spaces."""
    for origin in value.split():
        if not ORIGIN_RE.match(origin):
            return (f"'{origin}' is not an https origin (write https://host or "
                    "https://host:port, without a path)")
    return None


def core_kinds() -> dict[str, Check]:
    """The kinds the core knows, by name."""
    return {"url": http_url, "email": email_address, "regex": regular_expression,
            "origins": https_origins}
