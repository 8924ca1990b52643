"""Roles: users work with CRM data, tenant admins also manage users and plugins, platform
admins manage tenants and see no tenant's CRM data."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.db import db
from core.models import Role, Tenant, User
from core.scoping import all_tenants, tenant_scope
from tests.support import PASSWORD, csrf_token, logged_in

CRM_PAGES = ["/admin/contacts/", "/admin/companies/", "/admin/activities/"]


def _menu(html: str) -> set[str]:
    return set(re.findall(r'class="nav-link[^"]*" href="/admin/([a-z_]+)/"', html))


@pytest.fixture
def platform_admin(app):
    """A platform admin's e-mail (belongs to no tenant)."""
    with app.app_context(), all_tenants():
        root = User(email="root@platform.si", role=Role.PLATFORM_ADMIN, tenant_id=None)
        root.set_password(PASSWORD)
        db.session.add(root)
        db.session.commit()
    return "root@platform.si"


def test_a_user_works_with_crm_data_but_not_users_plugins_or_tenants(app, tenant_a):
    client = logged_in(app, tenant_a.user_email)
    for page in CRM_PAGES:
        assert client.get(page).status_code == 200
    for page in ("/admin/users/", "/admin/plugins/", "/admin/tenants/",
                 f"/admin/users/edit/?id={tenant_a.admin_id}"):
        assert client.get(page).status_code == 403, page
    token = csrf_token(client, "/admin/")
    assert client.post("/admin/plugins/audit/enable", data={"csrf_token": token}
                       ).status_code == 403
    assert client.post("/admin/users/new/", data={
        "email": "sneaky@acme.si", "role": "admin", "new_password": "long-enough-pass",
        "csrf_token": token}).status_code == 403
    assert _menu(client.get("/admin/").get_data(as_text=True)) == {
        "contacts", "companies", "activities"}


def test_a_tenant_admin_manages_only_their_own_tenants_users(app, tenant_a, tenant_b):
    client = logged_in(app, tenant_b.admin_email)
    assert _menu(client.get("/admin/").get_data(as_text=True)) == {
        "contacts", "companies", "activities", "users", "plugins"}
    listing = client.get("/admin/users/").get_data(as_text=True)
    assert tenant_b.user_email in listing
    assert "acme" not in listing
    assert client.get(f"/admin/users/details/?id={tenant_a.user_id}").status_code == 404
    assert client.get(f"/admin/users/edit/?id={tenant_a.admin_id}").status_code == 404
    assert client.get("/admin/tenants/").status_code == 403


def test_a_tenant_admin_creates_a_user_in_their_tenant(app, tenant_a, tenant_b):
    client = logged_in(app, tenant_b.admin_email)
    token = csrf_token(client, "/admin/users/new/")
    form = {"email": " Nova@Beta.SI ", "full_name": "Nova Oseba", "role": "user",
            "active": "y", "new_password": "a-long-enough-password", "csrf_token": token}
    with app.app_context(), all_tenants():
        db.session.get(User, tenant_a.admin_id).email = "ana@acme.si"
        db.session.commit()
    taken = client.post("/admin/users/new/", data={**form, "email": "Ana@acme.si"})
    assert "E-mail: ana@acme.si is already used by another login." in taken.get_data(
        as_text=True)
    weak = client.post("/admin/users/new/", data={**form, "new_password": "short"})
    assert "New password: the password must have at least 10 characters" in weak.get_data(
        as_text=True)
    bad = client.post("/admin/users/new/", data={**form, "email": "not an address"})
    assert "E-mail:" in bad.get_data(as_text=True) and bad.status_code == 200
    platform = client.post("/admin/users/new/", data={**form, "role": "platform_admin"})
    assert "Not a valid choice" in platform.get_data(as_text=True)
    assert client.post("/admin/users/new/", data=form).status_code == 302
    with app.app_context(), tenant_scope(tenant_b.id):
        made = db.session.scalar(select(User).where(User.email == "nova@beta.si"))
        assert made.tenant_id == tenant_b.id and made.role == Role.USER
    assert logged_in(app, "nova@beta.si", "a-long-enough-password").get(
        "/admin/contacts/").status_code == 200


def test_a_tenant_admin_cannot_lock_themselves_out(app, tenant_b):
    client = logged_in(app, tenant_b.admin_email)
    token = csrf_token(client, "/admin/users/")
    demote = client.post(f"/admin/users/edit/?id={tenant_b.admin_id}", data={
        "email": "boss@beta.si", "role": "user", "active": "y", "csrf_token": token})
    assert "cannot take away your own admin rights" in demote.get_data(as_text=True)
    delete = client.post("/admin/users/delete/", data={"id": str(tenant_b.admin_id),
                                                        "csrf_token": token},
                         follow_redirects=True)
    assert "You cannot delete your own login." in delete.get_data(as_text=True)
    with app.app_context(), tenant_scope(tenant_b.id):
        assert db.session.get(User, tenant_b.admin_id).role == Role.ADMIN


def test_disabling_a_user_ends_their_sessions(app, tenant_b):
    victim = logged_in(app, tenant_b.user_email)
    client = logged_in(app, tenant_b.admin_email)
    response = client.post(f"/admin/users/edit/?id={tenant_b.user_id}", data={
        "email": "uporabnik@beta.si", "role": "user",
        "csrf_token": csrf_token(client, "/admin/")})
    assert response.status_code == 302
    assert victim.get("/admin/").status_code == 302


def test_a_platform_admin_sees_no_crm_data_and_manages_tenants(app, tenant_a, platform_admin):
    client = logged_in(app, platform_admin)
    for page in [*CRM_PAGES, "/admin/users/", "/admin/plugins/",
                 "/admin/contacts/details/?id=1"]:
        assert client.get(page).status_code == 403, page
    home = client.get("/admin/").get_data(as_text=True)
    assert "tenants" in _menu(home)
    assert not _menu(home) & {"contacts", "companies", "activities", "users", "plugins"}
    listing = client.get("/admin/tenants/").get_data(as_text=True)
    assert "Acme d.o.o." in listing
    token = csrf_token(client, "/admin/tenants/new/")
    bad = client.post("/admin/tenants/new/", data={
        "slug": "Not_A_Slug", "name": "X", "time_zone": "Europe/Ljubljana",
        "csrf_token": token})
    assert "Slug: use lower-case letters" in bad.get_data(as_text=True)
    blank = client.post("/admin/tenants/new/", data={
        "slug": "gamma", "name": "   ", "time_zone": "Europe/Ljubljana", "csrf_token": token})
    assert blank.status_code == 200
    assert "Name: enter the tenant&#39;s name." in blank.get_data(as_text=True)
    zone = client.post("/admin/tenants/new/", data={
        "slug": "gamma", "name": "Gamma", "time_zone": "Mars/Base", "csrf_token": token})
    assert "&#39;Mars/Base&#39; is not a known time zone" in zone.get_data(as_text=True)
    taken = client.post("/admin/tenants/new/", data={
        "slug": "acme", "name": "Again", "time_zone": "Europe/Ljubljana", "csrf_token": token})
    assert "already exists" in taken.get_data(as_text=True).lower()
    made = client.post("/admin/tenants/new/", data={
        "slug": "gamma", "name": "Gamma d.o.o.", "time_zone": "Europe/Ljubljana",
        "csrf_token": token})
    assert made.status_code == 302
    with app.app_context(), all_tenants():
        assert db.session.scalar(select(Tenant.name).where(Tenant.slug == "gamma")
                                 ) == "Gamma d.o.o."
    assert "Delete" not in client.get("/admin/tenants/").get_data(as_text=True)
    assert client.post("/admin/tenants/delete/", data={"id": "1", "csrf_token": token}
                       ).status_code == 404


ADMIN_ONLY_PLUGIN_PAGES = [
    "/admin/audit_entries/", "/admin/gdpr_consents_purposes/", "/admin/gdpr_consents_import/",
    "/admin/gdpr_consents_webforms/", "/admin/gdpr_consents_webhooks/",
]


def test_a_page_of_another_role_is_403_and_a_page_the_tenant_lacks_is_404(
        app, tenant_a, tenant_b, platform_admin):
    for plugin in ("audit", "gdpr_consents", "trash", "export"):
        cli = app.test_cli_runner()
        assert cli.invoke(args=["plugins", "enable", plugin, "--tenant", "acme"]).exit_code == 0
    user = logged_in(app, tenant_a.user_email)
    admin = logged_in(app, tenant_a.admin_email)
    root = logged_in(app, platform_admin)
    beta_admin = logged_in(app, tenant_b.admin_email)  # beta has enabled no plugin
    for page in ADMIN_ONLY_PLUGIN_PAGES:
        assert admin.get(page).status_code == 200, page
        assert user.get(page).status_code == 403, page  # exists, another role's
        assert root.get(page).status_code == 403, page
        assert beta_admin.get(page).status_code == 404, page  # not there for beta
    for page in ("/admin/trash/", "/admin/gdpr_consents_segments/", "/admin/export_requests/"):
        assert user.get(page).status_code == 200, page
        assert root.get(page).status_code == 403, page
        assert beta_admin.get(page).status_code == 404, page
    assert user.get("/admin/audit_platform/").status_code == 403
    assert beta_admin.get("/admin/audit_platform/").status_code == 403
    assert root.get("/admin/audit_platform/").status_code == 200
    # another tenant's record stays 404 for the role that may open the page
    assert beta_admin.get(f"/admin/users/edit/?id={tenant_a.user_id}").status_code == 404
