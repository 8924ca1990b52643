"""Checking a login attempt: credentials, inactive accounts, throttling and the events."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import request
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from core.clock import utcnow
from core.db import db
from core.emails import InvalidEmail, normalize_email
from core.events import context, emit
from core.models import Tenant, User
from core.scoping import all_tenants

from .throttle import record_failure, record_success, retry_after, throttle_keys

UNKNOWN_USER = "unknown_user"
BAD_PASSWORD = "bad_password"
INACTIVE = "inactive"
THROTTLED = "throttled"


@dataclass(frozen=True)
class LoginResult:
    """What became of an attempt: the user on success, else the reason and, when the
    attempt is (now) throttled, the seconds to wait."""

    user: User | None = None
    reason: str | None = None
    retry_after: int = 0


def attempt_login(typed_email: str, password: str) -> LoginResult:
    """Check `typed_email` and `password`. A failure is counted, reported and committed;
    a success clears the account's counter and stamps `last_login_at`, left for the caller
    to commit with the new session (`report_login`).

    A throttled key is refused before the password is looked at. Unknown addresses take as
    long as known ones (a password hash is checked either way).
    """
    email = _normalized(typed_email)
    keys = throttle_keys(email, request.remote_addr)
    wait = retry_after(keys)
    if wait:
        _report_failure(email, None, THROTTLED)
        return LoginResult(reason=THROTTLED, retry_after=wait)
    with all_tenants():
        user = db.session.scalar(select(User).where(User.email == email))
        tenant = user.tenant if user is not None else None
    if user is None:
        check_password_hash(_dummy_hash(), password)
        reason = UNKNOWN_USER
    elif not user.check_password(password):
        reason = BAD_PASSWORD
    elif not user.is_active:
        reason = INACTIVE
    else:
        record_success(keys)
        with all_tenants():
            db.session.execute(
                update(User).where(User.id == user.id).values(last_login_at=utcnow())
            )
        return LoginResult(user=user)
    wait = record_failure(keys)
    _report_failure(email, tenant, reason)
    return LoginResult(reason=reason, retry_after=wait)


def report_login(user: User) -> None:
    """Tell the plugins that `user` logged in (after the session was renewed) and commit
    the login (counters, `last_login_at`, what the plugins wrote)."""
    emit("crm_user_logged_in", context(), user=user)
    db.session.commit()


def _report_failure(email: str, tenant: Tenant | None, reason: str) -> None:
    """Report a failed attempt to the plugins (the account's tenant's, or every installed
    plugin's for an unknown address) and commit it with the counters."""
    ctx = context(tenant=tenant, actor=f"anonymous:{request.remote_addr or 'unknown'}")
    emit("crm_login_failed", ctx, email=email, reason=reason)
    db.session.commit()


def _normalized(typed: str) -> str:
    try:
        return normalize_email(typed)
    except InvalidEmail:
        return typed.strip().lower()[:320]


@functools.cache
def _dummy_hash() -> str:
    """A hash to check against when the address is unknown (same cost as a real check)."""
    return generate_password_hash("not-a-real-password")
