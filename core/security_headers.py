"""Security headers on every response: the Content-Security-Policy with a per-request nonce,
`X-Content-Type-Options`, `Referrer-Policy`, frame denial and, with secure cookies, HSTS.

Scripts run only from this site's own files or from a `<script>` carrying the request's
nonce (`csp_nonce()` in templates, `admin_csp_nonce_attribute` in admin templates): no inline
event handlers, no `javascript:` URLs, nothing from other origins.

A view whose page is meant to be embedded in another site (the public consent form) says
so for its response with `allow_framing(sources)` (a CSP source list, e.g. the tenant's own
site `https://www.acme.si`), called while it handles the request. That response gets
`frame-ancestors` with those sources and no `X-Frame-Options`; every other response (other
views of the same blueprint, error pages, static files) may not be framed at all.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g

NONCE_BYTES = 16


def init_security_headers(app: Flask) -> None:
    """Give every response of `app` the security headers and templates `csp_nonce()`."""
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(add_security_headers)


def csp_nonce() -> str:
    """The current request's CSP nonce, made on first use (also Flask-Admin's
    `csp_nonce_generator`)."""
    if "crm_csp_nonce" not in g:
        g.crm_csp_nonce = secrets.token_urlsafe(NONCE_BYTES)
    return g.crm_csp_nonce


def content_security_policy(nonce: str, frame_ancestors: str) -> str:
    """The policy for one response: own files only, scripts and `<style>` elements with
    `nonce`, framing by `frame_ancestors`."""
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": f"'self' 'nonce-{nonce}'",
        # Bootstrap's CSS draws form controls (validation marks, selects) as data: SVG images
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": frame_ancestors,
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def add_security_headers(response: Response) -> Response:
    """After each request: set the headers described in this module's docstring."""
    frame_ancestors = embedding_sources()
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(
        csp_nonce(), frame_ancestors or "'none'")
    if not frame_ancestors:
        headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        max_age = int(current_app.config["HSTS_MAX_AGE_SECONDS"])
        headers["Strict-Transport-Security"] = f"max-age={max_age}"
    return response


def allow_framing(sources: str) -> None:
    """Let the current request's response be framed by `sources` (a CSP `frame-ancestors`
    source list such as `https://www.acme.si https://shop.acme.si`); an empty list changes
    nothing (the response stays unframeable). A list that would end the directive (`;`,
    `,`) raises ValueError: check a tenant's value when it is saved (setting kind
    `origins`)."""
    if any(char in sources for char in ";,"):
        raise ValueError(f"frame-ancestors sources {sources!r} contain ';' or ','")
    g.crm_frame_ancestors = " ".join(sources.split())


def embedding_sources() -> str | None:
    """The `frame-ancestors` sources the current request's view allowed with
    `allow_framing`, or None when its response may not be framed."""
    return g.get("crm_frame_ancestors") or None
