"""Login throttling: failed logins per account and per client address, kept in the database.

Several gunicorn workers share nothing but the database, so the counters live in the
`login_throttle` table and every change to a counter is one row lock (PostgreSQL) or one
serialised write (SQLite). Nothing here sleeps: a locked key is answered 429 at once, with
`Retry-After` saying when to try again.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select
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
    when this failure locked a key (0 otherwise)."""
    config = current_app.config
    window = timedelta(seconds=int(config["LOGIN_FAILURE_WINDOW_SECONDS"]))
    lockout = timedelta(seconds=int(config["LOGIN_LOCKOUT_SECONDS"]))
    now = utcnow()
    _forget_stale(now, window)
    for key in keys:
        row = _locked_row(key, now)
        if row.window_started_at + window <= now:
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= key.limit:
            row.locked_until = now + lockout
    db.session.flush()
    return retry_after(keys)


def record_success(keys: list[ThrottleKey]) -> None:
    """A successful login clears its account's counter (not the address's; not committed)."""
    accounts = [k.key for k in keys if k.scope == ACCOUNT]
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(accounts)))


def _locked_row(key: ThrottleKey, now: datetime) -> LoginThrottle:
    """The key's row, locked for this transaction (created when missing; a concurrent
    insert by another worker is caught and the row read again)."""
    query = select(LoginThrottle).where(LoginThrottle.key == key.key).with_for_update()
    row = db.session.scalar(query)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            db.session.add(
                LoginThrottle(key=key.key, scope=key.scope, failures=0, window_started_at=now)
            )
    except IntegrityError:
        pass
    return db.session.scalar(query.execution_options(populate_existing=True))


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
