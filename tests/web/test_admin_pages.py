"""The CRM pages: search without case and accents, filters, forms, the contact page,
events, deletes through the one delete path, no export, no caching."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from core.db import db
from core.models import Activity, Contact
from core.scoping import tenant_scope
from tests.support import csrf_token, logged_in
from tests.web.recorder import record_events


def _rows(html: str) -> list[str]:
    return re.findall(r'/admin/contacts/details/\?id=(\d+)', html)


@pytest.mark.parametrize("typed", ["zupancic", "ZUPANČIČ", "Žiga zupan", "skrivnost.si"])
def test_search_ignores_case_and_accents(app, tenant_a, acme_data, typed):
    client = logged_in(app, tenant_a.user_email)
    html = client.get("/admin/contacts/", query_string={"search": typed}).get_data(as_text=True)
    assert set(_rows(html)) == {str(acme_data.contact_id)}
    assert "Zupančič" in html


def test_companies_and_activities_search_the_same_way(app, tenant_a, acme_data):
    client = logged_in(app, tenant_a.user_email)
    companies = client.get("/admin/companies/?search=SKRIVNOST").get_data(as_text=True)
    assert "Skrivnost d.o.o." in companies
    activities = client.get("/admin/activities/?search=tajni").get_data(as_text=True)
    assert "Tajni sestanek" in activities


@pytest.mark.parametrize("query", [
    "flt0_company_equals={company}", "flt0_tag_is={tag}", "flt0_owner_equals={owner}",
    "flt0_created_on={today}", "flt0_created_on_or_after=2020-01-01",
])
def test_contact_filters(app, tenant_a, acme_data, query):
    client = logged_in(app, tenant_a.user_email)
    today = datetime.now(UTC).astimezone().date().isoformat()
    url = "/admin/contacts/?" + query.format(
        company=acme_data.company_id, tag=acme_data.tag_id, owner=tenant_a.user_id, today=today)
    rows = set(_rows(client.get(url).get_data(as_text=True)))
    if "created" in query:
        assert str(acme_data.contact_id) in rows
    else:
        assert rows == {str(acme_data.contact_id)}


def test_filters_by_date_and_bad_filter_values_are_messages(app, tenant_a, acme_data):
    client = logged_in(app, tenant_a.user_email)
    # 2024-03-10 08:30 UTC is 09:30 in Ljubljana: on that local day, not on the 11th
    on_day = client.get("/admin/activities/?flt0_when_on=2024-03-10").get_data(as_text=True)
    assert "Tajni sestanek" in on_day and "2024-03-10 09:30" in on_day
    assert "Tajni sestanek" not in client.get(
        "/admin/activities/?flt0_when_on=2024-03-11").get_data(as_text=True)
    before = client.get("/admin/contacts/?flt0_created_before=2000-01-01")
    assert _rows(before.get_data(as_text=True)) == []
    bad = client.get("/admin/contacts/?flt0_created_on=yesterday&flt1_company_equals=x")
    assert bad.status_code == 200
    assert "Invalid Filter Value" in bad.get_data(as_text=True)


def test_the_contact_form_has_the_contract_fields(app, tenant_a):
    client = logged_in(app, tenant_a.user_email)
    html = client.get("/admin/contacts/new/").get_data(as_text=True)
    for field in ("first_name", "last_name", "email", "phone", "company", "notes", "tags",
                  "owner"):
        assert f'name="{field}"' in html, field


def test_creating_a_contact_with_slovenian_letters(app, tenant_a, acme_data):
    client = logged_in(app, tenant_a.user_email)
    token = csrf_token(client, "/admin/contacts/new/")
    response = client.post("/admin/contacts/new/", data={
        "first_name": "Špela", "last_name": "Čižmar", "email": " Spela@Example.SI ",
        "company": str(acme_data.company_id), "tags": [str(acme_data.tag_id)],
        "notes": "Rada ima čaj.", "csrf_token": token})
    assert response.status_code == 302
    with app.app_context(), tenant_scope(tenant_a.id):
        made = db.session.scalar(select(Contact).where(Contact.last_name == "Čižmar"))
        assert made.email == "spela@example.si"
        assert made.owner_id == tenant_a.user_id  # the creator by default
        assert [t.name for t in made.tags] == ["vip"]
    listing = client.get("/admin/contacts/?search=cizmar").get_data(as_text=True)
    assert "Špela" in listing and "Čižmar" in listing


@pytest.mark.parametrize(("form", "message"), [
    ({"email": "not an address"}, "E-mail: &#39;not an address&#39; is not a valid"),
    ({"email": "ziga.zupancic@skrivnost.si"}, "E-mail: another contact already has"),
    ({"first_name": "", "last_name": "", "email": ""}, "Enter a first name, a last name"),
    ({"company": "999999"}, "Company: not a valid choice."),
    ({"tags": [str(999999)]}, "Tags: not a valid choice."),
])
def test_bad_contact_input_is_a_message_naming_the_field(app, tenant_a, acme_data, form,
                                                        message):
    client = logged_in(app, tenant_a.user_email)
    token = csrf_token(client, "/admin/contacts/new/")
    data = {"first_name": "Nov", "last_name": "Kontakt", "csrf_token": token, **form}
    response = client.post("/admin/contacts/new/", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context(), tenant_scope(tenant_a.id):
        assert db.session.query(Contact).count() == 2


def test_a_company_of_another_tenant_cannot_be_chosen(app, tenant_a, tenant_b, acme_data):
    client = logged_in(app, tenant_b.user_email)
    page = client.get("/admin/contacts/new/").get_data(as_text=True)
    assert "Skrivnost" not in page
    response = client.post("/admin/contacts/new/", data={
        "first_name": "X", "company": str(acme_data.company_id),
        "csrf_token": csrf_token(client, "/admin/contacts/new/")})
    assert "Company: not a valid choice." in response.get_data(as_text=True)


def test_an_activity_time_is_typed_in_the_tenants_zone(app, tenant_a, acme_data):
    client = logged_in(app, tenant_a.user_email)
    token = csrf_token(client, "/admin/activities/new/")
    bad = client.post("/admin/activities/new/", data={
        "kind": "call", "subject": "Klic", "occurred_at": "jutri", "csrf_token": token})
    assert "When: enter a date and time" in bad.get_data(as_text=True)
    good = client.post("/admin/activities/new/", data={
        "kind": "call", "subject": "Klic glede ponudbe", "occurred_at": "2024-07-01T09:30",
        "participants": [str(acme_data.contact_id)], "csrf_token": token})
    assert good.status_code == 302
    with app.app_context(), tenant_scope(tenant_a.id):
        call = db.session.scalar(select(Activity).where(Activity.subject == "Klic glede ponudbe"))
        assert call.occurred_at == datetime(2024, 7, 1, 7, 30, tzinfo=UTC)  # CEST is +2
        assert call.kind.value == "call"
    edit = client.get(f"/admin/activities/edit/?id={call.id}").get_data(as_text=True)
    assert 'value="2024-07-01T09:30"' in edit


def test_the_contact_page_shows_company_tags_activities_attachments_and_panels(
        app, tenant_a, acme_data):
    recorder = record_events(app)
    client = logged_in(app, tenant_a.user_email)
    response = client.get(f"/admin/contacts/details/?id={acme_data.contact_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Žiga Zupančič" in html
    assert "Skrivnost d.o.o." in html
    assert f"/admin/companies/details/?id={acme_data.company_id}" in html
    assert '<span class="badge badge-secondary mr-1">vip</span>' in html
    assert "Tajni sestanek" in html and "2024-03-10 09:30" in html
    assert "tajno.pdf" in html
    assert f"/admin/attachments/{acme_data.attachment_id}/download" in html
    assert "Recorder panel" in html and "<p id='recorded'>seen</p>" in html
    assert response.headers["Cache-Control"] == "no-store"
    (viewed,) = recorder.named("crm_record_viewed")
    assert viewed["label"] == "Žiga Zupančič"
    assert viewed["ctx"].actor == f"user:{tenant_a.user_email}"


def test_list_pages_report_what_was_shown(app, tenant_a, acme_data):
    recorder = record_events(app)
    client = logged_in(app, tenant_a.user_email)
    response = client.get(f"/admin/contacts/?search=Tajnik&flt0_tag_is={acme_data.tag_id}")
    assert response.headers["Cache-Control"] == "no-store"
    client.get("/admin/companies/")
    contacts, companies = recorder.named("crm_list_viewed")
    assert contacts["list_name"] == "contacts"
    assert contacts["search"] == "Tajnik"
    assert contacts["filters"] == {"Tag is": str(acme_data.tag_id)}
    assert contacts["page"] == 0 and contacts["rows_shown"] == 0
    assert contacts["ctx"].tenant.slug == "acme"
    assert companies["list_name"] == "companies" and companies["rows_shown"] == 1


def test_deletes_go_through_the_core_delete_path(app, tenant_a, acme_data):
    recorder = record_events(app)
    client = logged_in(app, tenant_a.user_email)
    token = csrf_token(client, "/admin/contacts/")
    single = client.post("/admin/contacts/delete/", data={
        "id": str(acme_data.other_contact_id), "csrf_token": token})
    assert single.status_code == 302
    bulk = client.post("/admin/companies/action/", data={
        "action": "delete", "rowid": [str(acme_data.company_id)], "csrf_token": token},
        follow_redirects=True)
    assert "1 record(s) deleted." in bulk.get_data(as_text=True)
    labels = [e["label"] for e in recorder.named("crm_delete_record")]
    assert labels == ["Ana Tajnik", "Skrivnost d.o.o."]
    with app.app_context(), tenant_scope(tenant_a.id):
        assert db.session.get(Contact, acme_data.other_contact_id) is None


def test_the_built_in_export_and_fast_mass_delete_are_off(app, tenant_a, acme_data):
    (admin,) = app.extensions["admin"]
    for view in admin._views:
        if hasattr(view, "can_export"):
            assert view.can_export is False and view.fast_mass_delete is False, view.endpoint
    client = logged_in(app, tenant_a.user_email)
    response = client.get("/admin/contacts/export/csv/")
    assert response.status_code == 404
    assert "Export" not in client.get("/admin/contacts/").get_data(as_text=True)


def test_static_files_stay_cacheable(app, client):
    response = client.get("/admin/static/bootstrap/bootstrap4/css/bootstrap.min.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_two_apps_in_one_process_have_their_own_admin(app, tenant_a):
    from tests.conftest import build_app

    other = build_app(app.config["SQLALCHEMY_DATABASE_URI"], __import__("pathlib").Path(
        app.instance_path) / "second")
    (first_admin,) = app.extensions["admin"]
    (second_admin,) = other.extensions["admin"]
    assert first_admin is not second_admin
    assert app.extensions["crm"]["admin"] is first_admin
    first_views = {id(v) for v in first_admin._views}
    assert not first_views & {id(v) for v in second_admin._views}
    assert all(v.admin is second_admin for v in second_admin._views)
    for application in (app, other):
        assert logged_in(application, tenant_a.user_email).get(
            "/admin/contacts/").status_code == 200


def test_unknown_pages_are_plain_404_pages(app, tenant_a):
    client = logged_in(app, tenant_a.user_email)
    for url in ("/admin/contacts/details/?id=abc", "/admin/contacts/details/",
                "/admin/contacts/edit/?id=99999", "/nope"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "There is no such page or record." in response.get_data(as_text=True)
    as_json = client.get("/nope", headers={"Accept": "application/json"})
    assert as_json.json == {"error": "Not Found", "message": "There is no such page or record.",
                            "status": 404}


@pytest.mark.parametrize("query", [
    "page=-1", "page=99999", "page=abc", "search=%00", "search=%25%5F", "sort=99", "desc=x",
    "page_size=-5", "flt0_tag_is=%00", "flt0_created_on=%00", "flt9_nope=1",
])
@pytest.mark.parametrize("endpoint", ["contacts", "users"])
def test_odd_list_parameters_never_give_a_500(app, tenant_a, acme_data, query, endpoint):
    client = logged_in(app, tenant_a.admin_email)
    response = client.get(f"/admin/{endpoint}/?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]


@pytest.mark.parametrize(("endpoint", "form", "message"), [
    ("contacts", {"first_name": "Ž" * 200}, "Field cannot be longer than 128 characters."),
    ("contacts", {"first_name": "Ana\x00", "last_name": "Nul\x01"}, None),
    ("companies", {"name": ""}, "This field is required."),
    ("activities", {"subject": "Klic", "occurred_at": "0001-01-01T00:10"},
     "When: enter a date and time"),
])
def test_odd_form_input_is_a_message_or_cleaned(app, tenant_a, endpoint, form, message):
    client = logged_in(app, tenant_a.user_email)
    token = csrf_token(client, f"/admin/{endpoint}/new/")
    response = client.post(f"/admin/{endpoint}/new/", data={**form, "csrf_token": token})
    if message is None:
        assert response.status_code == 302
        with app.app_context(), tenant_scope(tenant_a.id):
            made = db.session.scalar(select(Contact).where(Contact.first_name == "Ana"))
            assert made.last_name == "Nul"
    else:
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
