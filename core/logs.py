"""Logs: one line per request and one per log record of the app, as JSON (production) or
text (development), each with the request id, tenant and user id of the request it belongs to.

`CRM_LOG_FORMAT=json|text` (default text) and `CRM_LOG_LEVEL` (default INFO) choose; the
lines go to standard error, where gunicorn, systemd or a container collects them. The request
id is the one audit entries store (`core.events.request_id`) and is returned to the client in
the `X-Request-ID` response header.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from flask import Flask, Response, g, has_app_context, request
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

from core.events import request_id

REQUEST_LOGGER = "crm.requests"
# the loggers logged at CRM_LOG_LEVEL; libraries' (alembic, SQLAlchemy...) only from WARNING
APP_LOGGERS = ("core", "plugins", "crm")
LOG_FORMATS = ("json", "text")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(request_fields)s %(message)s"
JSON_FIELDS = "{levelname}{name}{message}"


def init_logging(app: Flask) -> None:
    """Send the process's log records to standard error in the configured format (replacing
    the handler an earlier app installed) and log every request of `app`."""
    log_format = str(app.config["LOG_FORMAT"]).lower()
    if log_format not in LOG_FORMATS:
        raise ValueError(f"CRM_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, "
                         f"not '{app.config['LOG_FORMAT']}'")
    handler = logging.StreamHandler(sys.stderr)
    handler.crm_owned = True  # type: ignore[attr-defined]
    handler.addFilter(RequestFields())
    handler.setFormatter(json_formatter() if log_format == "json" else text_formatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "crm_owned", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in APP_LOGGERS:
        logging.getLogger(name).setLevel(str(app.config["LOG_LEVEL"]).upper())
    # Flask's own handler on the app's logger would print app records a second time
    app.logger.removeHandler(default_handler)
    app.before_request(start_timer)
    app.after_request(log_request)


def json_formatter() -> logging.Formatter:
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message and the fields
    `RequestFields` and the call's `extra` add."""
    return JsonFormatter(JSON_FIELDS, style="{", timestamp="time", json_ensure_ascii=False,
                         rename_fields={"levelname": "level", "name": "logger"})


def text_formatter() -> logging.Formatter:
    """A line of text for a person reading a terminal."""
    return TextFormatter(TEXT_FORMAT)


class TextFormatter(logging.Formatter):
    """Text lines; a request's records show `[request id, tenant, user id]`."""

    def format(self, record: logging.LogRecord) -> str:
        """The line for `record`."""
        request_id = getattr(record, "request_id", None)
        record.request_fields = "" if request_id is None else (
            f" [{request_id} {getattr(record, 'tenant', None) or '-'} "
            f"{getattr(record, 'user_id', None) or '-'}]")
        return super().format(record)


class RequestFields(logging.Filter):
    """Adds `request_id`, `tenant` (slug) and `user_id` of the current request (None outside
    one) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate `record`; never drops it."""
        tenant = user_id = None
        if has_app_context():
            ref = g.get("crm_tenant")
            tenant = getattr(ref, "slug", None)
            user_id = g.get("crm_user_id")
        record.request_id = request_id()
        record.tenant = tenant
        record.user_id = user_id
        return True


def start_timer() -> None:
    """Before each request: note when it started."""
    g.crm_request_started = time.perf_counter()


def log_request(response: Response) -> Response:
    """After each request: return the request id to the client and log one line with the
    method, path, status and duration."""
    response.headers["X-Request-ID"] = request_id() or ""
    started = g.get("crm_request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    fields: dict[str, Any] = {"method": request.method, "path": request.path,
                              "status": response.status_code, "duration_ms": duration_ms}
    logging.getLogger(REQUEST_LOGGER).info(
        "%s %s %s %sms", request.method, request.path, response.status_code, duration_ms,
        extra=fields)
    return response
