"""Where a login may send the browser next: only to a path of this site."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def safe_next(target: str | None, default: str = "/admin/") -> str:
    """Return `target` when it is a path on this site, else `default`.

    Refused: absolute URLs (`https://host`, `https:host`), scheme-relative ones (`//host`),
    anything with a backslash (browsers read `/\\host` as `//host`), control characters and
    whitespace, and anything that does not start with a single `/`.
    """
    if not target or not target.isprintable() or any(ch.isspace() for ch in target):
        return default
    if "\\" in target or not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def current_path() -> str:
    """The path and query string of this request (for a `next` parameter)."""
    return request.full_path.rstrip("?") if request.query_string else request.path
