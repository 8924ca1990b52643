"""Configuration: defaults, then the environment, then the caller's test config.

The contract (design guide §6): `DATABASE_URL`, `CRM_INSTANCE_DIR`, `CRM_SECRET_KEY`,
`CRM_PLUGINS`, and any other `CRM_`-prefixed variable (`CRM_FOO` becomes `FOO`).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
    "ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
    "ATTACHMENT_TYPES": [
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/tiff",
    ],
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SQLITE_BUSY_TIMEOUT_MS": 5000,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
    "REMEMBER_COOKIE_REFRESH_EACH_REQUEST": False,
    # CSRF (Flask-WTF): the token lives as long as the session it is bound to
    "WTF_CSRF_TIME_LIMIT": None,
    # login throttling: failures counted per account and per client address in a window;
    # reaching the limit locks that key for LOGIN_LOCKOUT_SECONDS (answered 429)
    "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
    "LOGIN_FAILURE_WINDOW_SECONDS": 15 * 60,
    "LOGIN_LOCKOUT_SECONDS": 15 * 60,
    "ADMIN_PAGE_SIZE": 25,
    # reverse proxies in front whose X-Forwarded-For/-Proto are trusted (0: none)
    "PROXY_FIX": 0,
    # Strict-Transport-Security, sent while cookies are Secure (production)
    "HSTS_MAX_AGE_SECONDS": 365 * 24 * 3600,
    # X-Request-ID from the client: trusted when True; None: only behind PROXY_FIX proxies
    "TRUST_REQUEST_ID": None,
    "LOG_FORMAT": "text",  # or "json": one JSON object a line (core/logs.py)
    "LOG_LEVEL": "INFO",
    "PLUGINS": None,
    "ENV_NAME": "development",
}


def load_config(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    """Fill `app.config` in the documented order and make the instance folder."""
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("CRM")
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if test_config:
        app.config.update(test_config)

    instance_dir = Path(app.config.get("INSTANCE_DIR") or "instance").resolve()
    instance_dir.mkdir(parents=True, exist_ok=True)
    app.instance_path = str(instance_dir)
    app.config["INSTANCE_DIR"] = str(instance_dir)

    uri = app.config.get("SQLALCHEMY_DATABASE_URI") or f"sqlite:///{instance_dir / 'crm.sqlite3'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = _with_driver(uri)

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance_dir)

    # cookies are Secure outside development unless the environment or caller says otherwise
    # (Flask's own default for SESSION_COOKIE_SECURE is False, so setdefault would not do)
    secure = app.config["ENV_NAME"] != "development" and not app.testing
    explicit = set(test_config or {}) | {k[4:] for k in os.environ if k.startswith("CRM_")}
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if key not in explicit:
            app.config[key] = secure


def _with_driver(uri: str) -> str:
    """Use psycopg 3 for plain `postgresql://` URLs (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg://" + uri[len(prefix):]
    return uri


def _instance_secret(instance_dir: Path) -> str:
    """Read the generated secret key, creating it once with mode 600."""
    path = instance_dir / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def installed_plugin_names(app: Flask, available: list[str]) -> list[str]:
    """Return the plugins installed in this deployment: `CRM_PLUGINS` or all available."""
    wanted = app.config.get("PLUGINS")
    if wanted is None:
        return list(available)
    names = wanted if isinstance(wanted, list | tuple) else str(wanted).split(",")
    return [n.strip() for n in names if n and n.strip()]
