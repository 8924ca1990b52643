"""The trash and erasure pages through the real test client: delete = trash on the admin
pages, list, restore, empty with a confirmation, roles, CSRF, tenants, the erasure preview."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from core.db import db
from core.models import Activity, Contact
from core.scoping import tenant_scope
from plugins.trash.models import TrashUnit
from tests.support import csrf_token, logged_in

from .conftest import make_person, switch, trashed_row, visible


def _delete_on_the_page(client, contact_id: int):
    token = csrf_token(client, "/admin/contacts/")
    return client.post("/admin/contacts/delete/", data={"id": str(contact_id),
                                                        "csrf_token": token},
                       follow_redirects=True)


def _unit_id(app, tenant_id: int) -> int:
    with app.app_context(), tenant_scope(tenant_id):
        return db.session.scalar(select(TrashUnit.id))


def test_a_record_deleted_on_its_page_vanishes_everywhere_and_comes_back(app, acme):
    with app.app_context(), tenant_scope(acme.id):
        person = make_person(acme)
    client = logged_in(app, acme.logins.user_email)
    page = _delete_on_the_page(client, person.contact_id)
    assert "&#39;Ana Novak&#39; was trashed." in page.get_data(as_text=True)
    assert client.get(f"/admin/contacts/details/?id={person.contact_id}").status_code == 404
    assert client.get(f"/admin/activities/details/?id={person.own_activity_id}"
                      ).status_code == 404
    listing = client.get("/admin/contacts/").get_data(as_text=True)
    assert "Novak" not in listing and "Zajc" in listing
    assert "Novak" not in client.get("/admin/contacts/?search=novak").get_data(as_text=True)
    shared = client.get(f"/admin/activities/details/?id={person.shared_activity_id}")
    assert shared.status_code == 200 and "Novak" not in shared.get_data(as_text=True)

    trash = client.get("/admin/trash/").get_data(as_text=True)
    assert "Ana Novak" in trash and "user:user@acme.test" in trash
    unit_id = _unit_id(app, acme.id)
    assert f'href="/admin/trash/{unit_id}/"' in trash
    detail = client.get(f"/admin/trash/{unit_id}/").get_data(as_text=True)
    for row in ("Ana Novak", "Klic z Ana Novak", "Novak.pdf", "zapisnik.pdf",
                "gdpr_consents_consent", "user:user@acme.test"):
        assert row in detail, row
    assert "Sestanek" not in detail and 'id="empty-unit"' not in detail  # shared; a user
    restored = client.post(f"/admin/trash/{unit_id}/restore",
                           data={"csrf_token": csrf_token(client, "/admin/trash/")},
                           follow_redirects=True)
    assert "Restored contact &#39;Ana Novak&#39; with 5 row(s)." in \
        restored.get_data(as_text=True)
    assert client.get(f"/admin/contacts/details/?id={person.contact_id}").status_code == 200
    assert client.get(f"/admin/activities/details/?id={person.own_activity_id}"
                      ).status_code == 200


def test_users_see_and_restore_only_their_own_deletions_and_cannot_empty(app, acme):
    with app.app_context(), tenant_scope(acme.id):
        mine = make_person(acme, consent=False)
        admins = make_person(acme, email="mia.kos@firma.si", first="Mia", last="Kos",
                             consent=False)
    user = logged_in(app, acme.logins.user_email)
    admin = logged_in(app, acme.logins.admin_email)
    _delete_on_the_page(user, mine.contact_id)
    _delete_on_the_page(admin, admins.contact_id)
    seen = user.get("/admin/trash/").get_data(as_text=True)
    assert "Ana Novak" in seen and "Mia Kos" not in seen
    assert "Empty the trash" not in seen
    all_seen = admin.get("/admin/trash/").get_data(as_text=True)
    assert "Ana Novak" in all_seen and "Mia Kos" in all_seen and "Empty the trash" in all_seen
    contacts = admin.get("/admin/trash/?type=contact").get_data(as_text=True)
    assert "Ana Novak" in contacts and "Mia Kos" in contacts
    companies = admin.get("/admin/trash/?type=company").get_data(as_text=True)
    assert "Ana Novak" not in companies and "Mia Kos" not in companies
    with app.app_context(), tenant_scope(acme.id):
        admins_unit = db.session.scalar(select(TrashUnit.id).where(
            TrashUnit.record_id == admins.contact_id))
    token = csrf_token(user, "/admin/trash/")
    assert user.post(f"/admin/trash/{admins_unit}/restore",
                     data={"csrf_token": token}).status_code == 404
    assert user.get(f"/admin/trash/{admins_unit}/").status_code == 404
    assert 'id="empty-unit"' in admin.get(f"/admin/trash/{admins_unit}/").get_data(
        as_text=True)
    assert user.post("/admin/trash/empty", data={"csrf_token": token, "all": "1",
                                                 "confirmed": "yes"}).status_code == 403
    with app.app_context(), tenant_scope(acme.id):
        assert db.session.scalar(select(func.count()).select_from(TrashUnit)) == 2


def test_emptying_asks_first_needs_the_token_and_then_purges(app, acme):
    with app.app_context(), tenant_scope(acme.id):
        gone = make_person(acme)
        stays = make_person(acme, email="mia.kos@firma.si", first="Mia", last="Kos")
    admin = logged_in(app, acme.logins.admin_email)
    _delete_on_the_page(admin, gone.contact_id)
    _delete_on_the_page(admin, stays.contact_id)
    with app.app_context(), tenant_scope(acme.id):
        unit = db.session.scalar(select(TrashUnit.id).where(
            TrashUnit.record_id == gone.contact_id))
    token = csrf_token(admin, "/admin/trash/")
    without_token = admin.post("/admin/trash/empty", data={"unit": str(unit),
                                                           "confirmed": "yes"})
    assert without_token.status_code == 400
    asked = admin.post("/admin/trash/empty", data={"unit": str(unit), "csrf_token": token})
    assert asked.status_code == 200
    body = asked.get_data(as_text=True)
    assert "Empty the trash?" in body and "Ana Novak" in body and "Mia Kos" not in body
    assert gone.contact_file.exists()
    nothing = admin.post("/admin/trash/empty", data={"csrf_token": token})
    assert nothing.status_code == 400 and "Select the units to empty" in \
        nothing.get_data(as_text=True)
    done = admin.post("/admin/trash/empty", data={"unit": str(unit), "csrf_token": token,
                                                  "confirmed": "yes"}, follow_redirects=True)
    assert "Purged 1 unit(s) from the trash: 5 row(s) and 2 attachment file(s)" in \
        done.get_data(as_text=True)
    assert not gone.contact_file.exists() and stays.contact_file.exists()
    review_all = admin.post("/admin/trash/empty", data={"all": "1", "csrf_token": token})
    assert "Everything in the trash\n  (1 unit(s), 5 row(s) with their files)" in \
        review_all.get_data(as_text=True)
    assert stays.contact_file.exists()
    everything = admin.post("/admin/trash/empty", data={
        "all": "1", "csrf_token": token, "confirmed": "yes"}, follow_redirects=True)
    assert "Purged 1 unit(s)" in everything.get_data(as_text=True)
    with app.app_context(), tenant_scope(acme.id):
        assert trashed_row(Contact, stays.contact_id) is None


def test_another_tenants_units_answer_404(app, acme, beta):
    with app.app_context(), tenant_scope(acme.id):
        person = make_person(acme)
    _delete_on_the_page(logged_in(app, acme.logins.admin_email), person.contact_id)
    unit = _unit_id(app, acme.id)
    for email, erase_status in ((beta.logins.admin_email, 404), (beta.logins.user_email, 403)):
        client = logged_in(app, email)
        token = csrf_token(client, "/admin/trash/")
        assert "Novak" not in client.get("/admin/trash/").get_data(as_text=True)
        assert client.post(f"/admin/trash/{unit}/restore",
                           data={"csrf_token": token}).status_code == 404
        assert client.get(f"/admin/trash/{unit}/").status_code == 404
        # erasing is the admins' page: a user is refused before any record is looked up
        assert client.get(f"/admin/trash/erase/{person.contact_id}"
                          ).status_code == erase_status
        for path in (f"/admin/contacts/details/?id={person.contact_id}",
                     f"/admin/activities/details/?id={person.own_activity_id}"):
            assert client.get(path).status_code == 404, path
    beta_admin = logged_in(app, beta.logins.admin_email)
    token = csrf_token(beta_admin, "/admin/trash/")
    review = beta_admin.post("/admin/trash/empty", data={"unit": str(unit), "csrf_token": token})
    assert review.status_code == 404 and "Novak" not in review.get_data(as_text=True)
    assert beta_admin.post("/admin/trash/empty", data={
        "unit": str(unit), "csrf_token": token, "confirmed": "yes"}).status_code == 404
    assert beta_admin.post("/admin/trash/empty", data={
        "unit": "not-a-number", "csrf_token": token}).status_code == 404
    with app.app_context(), tenant_scope(acme.id):
        assert db.session.get(TrashUnit, unit) is not None
    assert person.contact_file.exists()


def test_a_refused_restore_says_why(app, acme):
    with app.app_context(), tenant_scope(acme.id):
        person = make_person(acme, consent=False)
    admin = logged_in(app, acme.logins.admin_email)
    _delete_on_the_page(admin, person.contact_id)
    with app.app_context(), tenant_scope(acme.id):
        db.session.add(Contact(first_name="Druga", email=person.email))
        db.session.commit()
    unit = _unit_id(app, acme.id)
    refused = admin.post(f"/admin/trash/{unit}/restore",
                         data={"csrf_token": csrf_token(admin, "/admin/trash/")})
    assert refused.status_code == 409
    assert "now has the address ana.novak@firma.si" in refused.get_data(as_text=True)
    with app.app_context(), tenant_scope(acme.id):
        assert not visible(Activity, person.own_activity_id)


def test_without_the_plugin_the_pages_are_404_and_a_delete_is_real(app, acme):
    switch(app, acme.id, ("trash",), on=False)
    with app.app_context(), tenant_scope(acme.id):
        person = make_person(acme)
    admin = logged_in(app, acme.logins.admin_email)
    assert admin.get("/admin/trash/").status_code == 404
    assert admin.get("/admin/trash/1/").status_code == 404
    assert admin.get(f"/admin/trash/erase/{person.contact_id}").status_code == 404
    page = admin.get(f"/admin/contacts/details/?id={person.contact_id}").get_data(as_text=True)
    assert "Erase person" not in page
    _delete_on_the_page(admin, person.contact_id)
    with app.app_context(), tenant_scope(acme.id):
        assert trashed_row(Contact, person.contact_id) is None
    assert not person.contact_file.exists()


def test_erase_person_from_the_contact_page(app, acme):
    with app.app_context(), tenant_scope(acme.id):
        person = make_person(acme)
    user = logged_in(app, acme.logins.user_email)
    assert "Erase person" not in user.get(
        f"/admin/contacts/details/?id={person.contact_id}").get_data(as_text=True)
    assert user.get(f"/admin/trash/erase/{person.contact_id}").status_code == 403
    admin = logged_in(app, acme.logins.admin_email)
    page = admin.get(f"/admin/contacts/details/?id={person.contact_id}").get_data(as_text=True)
    assert f'href="/admin/trash/erase/{person.contact_id}"' in page
    preview = admin.get(f"/admin/trash/erase/{person.contact_id}")
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200
    for expected in ("Profile", "Activities", "Attachments", "Consents", "Novak.pdf",
                     "Klic z Ana Novak", "ana.novak@firma.si"):
        assert expected in body, expected
    token = csrf_token(admin, f"/admin/trash/erase/{person.contact_id}")
    unconfirmed = admin.post(f"/admin/trash/erase/{person.contact_id}",
                             data={"mode": "erase", "csrf_token": token})
    assert unconfirmed.status_code == 400 and "tick the box" in unconfirmed.get_data(
        as_text=True)
    bad_mode = admin.post(f"/admin/trash/erase/{person.contact_id}",
                          data={"mode": "shred", "confirm": "yes", "csrf_token": token})
    assert bad_mode.status_code == 400
    assert visible_contact(app, acme, person.contact_id)
    done = admin.post(f"/admin/trash/erase/{person.contact_id}",
                      data={"mode": "erase", "confirm": "yes", "csrf_token": token},
                      follow_redirects=True)
    assert "Erased ana.novak@firma.si" in done.get_data(as_text=True)
    assert not visible_contact(app, acme, person.contact_id)
    assert not person.contact_file.exists()


def visible_contact(app, acme, contact_id: int) -> bool:
    """True when the contact is live."""
    with app.app_context(), tenant_scope(acme.id):
        return visible(Contact, contact_id)


def test_a_bulk_delete_trashes_each_record_as_its_own_unit(app, acme):
    with app.app_context(), tenant_scope(acme.id):
        first = make_person(acme, consent=False)
        second = make_person(acme, email="mia.kos@firma.si", first="Mia", last="Kos",
                             consent=False)
    client = logged_in(app, acme.logins.user_email)
    token = csrf_token(client, "/admin/contacts/")
    done = client.post("/admin/contacts/action/", data={
        "action": "delete", "rowid": [str(first.contact_id), str(second.contact_id)],
        "csrf_token": token}, follow_redirects=True)
    assert "2 record(s) trashed." in done.get_data(as_text=True)
    with app.app_context(), tenant_scope(acme.id):
        units = db.session.scalars(select(TrashUnit).order_by(TrashUnit.record_id)).all()
        assert [(u.record_id, u.rows) for u in units] == [(first.contact_id, 4),
                                                          (second.contact_id, 4)]
    home = client.get("/admin/").get_data(as_text=True)
    counts = re.findall(r'>(Contacts|Activities)</a></h2>\s*<p class="display-4 mb-0">(\d+)<',
                        home)
    assert counts == [("Contacts", "2"), ("Activities", "2")]  # the others and shared ones


def test_trash_restore_and_empty_are_in_the_audit_log_which_still_verifies(app, cli, acme):
    with app.app_context(), tenant_scope(acme.id):
        person = make_person(acme, consent=False)
    admin = logged_in(app, acme.logins.admin_email)
    _delete_on_the_page(admin, person.contact_id)
    token = csrf_token(admin, "/admin/trash/")
    admin.post(f"/admin/trash/{_unit_id(app, acme.id)}/restore", data={"csrf_token": token})
    _delete_on_the_page(admin, person.contact_id)
    emptied = admin.post("/admin/trash/empty", data={"all": "1", "csrf_token": token,
                                                     "confirmed": "yes"})
    assert emptied.status_code == 302
    listed = cli.invoke(args=["audit", "list", "--tenant", "acme", "--json"])
    assert listed.exit_code == 0, listed.output
    about_her = [(e["action"], e["actor"]) for e in json.loads(listed.output)
                 if e["target_type"] == "contact" and e["target_id"] == person.contact_id]
    actor = f"user:{acme.logins.admin_email}"
    for action in ("deleted", "restored", "purged"):
        assert (action, actor) in about_her, action
    assert person.email not in listed.output and "Novak" not in listed.output
    verified = cli.invoke(args=["audit", "verify", "--tenant", "acme"])
    assert verified.exit_code == 0, verified.output
