"""Error pages: a plain sentence and the right status, never a traceback.

HTML for people, JSON for machines (webhooks, `/healthz`, clients that ask for JSON).
A query that reached tenant data with no tenant in scope is answered 404 (and logged):
the fail-closed scope must never turn into a 500 page or into data.

A 413 names the limit: `MAX_CONTENT_LENGTH`, or the smaller limit of the view that refused
the body with `too_large(limit)` (a webhook's `CRM_WEBHOOK_MAX_BYTES`, for instance).
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge

from core.scoping import TenantScopeMissing

log = logging.getLogger(__name__)

MESSAGES = {
    400: "The request could not be understood.",
    403: "Your role does not allow this page.",
    404: "There is no such page or record.",
    405: "This page cannot be used that way.",
    413: "The upload is larger than the limit of {limit}.",
    415: "This type of content is not accepted.",
    429: "Too many attempts; try again later.",
}
CSRF_MESSAGE = ("The form's security token is missing or wrong (the page may be old): "
                "reload the page and try again.")


def register_error_pages(app: Flask) -> None:
    """Install the error handlers on `app`."""
    for code in MESSAGES:
        app.register_error_handler(code, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(TenantScopeMissing, _scope_missing)


def too_large(limit: int) -> NoReturn:
    """Refuse the request with 413, saying the view's own `limit` (in bytes)."""
    exc = RequestEntityTooLarge()
    exc.crm_limit = limit  # type: ignore[attr-defined]
    raise exc


def _http_error(exc: HTTPException) -> Any:
    code = exc.code or 500
    message = MESSAGES.get(code, exc.description or "")
    if code == 413:
        limit = getattr(exc, "crm_limit", None) or int(
            current_app.config.get("MAX_CONTENT_LENGTH") or 0)
        message = message.format(limit=_size(limit))
    elif code in (400, 415) and exc.description and exc.description != type(exc).description:
        message = exc.description
    return _answer(code, exc.name, message, exc.get_headers())


def _csrf_error(exc: CSRFError) -> Any:
    return _answer(400, "Bad request", CSRF_MESSAGE, [])


def _scope_missing(exc: TenantScopeMissing) -> Any:
    log.error("tenant data reached with no tenant in scope at %s: %s", request.path, exc)
    return _http_error(NotFound())


def _answer(code: int, title: str, message: str, headers: Any) -> Any:
    kept = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
    if _wants_json():
        response = jsonify(error=title, message=message, status=code)
    else:
        response = current_app.make_response(
            render_template("crm/error.html", code=code, title=title, message=message)
        )
    response.status_code = code
    for key, value in kept:
        response.headers[key] = value
    return response


def _size(count: int) -> str:
    """A byte count as people read it: `20 MB`, `64 KB`."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} bytes"


def _wants_json() -> bool:
    if request.path.startswith(("/hooks/", "/healthz")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes.accept_html
