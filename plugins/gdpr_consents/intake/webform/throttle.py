"""Rate limits of the web form, kept in the database (every worker process sees them).

Each accepted submission adds one row per key: the address and the client IP, each as a
keyed hash (HMAC with the app's secret), so the table holds neither in the clear. A key
with `limit` rows inside the window is refused. Rows older than the window are dropped on
the way. Two submissions racing in the same instant may both pass the last free place:
the limit stops floods, it is not an exact quota.

Settings: `CRM_WEBFORM_MAX_PER_ADDRESS` (default 3), `CRM_WEBFORM_MAX_PER_IP` (default 20)
within `CRM_WEBFORM_WINDOW_SECONDS` (default 3600).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from core.db import db
from plugins.gdpr_consents.intake.webform.models import FormThrottle

DEFAULTS = {"WEBFORM_MAX_PER_ADDRESS": 3, "WEBFORM_MAX_PER_IP": 20,
            "WEBFORM_WINDOW_SECONDS": 3600}


def _setting(name: str) -> int:
    return int(current_app.config.get(name) or DEFAULTS[name])


def window_seconds() -> int:
    """How long the rate limits count submissions (`CRM_WEBFORM_WINDOW_SECONDS`): a refused
    visitor's Retry-After."""
    return _setting("WEBFORM_WINDOW_SECONDS")


def _key(scope: str, value: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"webform:{scope}:{value}".encode(), hashlib.sha256).hexdigest()


def _keys(email: str, ip: str | None) -> list[tuple[str, int]]:
    keys = [(_key("address", email), _setting("WEBFORM_MAX_PER_ADDRESS"))]
    if ip:
        keys.append((_key("ip", ip), _setting("WEBFORM_MAX_PER_IP")))
    return keys


def allowed(email: str, ip: str | None, now: datetime) -> bool:
    """True when neither the address nor the IP reached its limit in the window (the
    tenant in scope). Drops the rows that left the window (not committed)."""
    since = now - timedelta(seconds=_setting("WEBFORM_WINDOW_SECONDS"))
    db.session.execute(delete(FormThrottle).where(FormThrottle.at < since),
                       execution_options={"synchronize_session": False})
    for key, limit in _keys(email, ip):
        used = db.session.scalar(select(func.count(FormThrottle.id)).where(
            FormThrottle.key == key, FormThrottle.at >= since))
        if used >= limit:
            return False
    return True


def charge(email: str, ip: str | None, now: datetime) -> None:
    """Count one accepted submission against the address and the IP (not committed)."""
    for key, _limit in _keys(email, ip):
        db.session.add(FormThrottle(key=key, at=now))
