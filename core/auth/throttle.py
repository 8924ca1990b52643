"""Login throttling: failed logins per account and per client address, kept in the database.

Several gunicorn workers share nothing but the database, so the counters live in the
`login_throttle` table and change only through atomic UPDATEs (a row lock on PostgreSQL, a
serialised write on SQLite). Nothing here sleeps: a locked key is answered 429 at once, with
`Retry-After` saying when to try again.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from core.clock import utcnow
from core.db import db
from core.models import LoginThrottle

ACCOUNT = "account"
ADDRESS = "address"


@dataclass(frozen=True)
class ThrottleKey:
    """One counter: its scope (`account` or `address`), hashed key and failure limit."""

    scope: str
    key: str
    limit: int


def throttle_keys(email: str, address: str | None) -> list[ThrottleKey]:
    """The counters a login attempt for `email` from `address` is charged to."""
    config = current_app.config
    keys = [ThrottleKey(ACCOUNT, _hashed(ACCOUNT, email),
                        int(config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]))]
    if address:
        keys.append(ThrottleKey(ADDRESS, _hashed(ADDRESS, address),
                                int(config["LOGIN_MAX_FAILURES_PER_ADDRESS"])))
    return keys


def retry_after(keys: list[ThrottleKey]) -> int:
    """Seconds until every key is unlocked again; 0 when none is locked."""
    now = utcnow()
    until = db.session.scalars(
        select(LoginThrottle.locked_until).where(
            LoginThrottle.key.in_([k.key for k in keys]), LoginThrottle.locked_until > now
        )
    ).all()
    if not until:
        return 0
    return max(1, math.ceil((max(until) - now).total_seconds()))


def record_failure(keys: list[ThrottleKey]) -> int:
    """Count one failed login against each key (not committed); return the seconds to wait
    when a key is now locked (0 otherwise). Each step is one atomic UPDATE, so concurrent
    workers never lose a count."""
    config = current_app.config
    window = timedelta(seconds=int(config["LOGIN_FAILURE_WINDOW_SECONDS"]))
    lockout = timedelta(seconds=int(config["LOGIN_LOCKOUT_SECONDS"]))
    now = utcnow()
    _forget_stale(now, window)
    for key in keys:
        _ensure_row(key, now)
        this = LoginThrottle.key == key.key
        db.session.execute(
            update(LoginThrottle)
            .where(this, LoginThrottle.window_started_at <= now - window)
            .values(failures=0, window_started_at=now, locked_until=None)
        )
        db.session.execute(
            update(LoginThrottle).where(this).values(failures=LoginThrottle.failures + 1)
        )
        db.session.execute(
            update(LoginThrottle)
            .where(this, LoginThrottle.failures >= key.limit)
            .values(locked_until=now + lockout)
        )
    return retry_after(keys)


def record_success(keys: list[ThrottleKey]) -> None:
    """A successful login clears its account's counter (not the address's; not committed)."""
    accounts = [k.key for k in keys if k.scope == ACCOUNT]
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(accounts)))


def _ensure_row(key: ThrottleKey, now: datetime) -> None:
    """Create the key's counter when missing (a concurrent insert by another worker is
    caught: the row is there either way)."""
    if db.session.scalar(select(LoginThrottle.id).where(LoginThrottle.key == key.key)):
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                LoginThrottle(key=key.key, scope=key.scope, failures=0, window_started_at=now)
            )
    except IntegrityError:
        pass


def _forget_stale(now: datetime, window: timedelta) -> None:
    """Drop counters whose window ended and that are not locked: the table stays small."""
    db.session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.window_started_at < now - window,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
        )
    )


def _hashed(scope: str, value: str) -> str:
    """A keyed hash of the scope and value: the table never holds an address in clear."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"{scope}:{value}".encode(), hashlib.sha256).hexdigest()
