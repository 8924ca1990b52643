"""Real requests: logins, list and detail pages, edits and logouts are recorded; the audit
log's admin pages are read-only, for tenant admins (and platform admins for the platform)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from core.db import db
from core.models import Contact, Role, User
from core.scoping import all_tenants, tenant_scope
from core.settings import get_setting
from plugins.audit.verify import verify_chain
from tests.plugins.audit.conftest import entries, switch
from tests.support import PASSWORD, csrf_token, logged_in, login

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0"}


@pytest.fixture
def contact_id(app, audited):
    """Ana Novak in acme, created before anybody logs in."""
    with app.app_context(), tenant_scope(audited.id):
        contact = Contact(first_name="Ana", last_name="Novak", email="ana@novak.si")
        db.session.add(contact)
        db.session.commit()
        return contact.id


def _rows_of(response):
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_a_session_in_the_browser_is_recorded_end_to_end(app, audited, contact_id):
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": BROWSER["User-Agent"]})
    assert login(client, audited.user_email).status_code == 302
    assert client.get("/admin/contacts/?search=novak").status_code == 200
    detail = client.get(f"/admin/contacts/details/?id={contact_id}")
    assert detail.status_code == 200
    token = csrf_token(client, f"/admin/contacts/edit/?id={contact_id}")
    edited = client.post(f"/admin/contacts/edit/?id={contact_id}", data={
        "first_name": "Ana", "last_name": "Novak", "email": "ana@novak.si",
        "phone": "041 111 222", "notes": "", "csrf_token": token})
    assert edited.status_code == 302
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")}
                       ).status_code == 302
    trail = entries(app, audited.id)
    actions = [e.action for e in trail]
    for expected in ("login", "list_viewed", "viewed", "updated", "logout"):
        assert expected in actions, actions
    by_action = {e.action: e for e in reversed(trail)}
    for action in ("login", "list_viewed", "viewed", "updated", "logout"):
        entry = by_action[action]
        assert entry.actor == f"user:{audited.user_email}", action
        assert entry.user_id == audited.user_id
        assert entry.ip == "127.0.0.1" and entry.user_agent == BROWSER["User-Agent"]
        assert entry.request_id
    listed = by_action["list_viewed"]
    assert listed.target_type == "contacts"
    assert json.loads(listed.details)["search"] == "novak"
    assert json.loads(by_action["updated"].details)["changes"]["phone"] == [None, "041 111 222"]
    assert (by_action["viewed"].target_id, by_action["viewed"].label) == (contact_id,
                                                                         "Ana Novak")
    # the History panel of the contact page shows who did what
    page = client.get(f"/admin/contacts/details/?id={contact_id}")
    assert page.status_code == 302  # logged out
    again = logged_in(app, audited.admin_email)
    html = again.get(f"/admin/contacts/details/?id={contact_id}").get_data(as_text=True)
    assert 'data-plugin="audit"' in html and "History" in html
    assert f"user:{audited.user_email}" in html and "changed contact" in html
    assert "041 111 222" in html
    with app.app_context():
        assert verify_chain(audited.id).ok


def test_failed_logins_are_recorded_without_the_password(app, audited):
    client = app.test_client()
    assert login(client, "nobody@nowhere.si", "guess-one-1").status_code == 401
    assert login(client, audited.user_email, "guess-two-22").status_code == 401
    (platform,) = entries(app, None)
    assert (platform.action, platform.label) == ("login_failed", "nobody@nowhere.si")
    assert json.loads(platform.info) == {"reason": "unknown_user"}
    tenant_entry = entries(app, audited.id)[-1]
    assert (tenant_entry.action, tenant_entry.label) == ("login_failed", audited.user_email)
    assert json.loads(tenant_entry.info) == {"reason": "bad_password"}
    for entry in (platform, tenant_entry):
        stored = " ".join(str(getattr(entry, c.key)) for c in entry.__table__.columns)
        assert "guess-one-1" not in stored and "guess-two-22" not in stored


def test_a_tenant_without_the_plugin_leaves_no_trace(app, tenant_b):
    client = logged_in(app, tenant_b.user_email)
    client.get("/admin/contacts/")
    assert entries(app, tenant_b.id) == []
    assert entries(app, None) == []


def test_the_audit_page_is_for_tenant_admins_and_read_only(app, audited, contact_id,
                                                           tenant_b):
    admin = logged_in(app, audited.admin_email)
    admin.get(f"/admin/contacts/details/?id={contact_id}")
    page = admin.get("/admin/audit_entries/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "viewed contact" in html and "Ana Novak" in html
    assert "audit-download-csv" in html
    assert 'href="/admin/audit_entries/new/' not in html
    assert "/admin/audit_entries/edit/" not in html
    assert "/admin/audit_entries/delete/" not in html

    user = logged_in(app, audited.user_email)
    assert user.get("/admin/audit_entries/").status_code == 403  # not for users
    other = logged_in(app, tenant_b.admin_email)  # the plugin is off for beta
    assert other.get("/admin/audit_entries/").status_code == 404
    switch(app, tenant_b.id, True)
    acme_entry = entries(app, audited.id)[0]
    assert other.get(f"/admin/audit_entries/details/?id={acme_entry.id}").status_code == 404

    detail = admin.get(f"/admin/audit_entries/details/?id={acme_entry.id}")
    assert detail.status_code == 200 and acme_entry.hash in detail.get_data(as_text=True)
    # every route that could write answers 404/405: test_read_only.py


def test_the_audit_page_filters_searches_and_downloads(app, audited, contact_id):
    user = logged_in(app, audited.user_email)
    user.get(f"/admin/contacts/details/?id={contact_id}")
    admin = logged_in(app, audited.admin_email)

    def shown(query):
        response = admin.get(f"/admin/audit_entries/{query}")
        assert response.status_code == 200, query
        return response.get_data(as_text=True)

    by_user = shown(f"?flt0_user_equals={audited.user_id}")
    assert "viewed contact" in by_user and "enabled the plugin" not in by_user
    assert "enabled the plugin" in shown("?flt0_action_equals=plugin_enabled")
    assert "viewed contact" not in shown("?flt0_action_equals=plugin_enabled")
    assert "viewed contact" in shown("?search=NOVAK")
    assert "viewed contact" not in shown("?search=zupancic")
    assert "viewed contact" in shown(f"?flt0_contact_id_equals={contact_id}")
    assert "viewed contact" not in shown("?flt0_day_before=2000-01-01")

    download = admin.get(f"/admin/audit_entries/download/csv?flt0_user_equals="
                         f"{audited.user_id}")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    rows = _rows_of(download)
    assert rows[0][:4] == ["Seq", "Time", "Actor", "Action"]
    assert {row[3] for row in rows[1:]} >= {"login", "viewed"}
    assert all(row[2] == f"user:{audited.user_email}" for row in rows[1:])
    logged = entries(app, audited.id)[-1]
    assert logged.action == "exported" and logged.actor == f"user:{audited.admin_email}"
    assert json.loads(logged.info)["what"] == "audit log"
    xlsx = admin.get("/admin/audit_entries/download/xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert admin.get("/admin/audit_entries/download/pdf").status_code == 404


def test_platform_admins_see_the_platform_chain(app, audited):
    with app.app_context(), all_tenants():
        root = User(email="root@platform.si", role=Role.PLATFORM_ADMIN, tenant_id=None)
        root.set_password(PASSWORD)
        db.session.add(root)
        db.session.commit()
    login(app.test_client(), "nobody@nowhere.si", "wrong-password-1")
    root_client = logged_in(app, "root@platform.si")
    html = root_client.get("/admin/audit_platform/").get_data(as_text=True)
    assert "nobody@nowhere.si" in html and "failed to log in" in html
    assert root_client.get("/admin/audit_entries/").status_code == 403
    tenant_admin = logged_in(app, audited.admin_email)
    assert tenant_admin.get("/admin/audit_platform/").status_code == 403
    actions = [e.action for e in entries(app, None)]
    # the platform admin was created (no tenant), then the failed login, then their login
    assert actions[:3] == ["created", "login_failed", "login"]
    assert "list_viewed" in actions
    with app.app_context():
        assert verify_chain(None).ok


def test_tenant_admins_set_the_retention_on_the_plugins_page(app, audited):
    admin = logged_in(app, audited.admin_email)
    token = csrf_token(admin, "/admin/plugins/")
    assert "Keep audit entries for (days)" in admin.get("/admin/plugins/").get_data(
        as_text=True)
    bad = admin.post("/admin/plugins/audit/settings",
                     data={"retention_days": "0", "csrf_token": token})
    assert bad.status_code == 400
    good = admin.post("/admin/plugins/audit/settings",
                      data={"retention_days": "3650", "csrf_token": token})
    assert good.status_code == 302
    with app.app_context(), tenant_scope(audited.id):
        assert get_setting(audited.id, "audit", "retention_days") == 3650
    changed = entries(app, audited.id)[-1]
    assert (changed.action, changed.target_type) == ("created", "tenant_setting")
