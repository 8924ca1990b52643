"""Structured logs: one line per request (JSON or text) with the request id, tenant and user,
the same request id in the response header, in app log records and in the events the audit
trail stores."""

from __future__ import annotations

import io
import json
import logging

import pytest
from flask import current_app

from core.logs import REQUEST_LOGGER
from tests.conftest import build_app
from tests.support import logged_in, login
from tests.web.recorder import record_events


def _capture_log() -> io.StringIO:
    """Point the log handler the last app installed at a buffer and return it."""
    buffer = io.StringIO()
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "crm_owned", False)]
    handler.setStream(buffer)
    return buffer


def _json_lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def _request_lines(buffer: io.StringIO) -> list[dict]:
    return [line for line in _json_lines(buffer) if line["logger"] == REQUEST_LOGGER]


@pytest.fixture
def json_app(database_url, tmp_path, app):
    """An app (on the `app` fixture's migrated, emptied database) that logs JSON."""
    return build_app(database_url, tmp_path / "instance", LOG_FORMAT="json")


def test_every_request_is_one_json_line_with_who_what_and_how_long(json_app, tenant_a):
    client = logged_in(json_app, tenant_a.user_email)
    log = _capture_log()

    response = client.get("/admin/contacts/?page=0")

    assert response.status_code == 200
    [line] = _request_lines(log)
    assert line["level"] == "INFO"
    assert line["time"].endswith("+00:00")
    assert line["method"] == "GET"
    assert line["path"] == "/admin/contacts/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["tenant"] == "acme"
    assert line["user_id"] == tenant_a.user_id
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert len(line["request_id"]) == 32


def test_error_answers_and_anonymous_requests_are_logged_too(json_app):
    client = json_app.test_client()
    log = _capture_log()

    client.get("/no-such-page")
    client.post("/login", data={"email": "x@y.si"})  # no CSRF token: 400

    lines = _request_lines(log)
    assert [(line["path"], line["status"]) for line in lines] == [
        ("/no-such-page", 404), ("/login", 400)]
    assert all(line["tenant"] is None and line["user_id"] is None for line in lines)
    assert lines[0]["request_id"] != lines[1]["request_id"]


def test_app_log_records_carry_the_request_id(json_app):
    @json_app.get("/log-something")
    def log_something():
        current_app.logger.warning("something odd about %s", "Žiga")
        return "ok"

    log = _capture_log()
    response = json_app.test_client().get("/log-something")

    [record] = [line for line in _json_lines(log) if line["logger"] == "core"]
    assert record["level"] == "WARNING"
    assert record["message"] == "something odd about Žiga"
    assert record["request_id"] == response.headers["X-Request-ID"]


def test_a_trusted_request_id_is_kept_and_an_untrusted_or_malformed_one_replaced(
        database_url, tmp_path, app):
    untrusted = build_app(database_url, tmp_path / "i1", LOG_FORMAT="json")
    response = untrusted.test_client().get("/login", headers={"X-Request-ID": "proxy-1"})
    assert response.headers["X-Request-ID"] != "proxy-1"

    for config in ({"TRUST_REQUEST_ID": True}, {"PROXY_FIX": 1}):
        trusted = build_app(database_url, tmp_path / "i2", LOG_FORMAT="json", **config)
        log = _capture_log()
        response = trusted.test_client().get("/login", headers={"X-Request-ID": "proxy-1"})
        assert response.headers["X-Request-ID"] == "proxy-1", config
        assert _request_lines(log)[0]["request_id"] == "proxy-1"

        for bad in ("two words", "x" * 65, "<script>"):
            response = trusted.test_client().get("/login", headers={"X-Request-ID": bad})
            assert response.headers["X-Request-ID"] != bad
            assert len(response.headers["X-Request-ID"]) == 32


def test_events_carry_the_request_id_the_response_returns(json_app, tenant_a):
    recorder = record_events(json_app)
    client = json_app.test_client()

    response = login(client, tenant_a.user_email)

    [event] = recorder.named("crm_user_logged_in")
    assert event["ctx"].request_id == response.headers["X-Request-ID"]


def test_text_format_writes_a_readable_line(client, tenant_a):
    log = _capture_log()
    response = client.get("/login")
    text = log.getvalue()
    assert f"INFO {REQUEST_LOGGER} [{response.headers['X-Request-ID']} - -] GET /login 200" in text


def test_an_unknown_log_format_is_refused_with_the_choices(database_url, tmp_path):
    with pytest.raises(ValueError, match="CRM_LOG_FORMAT must be one of json, text, not 'xml'"):
        build_app(database_url, tmp_path / "instance", LOG_FORMAT="xml")
