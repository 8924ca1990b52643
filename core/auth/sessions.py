"""Sessions: which user a request belongs to, renewed at login, ended on the server.

Flask keeps the session in a signed cookie, which the server cannot revoke by itself. The
session and the remember-me cookie therefore carry the user's `session_token` (its
`get_id()`), never the row id; logout and a password change rotate the token, after which
every copy of the old cookies loads no user.
"""

from __future__ import annotations

from typing import Any

from flask import session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from core.db import db
from core.events import set_actor
from core.models import User
from core.scoping import all_tenants, set_tenant


def load_user(token: str) -> User | None:
    """Flask-Login's user loader: the active user whose session token is `token`."""
    if not token:
        return None
    with all_tenants():
        user = db.session.scalar(select(User).where(User.session_token == token))
    if user is None or not user.is_active:
        return None
    return user


def start_session(user: User, remember: bool) -> None:
    """Log `user` in on a new session: whatever the old session held (a planted id, an old
    CSRF token, flashed messages) is dropped first."""
    session.clear()
    login_user(user, remember=remember)
    bind_user(user)


def end_session(user: Any) -> None:
    """Log out: rotate the user's token (every session and remember-me cookie issued so far
    stops working) and clear this session. Commits."""
    if user.is_authenticated:
        user.rotate_session_token()
        save_user(user)
    session.clear()
    logout_user()


def save_user(user: Any) -> None:
    """Commit changes to the logged-in user's row and reload it. Platform admins belong to
    no tenant, so the write and the reload are made with the cross-tenant scope."""
    with all_tenants():
        db.session.commit()
        db.session.refresh(user)


def bind_user(user: User) -> None:
    """Make `user` the actor of this request and choose the data it sees: its tenant for
    tenant users; none for platform admins (their pages choose the scope they need)."""
    tenant = None if user.is_platform_admin else user.tenant
    set_tenant(tenant.id if tenant is not None else None)
    set_actor(f"user:{user.email}", user.id, tenant)


def bind_current_user() -> None:
    """`before_request`: bind the logged-in user (if any) to the request."""
    user = current_user
    if user.is_authenticated:
        bind_user(user)
