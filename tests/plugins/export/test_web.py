"""The review page and the download, through the real pages (login, CSRF, tenants)."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.db import db
from core.scoping import tenant_scope
from plugins.export.models import ExportRecord, SubjectRequest
from tests.plugins.export.conftest import INTERNAL_NOTE, OTHERS, TRASHED, switch
from tests.plugins.export.files import all_values, docx_text
from tests.support import logged_in

CHECKBOX_RE = re.compile(r'<input type="checkbox" name="(section|item)" value="([^"]+)"'
                         r'[^>]*?(?:aria-label="([^"]*)")?\s*>', re.S)


def _form(html: str) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    return hidden, CHECKBOX_RE.findall(html)


def _post(client, url, html, *, drop=lambda kind, value, label: False, fmt="docx", **extra):
    hidden, boxes = _form(html)
    data = {"csrf_token": hidden["csrf_token"], "digest": hidden["digest"], "format": fmt,
            "section": [v for k, v, label in boxes if k == "section" and not drop(k, v, label)],
            "item": [v for k, v, label in boxes if k == "item" and not drop(k, v, label)]}
    data.update(extra)
    return client.post(url, data=data)


def test_review_lists_every_section_and_item_with_a_checkbox(app, people, acme):
    client = logged_in(app, acme.user_email)
    response = client.get(f"/admin/export/contact/{people.ann}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    _hidden, boxes = _form(html)
    sections = [v for k, v, _ in boxes if k == "section"]
    assert sections[:4] == ["profile", "company", "activities", "attachments"]
    labels = [label for k, _, label in boxes if k == "item"]
    assert any(INTERNAL_NOTE in label for label in labels)
    assert "Ann Kos Čšž 😀" in html and "ann@x.si" in html
    for absent in (TRASHED, *OTHERS):
        assert absent not in html
    assert response.headers["Cache-Control"] == "no-store"


def test_unticked_item_is_left_out_of_the_download_and_recorded(app, people, acme, exports):
    client = logged_in(app, acme.user_email)
    url = f"/admin/export/contact/{people.ann}"
    html = client.get(url).get_data(as_text=True)
    response = _post(client, url, html, drop=lambda k, v, label: INTERNAL_NOTE in label)
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    disposition = response.headers["Content-Disposition"]
    assert "attachment" in disposition and "personal-data-ann-kos-csz" in disposition
    text = docx_text(response.data)
    assert "Klic Ann" in text and INTERNAL_NOTE not in text
    call = exports.calls[-1]
    assert call["ctx"].actor == f"user:{acme.user_email}"
    assert [e["section"] for e in call["details"]["left_out"]] == ["activities"]
    with app.app_context(), tenant_scope(acme.id):
        record = db.session.scalar(select(ExportRecord))
        assert (record.file_format, record.left_out, record.contact_id) == ("docx", 1,
                                                                          people.ann)


def test_unticked_section_is_left_out_of_the_workbook(app, people, acme):
    client = logged_in(app, acme.user_email)
    url = f"/admin/export/contact/{people.ann}"
    html = client.get(url).get_data(as_text=True)
    response = _post(client, url, html, fmt="xlsx",
                     drop=lambda k, v, label: k == "section" and v == "attachments")
    assert response.status_code == 200
    assert "soglasje ann.pdf" not in all_values(response.data)


def test_changed_data_after_review_is_refused(app, people, acme):
    client = logged_in(app, acme.user_email)
    url = f"/admin/export/contact/{people.ann}"
    html = client.get(url).get_data(as_text=True)
    from core.models import Activity, Contact

    with app.app_context(), tenant_scope(acme.id):
        ann = db.session.get(Contact, people.ann)
        db.session.add(Activity(subject="Nova opomba", participants=[ann]))
        db.session.commit()
    response = _post(client, url, html)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "data changed" in page and "Nova opomba" in page


def test_bad_format_and_missing_token_are_400(app, people, acme):
    client = logged_in(app, acme.user_email)
    url = f"/admin/export/contact/{people.ann}"
    html = client.get(url).get_data(as_text=True)
    assert _post(client, url, html, fmt="pdf").status_code == 400
    assert client.post(url, data={"format": "docx"}).status_code == 400


def test_other_tenant_and_disabled_plugin_answer_404(app, people, acme, tenant_b):
    beta = logged_in(app, tenant_b.user_email)
    assert beta.get(f"/admin/export/contact/{people.ann}").status_code == 404
    switch(app, tenant_b.id)
    assert beta.get(f"/admin/export/contact/{people.ann}").status_code == 404
    assert beta.get(f"/admin/export/company/{people.company}").status_code == 404
    assert beta.get(f"/admin/export/contact/{people.beta_ann}").status_code == 200
    switch(app, acme.id, on=False)
    acme_client = logged_in(app, acme.user_email)
    assert acme_client.get(f"/admin/export/contact/{people.ann}").status_code == 404
    assert acme_client.get("/admin/export_requests/").status_code == 404
    page = acme_client.get(f"/admin/contacts/details/?id={people.ann}").get_data(as_text=True)
    assert "Export personal data" not in page


def test_contact_page_has_the_export_panel(app, people, acme):
    client = logged_in(app, acme.user_email)
    page = client.get(f"/admin/contacts/details/?id={people.ann}").get_data(as_text=True)
    assert "Export personal data" in page
    assert f'href="/admin/export/contact/{people.ann}"' in page


def test_company_review_and_download(app, people, acme):
    client = logged_in(app, acme.user_email)
    url = f"/admin/export/company/{people.company}"
    html = client.get(url).get_data(as_text=True)
    assert "Lipa d.o.o." in html and "joann@x.si" in html
    response = _post(client, url, html, fmt="xlsx")
    text = all_values(response.data)
    assert "Samo Joann" in text and "Beta Ann" not in text and TRASHED not in text


def test_search_page_finds_people_and_companies(app, people, acme):
    client = logged_in(app, acme.user_email)
    html = client.get("/admin/export/?q=zagar").get_data(as_text=True)
    assert f"/admin/export/contact/{people.joann}" in html
    assert f"/admin/export/contact/{people.ann}" not in html
    html = client.get("/admin/export/?q=LIPA").get_data(as_text=True)
    assert f"/admin/export/company/{people.company}" in html
    assert "Beta Ann" not in client.get("/admin/export/?q=ann").get_data(as_text=True)


def test_download_can_answer_a_registered_request(app, cli, people, acme):
    cli.invoke(args=["export", "requests", "add", "access", "--tenant", "acme", "--email",
                     "ann@x.si"])
    client = logged_in(app, acme.user_email)
    url = f"/admin/export/contact/{people.ann}"
    html = client.get(url).get_data(as_text=True)
    assert "request #1: access (Art. 15)" in html
    assert _post(client, url, html, fmt="json", request="1").status_code == 200
    assert _post(client, url, html, fmt="json", request="99").status_code == 400
    with app.app_context(), tenant_scope(acme.id):
        assert db.session.scalar(select(SubjectRequest)).answered_by_export_id is not None
