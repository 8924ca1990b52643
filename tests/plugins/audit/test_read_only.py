"""No one can change or remove an entry through the app: every route of the audit pages that
could write answers 404 or 405, for the tenant's chain and for the platform chain alike."""

from __future__ import annotations

import io

import pytest

from core.db import db
from core.models import Role, User
from core.scoping import all_tenants
from plugins.audit.verify import verify_chain
from tests.plugins.audit.conftest import entries
from tests.support import PASSWORD, csrf_token, logged_in, login

# (method, path) of every route that could write; `{id}` is an existing entry's id
WRITING_ROUTES = [
    ("GET", "new/"),
    ("POST", "new/"),
    ("GET", "edit/?id={id}"),
    ("POST", "edit/?id={id}"),
    ("POST", "delete/"),
    ("POST", "action/"),
    ("POST", "ajax/update/"),
    ("POST", "attachments/?id={id}"),
    ("PUT", "details/?id={id}"),
    ("DELETE", "details/?id={id}"),
    ("PATCH", "?id={id}"),
]


def _attempt(client, view: str, method: str, path: str, entry_id: int, token: str):
    url = f"/admin/{view}/{path.format(id=entry_id)}"
    form = {"csrf_token": token, "id": str(entry_id), "rowid": str(entry_id),
            "action": "delete", "list_form_pk": str(entry_id), "name": "actor",
            "actor": "user:mallory@x.si", "label": "forged"}
    if path.startswith("attachments/"):
        form["file"] = (io.BytesIO(b"%PDF-1.4\n"), "forged.pdf")
    return client.open(url, method=method, data=form)


def _fingerprint(app, tenant_id):
    return [(e.id, e.seq, e.actor, e.label, e.details, e.hash) for e in entries(app, tenant_id)]


@pytest.mark.parametrize(("method", "path"), WRITING_ROUTES)
def test_no_route_of_the_tenant_log_changes_an_entry(app, audited, method, path):
    admin = logged_in(app, audited.admin_email)
    admin.get("/admin/contacts/")  # one more entry, about the admin
    before = _fingerprint(app, audited.id)
    token = csrf_token(admin, "/admin/audit_entries/")
    response = _attempt(admin, "audit_entries", method, path, before[0][0], token)
    assert response.status_code in (404, 405), (method, path, response.status_code)
    after = _fingerprint(app, audited.id)
    # reading the list and the attempt itself may add entries, never change one
    assert after[:len(before)] == before
    with app.app_context():
        assert verify_chain(audited.id).ok


@pytest.mark.parametrize(("method", "path"), WRITING_ROUTES)
def test_no_route_of_the_platform_log_changes_an_entry(app, audited, method, path):
    with app.app_context(), all_tenants():
        root = User(email="root@platform.si", role=Role.PLATFORM_ADMIN, tenant_id=None)
        root.set_password(PASSWORD)
        db.session.add(root)
        db.session.commit()
    login(app.test_client(), "nobody@nowhere.si", "wrong-password-1")
    client = logged_in(app, "root@platform.si")
    before = _fingerprint(app, None)
    token = csrf_token(client, "/admin/audit_platform/")
    response = _attempt(client, "audit_platform", method, path, before[0][0], token)
    assert response.status_code in (404, 405), (method, path, response.status_code)
    assert _fingerprint(app, None)[:len(before)] == before
    with app.app_context():
        assert verify_chain(None).ok
