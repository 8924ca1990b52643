"""Logging in and out: Flask-Login set up per app, the auth pages and request binding.

`init_auth(app)` creates the app's own `LoginManager`, registers `/login`, `/logout` and
`/account/password`, and binds each request to its user: the user's tenant is put in scope
(`core.scoping.set_tenant`) and the user is named as the actor of events
(`core.events.set_actor`). Platform admins get no tenant in scope.
"""

from __future__ import annotations

from flask import Flask, redirect, url_for
from flask_login import LoginManager

from .redirects import current_path, safe_next
from .sessions import bind_current_user, load_user
from .views import auth


def init_auth(app: Flask) -> LoginManager:
    """Give `app` its LoginManager, the auth pages and the per-request user binding."""
    manager = LoginManager()
    manager.init_app(app)
    manager.user_loader(load_user)
    manager.login_view = "auth.login"
    manager.session_protection = "basic"
    manager.unauthorized_handler(_to_login)
    app.register_blueprint(auth)
    app.before_request(bind_current_user)
    app.extensions["crm"]["login_manager"] = manager
    return manager


def _to_login():
    """Anonymous visitors of a protected page go to the login, then back to that page."""
    return redirect(url_for("auth.login", next=safe_next(current_path())))


__all__ = ["init_auth", "safe_next"]
