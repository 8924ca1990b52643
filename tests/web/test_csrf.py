"""One CSRF mechanism (Flask-WTF) for every form and admin action: no token, no change."""

from __future__ import annotations

import pytest

from core.db import db
from core.models import Contact
from core.scoping import tenant_scope
from tests.support import csrf_token, logged_in, login

BAD_TOKENS = [None, "wrong-token"]


def _with(data: dict, token: str | None) -> dict:
    return data if token is None else {**data, "csrf_token": token}


def _contact_count(app, tenant_id):
    with app.app_context(), tenant_scope(tenant_id):
        return db.session.query(Contact).count()


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_the_login_form_needs_the_token(client, tenant_a, token):
    response = client.post("/login", data=_with(
        {"email": tenant_a.user_email, "password": tenant_a.password}, token))
    assert response.status_code == 400
    assert "security token is missing or wrong" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_logout_needs_the_token(app, tenant_a, token):
    client = logged_in(app, tenant_a.user_email)
    assert client.post("/logout", data=_with({}, token)).status_code == 400
    assert client.get("/admin/").status_code == 200


# (what, URL, form, contacts left after a refused and after an accepted post)
ADMIN_CHANGES = [
    ("create form", "/admin/contacts/new/", {"first_name": "Nova", "last_name": "Oseba"}, 2, 3),
    ("delete", "/admin/contacts/delete/", {"id": "{other}"}, 2, 1),
    ("bulk action", "/admin/contacts/action/",
     {"action": "delete", "rowid": ["{contact}", "{other}"]}, 2, 0),
]


@pytest.mark.parametrize("token", BAD_TOKENS)
@pytest.mark.parametrize(("what", "url", "form", "refused", "accepted"), ADMIN_CHANGES,
                         ids=[c[0] for c in ADMIN_CHANGES])
def test_admin_forms_and_actions_need_the_token(app, tenant_a, acme_data, token, what, url,
                                                form, refused, accepted):
    client = logged_in(app, tenant_a.user_email)
    ids = {"contact": acme_data.contact_id, "other": acme_data.other_contact_id}
    data = {key: [v.format(**ids) for v in value] if isinstance(value, list)
            else value.format(**ids) for key, value in form.items()}
    assert client.post(url, data=_with(data, token)).status_code == 400
    assert _contact_count(app, tenant_a.id) == refused
    good = client.post(url, data=_with(data, csrf_token(client, "/admin/contacts/")))
    assert good.status_code == 302
    assert _contact_count(app, tenant_a.id) == accepted


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_plugin_toggles_and_uploads_need_the_token(app, tenant_a, acme_data, token):
    client = logged_in(app, tenant_a.admin_email)
    assert client.post("/admin/plugins/audit/enable", data=_with({}, token)).status_code == 400
    upload = client.post(f"/admin/contacts/attachments/?id={acme_data.contact_id}",
                         data=_with({}, token))
    assert upload.status_code == 400


def test_the_pages_carry_the_token_flask_wtf_checks(app, tenant_a, acme_data):
    """Flask-Admin's own forms (create, row delete, bulk actions) render the same token."""
    client = logged_in(app, tenant_a.user_email)
    html = client.get("/admin/contacts/").get_data(as_text=True)
    assert html.count('name="csrf_token"') >= 3  # logout, bulk action, row deletes
    assert 'name="csrf_token"' in client.get("/admin/contacts/new/").get_data(as_text=True)
    assert login(app.test_client(), tenant_a.user_email).status_code == 302
