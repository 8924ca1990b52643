"""The web side of an app: trusted proxies, CSRF, login, the admin, error pages, the home
page and the `Cache-Control` rule. `init_web(app)` is called once by `create_app`."""

from __future__ import annotations

from flask import Flask, Response, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from core.admin import init_admin
from core.auth import init_auth
from core.errors import register_error_pages
from core.security_headers import init_security_headers


def init_web(app: Flask) -> None:
    """Set up every page of `app`: one CSRF mechanism (Flask-WTF) for every form and admin
    action (blueprints flagged `crm_csrf_exempt`, such as webhooks, are exempt),
    Flask-Login, the admin, the error pages, `/`, `no-store` on pages and the security
    headers (core/security_headers.py) on every response."""
    trust_proxies(app)
    csrf = CSRFProtect(app)
    for blueprint in app.blueprints.values():
        # endpoints other systems post to (plugins' webhooks) declare themselves exempt
        if getattr(blueprint, "crm_csrf_exempt", False):
            csrf.exempt(blueprint)
    init_auth(app)
    init_admin(app)
    register_error_pages(app)
    app.add_url_rule("/", "home", home)
    app.after_request(no_store)
    init_security_headers(app)


def trust_proxies(app: Flask) -> None:
    """With `CRM_PROXY_FIX=N` (N reverse proxies in front, usually 1) the client's address
    and scheme come from the proxies' `X-Forwarded-For`/`-Proto`: login throttling, audit
    entries and consents then see the visitor, not the proxy. Only behind proxies that
    overwrite those headers."""
    hops = int(app.config.get("PROXY_FIX") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def home() -> Response:
    """`/`: the admin for logged-in users, the login page for everyone else."""
    target = "admin.index" if current_user.is_authenticated else "auth.login"
    return redirect(url_for(target))


def no_store(response: Response) -> Response:
    """Pages and downloads may hold personal data: browsers and proxies must not keep them.
    Static files (CSS, scripts) stay cacheable."""
    endpoint = request.endpoint or ""
    if endpoint != "static" and not endpoint.endswith(".static"):
        response.headers["Cache-Control"] = "no-store"
    return response
