"""Login, logout, sessions renewed at login and ended on the server, `next`, cookies."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import create_app
from core.auth.redirects import safe_next
from core.db import db
from core.models import User
from core.scoping import all_tenants
from tests.support import PASSWORD, csrf_token, logged_in, login
from tests.web.recorder import record_events


def test_the_login_form_has_the_contract_fields(client):
    html = client.get("/login").get_data(as_text=True)
    for field in ('name="email"', 'name="password"', 'name="remember"', 'name="csrf_token"'):
        assert field in html


def test_home_sends_anonymous_visitors_to_the_login_and_users_to_the_admin(app, client,
                                                                          tenant_a):
    assert client.get("/").headers["Location"] == "/login"
    assert client.get("/admin/contacts/").headers["Location"] == "/login?next=/admin/contacts/"
    user = logged_in(app, tenant_a.user_email)
    assert user.get("/").headers["Location"] == "/admin/"


def test_a_good_login_reports_the_user_and_goes_on(app, client, tenant_a):
    recorder = record_events(app)
    response = login(client, "  USER@acme.test ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    (event,) = recorder.named("crm_user_logged_in")
    assert event["email"] == tenant_a.user_email
    assert event["ctx"].actor == f"user:{tenant_a.user_email}"
    assert event["ctx"].tenant.slug == "acme"
    with app.app_context(), all_tenants():
        assert db.session.get(User, tenant_a.user_id).last_login_at is not None


def test_wrong_password_and_unknown_address_get_the_same_answer(app, client, tenant_a):
    recorder = record_events(app)
    wrong = login(client, tenant_a.user_email, "not-the-password")
    unknown = login(client, "nobody@acme.test", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "The e-mail address or the password is wrong." in response.get_data(as_text=True)
    reasons = [(e["email"], e["reason"]) for e in recorder.named("crm_login_failed")]
    assert reasons == [(tenant_a.user_email, "bad_password"), ("nobody@acme.test", "unknown_user")]
    assert recorder.named("crm_login_failed")[0]["ctx"].tenant.slug == "acme"
    assert recorder.named("crm_login_failed")[1]["ctx"].tenant is None


def test_missing_fields_are_named(client):
    response = client.post("/login", data={"email": " ", "password": "",
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter your e-mail address." in html and "Enter your password." in html


def test_an_inactive_user_cannot_log_in_and_loses_open_sessions(app, tenant_a):
    session_before = logged_in(app, tenant_a.user_email)
    with app.app_context(), all_tenants():
        db.session.get(User, tenant_a.user_id).active = False
        db.session.commit()
    assert session_before.get("/admin/contacts/").status_code == 302
    client = app.test_client()
    response = login(client, tenant_a.user_email)
    assert response.status_code == 401
    assert "This login is disabled" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", [
    "//evil.example/", "/\\evil.example", "https:evil.example", "https://evil.example/x",
    "http://localhost/admin/", "javascript:alert(1)", " /admin/", "/admin/\r\nX: y", "admin/",
    "\\\\evil.example", "/%0a", "",
])
def test_next_never_leaves_the_site(app, client, tenant_a, target):
    response = login(client, tenant_a.user_email, next_url=target)
    expected = "/%0a" if target == "/%0a" else "/admin/"
    assert response.headers["Location"] == expected


def test_next_goes_back_to_the_page_asked_for(app, client, tenant_a):
    page = client.get("/login?next=/admin/companies/?page=1").get_data(as_text=True)
    assert 'value="/admin/companies/?page=1"' in page
    response = login(client, tenant_a.user_email, next_url="/admin/companies/?page=1")
    assert response.headers["Location"] == "/admin/companies/?page=1"


def test_safe_next_rules():
    assert safe_next("/admin/contacts/?search=%C5%BE") == "/admin/contacts/?search=%C5%BE"
    for bad in ("//host", "/\\host", "https:host", "https://host", "///host", "/a\tb", None):
        assert safe_next(bad) == "/admin/"


def test_the_session_is_renewed_at_login(app, client, tenant_a):
    with client.session_transaction() as session:
        session["planted"] = "attacker-chosen"
    old_token = csrf_token(client)
    with client.session_transaction() as session:
        before = dict(session)
    login(client, tenant_a.user_email)
    with client.session_transaction() as session:
        after = dict(session)
    assert "planted" not in after
    assert after["_user_id"] != str(tenant_a.user_id)  # the session token, not the row id
    assert after.get("csrf_token") != before.get("csrf_token")
    # the form token issued before the login does not work after it
    assert client.post("/logout", data={"csrf_token": old_token}).status_code == 400
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")}
                       ).status_code == 302


def test_logout_is_post_only_and_ends_the_session_on_the_server(app, tenant_a):
    recorder = record_events(app)
    client = logged_in(app, tenant_a.user_email)
    with client.session_transaction() as session:
        stolen = dict(session)
    assert client.get("/logout").status_code == 405
    token = csrf_token(client, "/admin/")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.headers["Location"] == "/login"
    assert recorder.named("crm_user_logged_out")[0]["email"] == tenant_a.user_email
    assert client.get("/admin/").status_code == 302
    # a copy of the old session cookie is useless: its token was rotated
    thief = app.test_client()
    with thief.session_transaction() as session:
        session.update(stolen)
    assert thief.get("/admin/").headers["Location"].startswith("/login")


def test_the_remember_me_cookie_is_useless_after_logout(app, tenant_a):
    client = app.test_client()
    login(client, tenant_a.user_email, remember=True)
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only

    def fresh_browser_with(value: str):
        browser = app.test_client()
        browser.set_cookie("remember_token", value)
        return browser

    assert fresh_browser_with(cookie.value).get("/admin/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    assert client.get_cookie("remember_token") is None
    assert fresh_browser_with(cookie.value).get("/admin/").headers["Location"].startswith(
        "/login")


def test_a_password_change_ends_every_other_session(app, tenant_a):
    other_device = logged_in(app, tenant_a.user_email)
    client = logged_in(app, tenant_a.user_email)
    token = csrf_token(client, "/account/password")
    weak = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "short", "confirm_password": "short",
        "csrf_token": token})
    assert weak.status_code == 400
    assert "New password: the password must have at least 10 characters" in weak.get_data(
        as_text=True)
    wrong = client.post("/account/password", data={
        "current_password": "nope", "new_password": "a-new-long-password",
        "confirm_password": "a-new-long-password", "csrf_token": token})
    assert "The current password is wrong." in wrong.get_data(as_text=True)
    done = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a-new-long-password",
        "confirm_password": "a-new-long-password", "csrf_token": token})
    assert done.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert other_device.get("/admin/").status_code == 302
    assert login(app.test_client(), tenant_a.user_email, "a-new-long-password"
                 ).status_code == 302


def test_a_platform_admin_can_log_in_and_change_the_password(app, cli):
    cli.invoke(args=["users", "create", "root@platform.si", "--platform-admin",
                     "--password-stdin"], input=f"{PASSWORD}\n")
    client = logged_in(app, "root@platform.si")
    assert "Tenants" in client.get("/admin/").get_data(as_text=True)
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "another-long-password",
        "confirm_password": "another-long-password",
        "csrf_token": csrf_token(client, "/account/password")})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    with app.app_context(), all_tenants():
        root = db.session.scalar(select(User).where(User.email == "root@platform.si"))
        assert root.check_password("another-long-password")


def test_cookies_are_httponly_lax_and_secure_outside_development(app, tenant_a):
    response = login(app.test_client(), tenant_a.user_email, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("session=", "remember_token="):
        (header,) = [c for c in cookies if c.startswith(name)]
        assert "HttpOnly" in header and "SameSite=Lax" in header
    production = create_app({
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_DIR": app.instance_path, "SECRET_KEY": "s", "PLUGINS": [],
        "ENV_NAME": "production",
    })
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    client = production.test_client()
    secure = login(client, tenant_a.user_email, remember=True, base_url="https://localhost")
    for header in secure.headers.getlist("Set-Cookie"):
        assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
