"""`/login`, `/logout` (POST) and `/account/password`: the pages of the auth blueprint."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from core.events import context, emit
from core.models.user import WeakPassword

from .login import INACTIVE, attempt_login, report_login
from .redirects import safe_next
from .sessions import end_session, save_user, start_session

auth = Blueprint("auth", __name__)

TRUE_WORDS = {"1", "y", "yes", "on", "true"}


@auth.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; on POST check `email`, `password` and `remember`."""
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(next_url)
        return render_template("crm/login.html", next_url=next_url, errors={}, email="")
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    errors = {}
    if not email.strip():
        errors["email"] = "Enter your e-mail address."
    if not password:
        errors["password"] = "Enter your password."
    if errors:
        return _login_form(next_url, email, errors, 400)
    result = attempt_login(email, password)
    if result.retry_after:
        minutes = max(1, round(result.retry_after / 60))
        response = _login_form(
            next_url, email,
            {"form": f"Too many failed logins; try again in about {minutes} minute(s)."}, 429,
        )
        response.headers["Retry-After"] = str(result.retry_after)
        return response
    if result.user is None:
        message = (
            "This login is disabled; ask your administrator."
            if result.reason == INACTIVE
            else "The e-mail address or the password is wrong."
        )
        return _login_form(next_url, email, {"form": message}, 401)
    start_session(result.user, remember=request.form.get("remember", "").lower() in TRUE_WORDS)
    report_login(result.user)
    return redirect(next_url)


@auth.post("/logout")
def logout():
    """End the session on the server (token rotated) and in the browser."""
    if current_user.is_authenticated:
        emit("crm_user_logged_out", context(), user=current_user._get_current_object())
    end_session(current_user)
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@auth.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password: every other session and remember-me cookie ends."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        user = current_user._get_current_object()
        new = request.form.get("new_password", "")
        if not user.check_password(request.form.get("current_password", "")):
            errors["current_password"] = "The current password is wrong."
        elif new != request.form.get("confirm_password", ""):
            errors["confirm_password"] = "The two new passwords differ."
        else:
            try:
                user.set_password(new)
            except WeakPassword as exc:
                errors["new_password"] = f"New password: {exc}."
        if not errors:
            save_user(user)
            start_session(user, remember=False)
            flash("Your password was changed; other sessions were logged out.", "success")
            return redirect(url_for("admin.index"))
    status = 400 if errors else 200
    return render_template("crm/password.html", errors=errors), status


def _login_form(next_url: str, email: str, errors: dict[str, str], status: int) -> Response:
    page = render_template("crm/login.html", next_url=next_url, errors=errors, email=email)
    return make_response(page, status)
