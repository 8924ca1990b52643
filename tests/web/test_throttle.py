"""Failed logins are throttled per account and per client address, in the database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from core.clock import utcnow
from core.db import db
from core.models import LoginThrottle
from tests.conftest import build_app
from tests.support import login
from tests.web.recorder import record_events

FROM = {"REMOTE_ADDR": "198.51.100.7"}


def _fail(client, email, times, environ=FROM):
    return [login(client, email, "wrong-password", environ_base=environ).status_code
            for _ in range(times)]


def test_an_account_is_locked_after_repeated_failures(app, client, tenant_a):
    recorder = record_events(app)
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    assert _fail(client, tenant_a.user_email, limit) == [401] * (limit - 1) + [429]
    locked = login(client, tenant_a.user_email, environ_base=FROM)  # the right password
    assert locked.status_code == 429
    wait = int(locked.headers["Retry-After"])
    assert 0 < wait <= app.config["LOGIN_LOCKOUT_SECONDS"]
    assert "Too many failed logins" in locked.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # not logged in
    assert recorder.named("crm_login_failed")[-1]["reason"] == "throttled"
    # another address is locked out of this account too; other accounts are not
    assert login(app.test_client(), tenant_a.user_email,
                 environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 429
    assert login(app.test_client(), tenant_a.admin_email, environ_base=FROM).status_code == 302


def test_the_lock_ends_and_a_good_login_clears_the_count(app, client, tenant_a):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    _fail(client, tenant_a.user_email, limit)
    with app.app_context():
        db.session.execute(update(LoginThrottle).values(
            locked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert login(client, tenant_a.user_email, environ_base=FROM).status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(LoginThrottle)).all()
        assert [row.scope for row in rows] == ["address"]  # the account's count is gone
        assert all("acme" not in row.key and "198.51" not in row.key for row in rows)


def test_an_address_is_locked_after_failures_on_many_accounts(app, tenant_a):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    client = app.test_client()
    codes = [login(client, f"guess{i}@acme.test", "wrong-password", environ_base=FROM
                   ).status_code for i in range(limit)]
    assert codes[-1] == 429 and set(codes[:-1]) == {401}
    blocked = login(client, tenant_a.user_email, environ_base=FROM)
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    elsewhere = login(app.test_client(), tenant_a.user_email,
                      environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert elsewhere.status_code == 302


def test_the_lock_holds_across_worker_processes(app, database_url, tmp_path, tenant_a):
    """A second app on the same database (another gunicorn worker) sees the lock."""
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    _fail(app.test_client(), tenant_a.user_email, limit)
    other_worker = build_app(database_url, tmp_path / "worker-2")
    response = login(other_worker.test_client(), tenant_a.user_email,
                     environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0


def test_behind_a_trusted_proxy_the_visitors_address_is_counted(database_url, tmp_path,
                                                                 tenant_a):
    app = build_app(database_url, tmp_path / "proxied", PROXY_FIX=1,
                    LOGIN_MAX_FAILURES_PER_ADDRESS=3)
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    client = app.test_client()
    for i in range(3):
        login(client, f"guess{i}@acme.test", "wrong-password", environ_base=proxy,
              headers={"X-Forwarded-For": "198.51.100.7"})
    assert login(client, tenant_a.user_email, environ_base=proxy,
                 headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 429
    # another visitor behind the same proxy is not locked out
    assert login(app.test_client(), tenant_a.user_email, environ_base=proxy,
                 headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 302
