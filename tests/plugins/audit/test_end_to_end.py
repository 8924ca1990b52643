"""Every event of the trail, driven through real requests with every built-in plugin on:
login, failed logins, list and detail views, create, update, import, export, delete (to the
trash), restore, purge, logout and a mailing-system webhook; each entry with its actor, IP
address, user agent and request id."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import select

from core.db import db
from core.models import Contact
from core.scoping import tenant_scope
from plugins.audit.verify import verify_chain
from plugins.gdpr_consents import consents as consent_logic
from plugins.gdpr_consents.intake import webhooks
from plugins.trash.models import TrashUnit
from tests.plugins.audit.conftest import entries, switch
from tests.support import BUILTIN_PLUGINS, csrf_token, login

FIXTURES = Path(__file__).parents[1] / "gdpr_consents" / "fixtures"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0"
IMPORT_PAGE = "/admin/gdpr_consents_import/"


def _unit_of(app, tenant_id, contact_id):
    with app.app_context(), tenant_scope(tenant_id):
        return db.session.scalar(select(TrashUnit.id).where(TrashUnit.record_id == contact_id))


def _contact_id(app, tenant_id, email):
    with app.app_context(), tenant_scope(tenant_id):
        return db.session.scalar(select(Contact.id).where(Contact.email == email))


def test_every_event_is_recorded_through_real_requests(app, tenant_a):
    for plugin in BUILTIN_PLUGINS:
        switch(app, tenant_a.id, True, plugin=plugin)
    start = len(entries(app, tenant_a.id))
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": BROWSER, "REMOTE_ADDR": "192.0.2.44"})

    assert login(client, "nobody@nowhere.si", "guess-one-1").status_code == 401
    assert login(client, tenant_a.admin_email, "guess-two-22").status_code == 401
    assert login(client, tenant_a.admin_email).status_code == 302
    token = csrf_token(client, "/admin/contacts/new/")
    made = client.post("/admin/contacts/new/", data={
        "first_name": "Ana", "last_name": "Novak", "email": "ana@novak.si",
        "csrf_token": token})
    assert made.status_code == 302
    ana = _contact_id(app, tenant_a.id, "ana@novak.si")
    listing = client.get(f"/admin/contacts/?search=novak&flt0_owner_equals={tenant_a.admin_id}"
                         "&page=0")
    assert listing.status_code == 200
    assert client.get(f"/admin/contacts/details/?id={ana}").status_code == 200
    edited = client.post(f"/admin/contacts/edit/?id={ana}", data={
        "first_name": "Ana", "last_name": "Novak", "email": "ana@novak.si",
        "phone": "041 111 222", "csrf_token": token})
    assert edited.status_code == 302
    imported = client.post(IMPORT_PAGE, data={
        "csrf_token": csrf_token(client, IMPORT_PAGE), "action": "import",
        "file": (io.BytesIO((FIXTURES / "consents.xlsx").read_bytes()), "consents.xlsx")},
        content_type="multipart/form-data")
    assert imported.status_code == 200 and "Imported" in imported.get_data(as_text=True)
    exported = client.get("/admin/contacts/list-export/csv?search=novak")
    assert exported.status_code == 200
    deleted = client.post("/admin/contacts/delete/", data={"id": str(ana), "csrf_token": token})
    assert deleted.status_code == 302
    unit = _unit_of(app, tenant_a.id, ana)
    assert client.post(f"/admin/trash/{unit}/restore", data={"csrf_token": token}
                       ).status_code == 302
    client.post("/admin/contacts/delete/", data={"id": str(ana), "csrf_token": token})
    unit = _unit_of(app, tenant_a.id, ana)
    purged = client.post("/admin/trash/empty", data={"unit": str(unit), "confirmed": "yes",
                                                     "csrf_token": token})
    assert purged.status_code == 302
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302

    trail = entries(app, tenant_a.id)[start:]
    by_action: dict[str, list] = {}
    for entry in trail:
        by_action.setdefault(entry.action, []).append(entry)
    for action in ("login_failed", "login", "created", "list_viewed", "viewed", "updated",
                   "imported", "exported", "deleted", "restored", "purged", "logout"):
        assert action in by_action, (action, sorted(by_action))
        for entry in by_action[action]:
            assert entry.actor == f"user:{tenant_a.admin_email}" or action == "login_failed"
            assert entry.request_id, action
            # entries about Ana lost IP address and user agent with her other details
            # when she was purged at the end; the others keep where they came from
            about_ana = entry.contact_id == ana or (entry.target_type, entry.target_id) == (
                "contact", ana) or action == "list_viewed"
            where = (None, None) if about_ana else ("192.0.2.44", BROWSER)
            assert (entry.ip, entry.user_agent) == where, (action, entry.seq)

    failed = by_action["login_failed"][0]
    assert (failed.actor, failed.label) == ("anonymous:192.0.2.44", tenant_a.admin_email)
    assert json.loads(failed.info) == {"reason": "bad_password"}
    assert "guess-two-22" not in repr([vars(e) for e in trail])
    listed = by_action["list_viewed"][0]
    assert listed.target_type == "contacts"
    assert json.loads(listed.info) == {"page": 0, "rows": 1, "filtered": True}
    # Ana was purged at the end: her details are blanked, also the search for her name
    # (a list view is about no record; its search text is part of her name), the facts stay
    assert (listed.label, listed.details) == (None, None) and listed.redaction
    created = next(e for e in by_action["created"] if e.target_type == "contact")
    assert (created.target_id, created.redaction is not None) == (ana, True)
    assert json.loads(by_action["updated"][0].info) == {"fields": ["phone"]}
    assert json.loads(by_action["imported"][0].info) == {
        "what": "consents", "rows_read": 4, "created": 4, "updated": 0, "rejected": 0}
    export = next(e for e in by_action["exported"] if json.loads(e.info)["what"] ==
                  "contacts list")
    assert json.loads(export.info)["format"] == "csv"
    assert [json.loads(e.info)["how"] for e in by_action["deleted"]
            if e.target_type == "contact"] == ["trashed", "trashed"]
    assert ("contact", ana) in {(e.target_type, e.target_id) for e in by_action["restored"]}
    assert ("contact", ana) in {(e.target_type, e.target_id) for e in by_action["purged"]}

    # an unknown address goes to the platform chain, with where it came from
    (unknown,) = entries(app, None)
    assert (unknown.action, unknown.label, unknown.ip, unknown.user_agent) == (
        "login_failed", "nobody@nowhere.si", "192.0.2.44", BROWSER)
    assert json.loads(unknown.info) == {"reason": "unknown_user"}
    with app.app_context():
        assert verify_chain(tenant_a.id).ok and verify_chain(None).ok


def test_a_webhook_is_recorded_as_its_provider(app, tenant_a):
    for plugin in ("audit", "gdpr_consents"):
        switch(app, tenant_a.id, True, plugin=plugin)
    with app.app_context(), tenant_scope(tenant_a.id):
        from core.events import context

        with_tenant = context(tenant=_tenant(tenant_a.id), actor="cli:tester")
        endpoint = webhooks.add_webhook(with_tenant, "mailchimp", "newsletter", "a1b2c3d4e5")
        contact = Contact(first_name="Ana", email="ana.novak@example.si")
        db.session.add(contact)
        db.session.flush()
        consent_logic.grant(with_tenant, contact, "newsletter", given_at="2020-01-01",
                            duration_months=600)
        db.session.commit()
        url = f"/hooks/acme/mailchimp/{endpoint.secret}"
    app.config["TRUST_REQUEST_ID"] = True  # as behind a proxy that sets X-Request-ID
    response = app.test_client().post(
        url, data=(FIXTURES / "mailchimp_unsubscribe.txt").read_bytes(),
        content_type="application/x-www-form-urlencoded",
        headers={"User-Agent": "MailChimp", "X-Request-ID": "mc-1"},
        environ_base={"REMOTE_ADDR": "198.51.100.3"})
    assert response.status_code == 200, response.data
    changed = [e for e in entries(app, tenant_a.id) if e.actor == "webhook:mailchimp"]
    # the consent withdrawn, its event and the delivery's own record
    assert [(e.action, e.target_type) for e in changed] == [
        ("updated", "gdpr_consents_consent"), ("created", "gdpr_consents_event"),
        ("created", "gdpr_consents_webhook_event")]
    for entry in changed:
        assert (entry.ip, entry.user_agent, entry.request_id) == (
            "198.51.100.3", "MailChimp", "mc-1")
        assert entry.user_id is None


def _tenant(tenant_id):
    from core.models import Tenant
    from core.scoping import all_tenants

    with all_tenants():
        return db.session.get(Tenant, tenant_id)
