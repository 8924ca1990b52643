"""Security headers on every response: a strict CSP with a fresh nonce per request,
nosniff, a referrer policy, no framing (except for views that allow it with `allow_framing`) and
HSTS once cookies are Secure."""

from __future__ import annotations

import re

import pytest
from flask import Blueprint

from core.db import db
from core.models import Contact
from core.scoping import tenant_scope
from core.security_headers import allow_framing
from tests.conftest import build_app
from tests.support import logged_in

NONCE_RE = re.compile(r"'nonce-([A-Za-z0-9_-]+)'")


def _directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def test_a_page_gets_the_strict_policy_and_the_other_headers(client):
    response = client.get("/login")

    directives = _directives(response)
    nonce = NONCE_RE.search(directives["script-src"]).group(1)
    assert directives["script-src"] == f"'self' 'nonce-{nonce}'"
    assert directives["style-src"] == f"'self' 'nonce-{nonce}'"
    assert directives["default-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    # tests run without Secure cookies, as development does: no HSTS over plain HTTP
    assert "Strict-Transport-Security" not in response.headers
    # the page's own <style> carries the nonce
    assert f'<style nonce="{nonce}">' in response.get_data(as_text=True)


def test_each_request_gets_a_new_nonce(client):
    first = NONCE_RE.search(client.get("/login").headers["Content-Security-Policy"]).group(1)
    second = NONCE_RE.search(client.get("/login").headers["Content-Security-Policy"]).group(1)
    assert first != second
    assert len(first) >= 16


def test_admin_pages_carry_the_nonce_on_every_script_and_no_inline_handler(app, tenant_a):
    with app.app_context(), tenant_scope(tenant_a.id):
        contact = Contact(first_name="Žiga", last_name="Zupančič", email="ziga@primer.si")
        db.session.add(contact)
        db.session.commit()
        contact_id = contact.id
    client = logged_in(app, tenant_a.admin_email)

    for path in ("/admin/", "/admin/contacts/", f"/admin/contacts/details/?id={contact_id}",
                 f"/admin/contacts/edit/?id={contact_id}", "/admin/users/"):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        nonce = NONCE_RE.search(response.headers["Content-Security-Policy"]).group(1)
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts, path
        for tag in scripts:
            assert f'nonce="{nonce}"' in tag, (path, tag)
        # Flask-Admin's remaining `javascript:void(0)` placeholders (the current tab, the
        # current page) are kept from navigating by crm.js (the browser test clicks them)
        assert not re.search(r"\son[a-z]+\s*=", html), path


def test_the_row_and_bulk_delete_ask_through_data_attributes(app, tenant_a):
    with app.app_context(), tenant_scope(tenant_a.id):
        db.session.add(Contact(first_name="Ana", last_name="Tajnik", email="ana@primer.si"))
        db.session.commit()
    html = logged_in(app, tenant_a.admin_email).get("/admin/contacts/").get_data(as_text=True)
    assert 'data-crm-confirm="Are you sure you want to delete this record?"' in html
    assert 'data-crm-action="delete"' in html
    assert "/static/crm/crm.js" in html


def test_error_pages_json_answers_and_static_files_get_the_headers_too(client):
    for path in ("/no-such-page", "/healthz", "/static/crm/crm.js"):
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path


def test_a_view_that_allows_framing_gets_its_frame_ancestors_others_do_not(app, client):
    def embeddable() -> str:
        allow_framing("https://www.acme.si  https://shop.acme.si")
        return "form"

    def plain() -> str:
        allow_framing("")  # nothing allowed: stays unframeable
        return "page"

    pages = Blueprint("embedding_sample", __name__)
    pages.add_url_rule("/embed/form", "form", embeddable)
    pages.add_url_rule("/embed/confirm", "confirm", lambda: "confirm")
    pages.add_url_rule("/embed/plain", "plain", plain)
    app.register_blueprint(pages)

    response = client.get("/embed/form")
    assert _directives(response)["frame-ancestors"] == "https://www.acme.si https://shop.acme.si"
    assert "X-Frame-Options" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"

    with app.test_request_context(), pytest.raises(ValueError, match="contain ';' or ','"):
        allow_framing("https://a.si; script-src *")  # would smuggle in a directive

    for path in ("/embed/confirm", "/embed/plain", "/login"):  # same blueprint or not
        response = client.get(path)
        assert _directives(response)["frame-ancestors"] == "'none'", path
        assert response.headers["X-Frame-Options"] == "DENY", path


def test_hsts_is_sent_once_cookies_are_secure(database_url, tmp_path):
    app = build_app(database_url, tmp_path / "instance", SESSION_COOKIE_SECURE=True,
                    HSTS_MAX_AGE_SECONDS=600)
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=600"
