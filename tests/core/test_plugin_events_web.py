"""An installed plugin enabled for one tenant hears that tenant's events from real requests,
with the right arguments, and nothing of another tenant's."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.models import Contact
from core.scoping import tenant_scope
from tests.conftest import build_app
from tests.core.plugin_samples import sample
from tests.support import BUILTIN_PLUGINS, csrf_token, logged_in, login


@pytest.fixture
def web_app(app, database_url, tmp_path, tenant_a, tenant_b):
    """An app with the sample plugin installed and enabled for tenant acme only."""
    application = build_app(database_url, tmp_path / "events", EXTRA_PLUGINS=[sample],
                            PLUGINS=[*BUILTIN_PLUGINS, "sample"])
    result = application.test_cli_runner().invoke(
        args=["plugins", "enable", "sample", "--tenant", "acme"])
    assert result.exit_code == 0, result.output
    application.extensions["sample_calls"] = []
    return application


def heard(app):
    return [(name, tenant, actor, args) for name, tenant, actor, args
            in app.extensions["sample_calls"]]


def walk_the_crm(app, email, password):
    """Log in, list and search contacts, create, open, edit and delete one, export, log out."""
    client = logged_in(app, email, password)
    token = csrf_token(client, "/admin/contacts/")
    client.get("/admin/contacts/?search=novak")
    created = client.post("/admin/contacts/new/", data={
        "first_name": "Tjaša", "last_name": "Novak", "email": "tjasa@novak.si",
        "csrf_token": token})
    assert created.status_code == 302, created.get_data(as_text=True)
    with app.app_context():
        from core.models import User
        from core.scoping import all_tenants
        with all_tenants():
            tenant_id = db.session.scalar(select(User.tenant_id).where(User.email == email))
        with tenant_scope(tenant_id):
            contact_id = db.session.scalar(select(Contact.id).where(
                Contact.email == "tjasa@novak.si"))
    assert client.get(f"/admin/contacts/details/?id={contact_id}").status_code == 200
    edited = client.post(f"/admin/contacts/edit/?id={contact_id}", data={
        "first_name": "Tjaša", "last_name": "Novak-Kos", "email": "tjasa@novak.si",
        "csrf_token": token})
    assert edited.status_code == 302, edited.get_data(as_text=True)
    assert client.get("/admin/contacts/list-export/csv?search=novak").status_code == 200
    deleted = client.post("/admin/contacts/delete/", data={"id": str(contact_id),
                                                          "csrf_token": token})
    assert deleted.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    return contact_id


def test_the_enabled_tenants_events_reach_the_plugin_with_their_arguments(web_app, tenant_a):
    walk_the_crm(web_app, tenant_a.user_email, tenant_a.password)
    login(web_app.test_client(), tenant_a.user_email, "wrong password!")
    events = heard(web_app)
    names = [e[0] for e in events]
    for expected in ("crm_user_logged_in", "crm_list_viewed", "crm_record_created",
                     "crm_record_viewed", "crm_record_updated", "crm_records_exported",
                     "crm_record_deleted", "crm_user_logged_out", "crm_login_failed"):
        assert expected in names, expected
    assert all(tenant == "acme" for _name, tenant, _actor, _args in events)
    by_name = {name: (actor, args) for name, _t, actor, args in events}
    assert by_name["crm_user_logged_in"] == ("user:user@acme.test", {"user": "user@acme.test"})
    searched = [args for name, _t, _a, args in events if name == "crm_list_viewed"
                and args["search"] == "novak"]
    assert searched and searched[0]["list_name"] == "contacts" and searched[0]["page"] == 0
    assert by_name["crm_record_created"][1]["record"] == "Tjaša Novak"
    assert by_name["crm_record_created"][0] == "user:user@acme.test"
    updates = [args["changes"] for name, _t, _a, args in events if name == "crm_record_updated"]
    assert updates == [{"last_name": ("Novak", "Novak-Kos")}]
    assert by_name["crm_record_viewed"][1]["record"] == "Tjaša Novak"
    assert by_name["crm_record_deleted"][1] == {"record": "Tjaša Novak-Kos", "how": "deleted"}
    assert by_name["crm_records_exported"][1]["file_format"] == "csv"
    assert by_name["crm_login_failed"][1] == {"email": "user@acme.test", "reason": "bad_password"}


def test_a_tenant_that_did_not_enable_it_is_never_heard(web_app, tenant_b):
    walk_the_crm(web_app, tenant_b.user_email, tenant_b.password)
    login(web_app.test_client(), tenant_b.user_email, "wrong password!")
    assert heard(web_app) == []
