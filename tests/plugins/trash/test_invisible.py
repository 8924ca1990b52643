"""A contact trashed through the one delete path (with its unit: own activity, attachments,
consent) is invisible in every place the trash plugin promises: lists, search, detail pages,
related lists, home counts, list exports, segments, the right-of-access export, the command
line, and the look-ups of imports and webhooks. A live person beside it (Mia) shows each
place does list live rows, so an empty answer means "hidden", not "broken"."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from core.db import db
from core.models import Attachment, Contact
from core.records import delete_record
from core.scoping import including_deleted, tenant_scope
from plugins.gdpr_consents.intake import webhooks
from plugins.gdpr_consents.models import Consent, ConsentEvent
from tests.support import logged_in

from .conftest import Person, make_person, trashed_row

GONE = "ana.novak@firma.si"
KEPT = "mia.kos@firma.si"


@dataclass
class Scene:
    """Ana trashed (with her unit), Mia live; the ids of Ana's attachments."""

    gone: Person
    kept: Person
    gone_files: list[int]
    kept_files: list[int]


def _attachment_ids(owner_ids: dict[str, int]) -> list[int]:
    with including_deleted():
        rows = db.session.scalars(select(Attachment)).all()
    return sorted(a.id for a in rows if owner_ids.get(a.owner_type) == a.owner_id)


@pytest.fixture
def scene(app, acme) -> Scene:
    """Ana and Mia with everything a contact can have; Ana deleted by acme's admin."""
    with app.app_context(), tenant_scope(acme.id):
        gone = make_person(acme)
        kept = make_person(acme, email=KEPT, first="Mia", last="Kos", phone="+386 40 111 222")
        gone_files = _attachment_ids({"contact": gone.contact_id,
                                      "activity": gone.own_activity_id})
        kept_files = _attachment_ids({"contact": kept.contact_id,
                                      "activity": kept.own_activity_id})
        assert delete_record(acme.ctx(), db.session.get(Contact, gone.contact_id)) == "trashed"
        db.session.commit()
    return Scene(gone, kept, gone_files, kept_files)


def test_lists_search_and_segment_pages_do_not_show_trashed_rows(app, acme, scene):
    client = logged_in(app, acme.logins.admin_email)
    for path, hidden, shown in (
            ("/admin/contacts/", "Novak", "Kos"),
            ("/admin/contacts/?search=novak", "Novak", None),
            ("/admin/contacts/?search=kos", None, "Kos"),
            ("/admin/activities/", "Klic z Ana Novak", "Klic z Mia Kos"),
            ("/admin/activities/?search=ana", "Klic z Ana Novak", None),
            ("/admin/gdpr_consents_consents/", GONE, KEPT),
            ("/admin/gdpr_consents_segments/?purposes=newsletter", GONE, KEPT),
            ("/admin/gdpr_consents_segments/export?purposes=newsletter&format=csv", GONE,
             KEPT)):
        page = client.get(path)
        assert page.status_code == 200, path
        body = page.get_data(as_text=True)
        if hidden:
            assert hidden not in body, path
        if shown:
            assert shown in body, path


def test_detail_pages_and_downloads_of_trashed_rows_answer_404(app, acme, scene):
    client = logged_in(app, acme.logins.admin_email)
    gone, kept = scene.gone, scene.kept
    for path_of in (lambda p: f"/admin/contacts/details/?id={p.contact_id}",
                    lambda p: f"/admin/contacts/edit/?id={p.contact_id}",
                    lambda p: f"/admin/activities/details/?id={p.own_activity_id}",
                    lambda p: f"/admin/gdpr_consents_contact/consent/{p.consent_id}/rectify",
                    lambda p: f"/admin/gdpr_consents_contact/consent/{p.consent_id}"
                              "/receipt.json"):
        assert client.get(path_of(gone)).status_code == 404, path_of(gone)
        assert client.get(path_of(kept)).status_code == 200, path_of(kept)
    for gone_id, kept_id in zip(scene.gone_files, scene.kept_files, strict=True):
        assert client.get(f"/admin/attachments/{gone_id}/download").status_code == 404
        assert client.get(f"/admin/attachments/{kept_id}/download").status_code == 200


def test_related_lists_and_home_counts_leave_trashed_rows_out(app, acme, scene):
    client = logged_in(app, acme.logins.admin_email)
    shared = client.get(f"/admin/activities/details/?id={scene.gone.shared_activity_id}")
    assert shared.status_code == 200 and "Novak" not in shared.get_data(as_text=True)
    company = client.get(f"/admin/companies/details/?id={scene.gone.company_id}")
    assert company.status_code == 200 and "Novak" not in company.get_data(as_text=True)
    mias = client.get(f"/admin/companies/details/?id={scene.kept.company_id}")
    assert "Kos" in mias.get_data(as_text=True)
    home = client.get("/admin/").get_data(as_text=True)
    counts = dict(re.findall(
        r'>(Contacts|Activities|Companies)</a></h2>\s*<p class="display-4 mb-0">(\d+)<', home))
    # live: Mia and the two Bors; Mia's own, and both shared activities; both companies
    assert counts == {"Contacts": "3", "Activities": "3", "Companies": "2"}


def test_list_exports_leave_trashed_rows_out(app, acme, scene):
    client = logged_in(app, acme.logins.admin_email)
    for path, hidden, shown in (("/admin/contacts/list-export/csv", GONE, KEPT),
                                ("/admin/activities/list-export/csv", "Klic z Ana",
                                 "Klic z Mia")):
        download = client.get(path)
        assert download.status_code == 200, path
        text = download.get_data().decode("utf-8-sig")
        assert hidden not in text and shown in text, path


def test_segments_consents_and_subject_export_on_the_command_line(app, cli, acme, scene,
                                                                  tmp_path):
    target = tmp_path / "newsletter.csv"
    exported = cli.invoke(args=["segments", "export", "newsletter", "--tenant", "acme",
                                "--format", "csv", "-o", str(target)])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert [r[0] for r in rows] == ["email", KEPT]
    counted = cli.invoke(args=["segments", "count", "newsletter", "--tenant", "acme"])
    assert counted.output.strip() == "1"

    listed = cli.invoke(args=["consents", "list", "--tenant", "acme", "--json"])
    assert listed.exit_code == 0, listed.output
    assert GONE not in listed.output and KEPT in listed.output
    only = cli.invoke(args=["consents", "list", "--tenant", "acme", "--email", GONE, "--json"])
    assert only.exit_code == 1
    assert only.output == f"Error: --email: there is no contact {GONE}.\n"

    subject = cli.invoke(args=["export", "subject", GONE, "--tenant", "acme", "--format",
                               "json", "-o", str(tmp_path / "ana.json")])
    assert subject.exit_code == 1
    assert not (tmp_path / "ana.json").exists()
    mine = cli.invoke(args=["export", "subject", KEPT, "--tenant", "acme", "--format",
                            "json", "-o", str(tmp_path / "mia.json")])
    assert mine.exit_code == 0, mine.output
    assert "Novak" not in (tmp_path / "mia.json").read_text()


def _gone_consent_history(app, acme, scene) -> tuple:
    with app.app_context(), tenant_scope(acme.id), including_deleted():
        consent = db.session.get(Consent, scene.gone.consent_id)
        events = db.session.scalars(select(ConsentEvent.id).where(
            ConsentEvent.consent_id == consent.id)).all()
        return consent.state, consent.withdrawn_at, len(events), consent.deleted_at


def test_import_and_webhook_look_ups_do_not_find_the_trashed_contact(app, cli, acme, scene,
                                                                     tmp_path):
    before = _gone_consent_history(app, acme, scene)
    with app.app_context(), tenant_scope(acme.id):
        endpoint = webhooks.add_webhook(acme.ctx(), "mailchimp", "newsletter")
        db.session.commit()
        url = f"/hooks/acme/mailchimp/{endpoint.secret}"
    client = app.test_client()
    unsubscribed = client.post(url, data={"type": "unsubscribe", "data[email]": GONE,
                                          "fired_at": "2025-06-01 10:00:00"})
    assert unsubscribed.status_code == 200
    assert _gone_consent_history(app, acme, scene) == before

    sheet = tmp_path / "consents.csv"
    sheet.write_text(f"Email,Purpose,Given at\n{GONE},newsletter,2025-06-02\n")
    imported = cli.invoke(args=["consents", "import", str(sheet), "--tenant", "acme"])
    assert imported.exit_code == 0, imported.output
    assert _gone_consent_history(app, acme, scene) == before
    with app.app_context(), tenant_scope(acme.id):
        fresh = db.session.scalar(select(Contact).where(Contact.email == GONE))
        assert fresh is not None and fresh.id != scene.gone.contact_id
        assert trashed_row(Contact, scene.gone.contact_id).deleted_at is not None
    # the trashed contact cannot come back over the new one: restore says why
    listed = json.loads(cli.invoke(args=["trash", "list", "--tenant", "acme",
                                         "--json"]).output)
    refused = cli.invoke(args=["trash", "restore", str(listed[0]["id"]), "--tenant", "acme"])
    assert refused.exit_code == 1 and "now has the address ana.novak@firma.si" in \
        refused.output
