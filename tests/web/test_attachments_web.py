"""Attachments on the admin pages: upload limits, types, downloads, deletes."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from core.db import db
from core.models import Attachment
from core.scoping import tenant_scope
from tests.conftest import build_app
from tests.support import csrf_token, logged_in
from tests.web.conftest import PDF

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _stored_files(app) -> list:
    root = app.extensions["crm"]["attachments"].root
    return [p for p in root.rglob("*") if p.is_file()]


def _upload(client, endpoint: str, record_id: int, content: bytes, name: str, **kwargs):
    token = csrf_token(client, f"/admin/{endpoint}/details/?id={record_id}")
    return client.post(
        f"/admin/{endpoint}/attachments/?id={record_id}",
        data={"file": (io.BytesIO(content), name), "csrf_token": token},
        content_type="multipart/form-data", **kwargs,
    )


@pytest.mark.parametrize("endpoint", ["contacts", "companies", "activities"])
def test_upload_and_download_on_every_crm_page(app, tenant_a, acme_data, endpoint):
    record_id = {"contacts": acme_data.contact_id, "companies": acme_data.company_id,
                 "activities": acme_data.activity_id}[endpoint]
    client = logged_in(app, tenant_a.user_email)
    response = _upload(client, endpoint, record_id, PNG, "Skica Žiga.png")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Attached &#39;Skica Žiga.png&#39;." in page
    with app.app_context(), tenant_scope(tenant_a.id):
        stored = db.session.scalar(
            select(Attachment).where(Attachment.filename == "Skica Žiga.png"))
        assert stored.owner_type == {"contacts": "contact", "companies": "company",
                                     "activities": "activity"}[endpoint]
        assert stored.owner_id == record_id and stored.uploaded_by_id == tenant_a.user_id
    download = client.get(f"/admin/attachments/{stored.id}/download")
    assert download.status_code == 200
    assert download.data == PNG
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["Content-Type"] == "image/png"
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_file_of_the_wrong_type_is_refused_with_a_message(app, tenant_a, acme_data):
    client = logged_in(app, tenant_a.user_email)
    before = _stored_files(app)
    response = _upload(client, "contacts", acme_data.contact_id, b"MZ\x90\x00 program",
                       "racun.pdf")
    assert response.status_code == 415
    html = response.get_data(as_text=True)
    assert "&#39;racun.pdf&#39; is not an allowed file type" in html
    assert "Žiga Zupančič" in html  # shown on the contact's page
    assert _stored_files(app) == before


def test_a_file_over_the_attachment_limit_is_refused_with_a_message(app, tenant_a, acme_data):
    app.extensions["crm"]["attachments"].max_bytes = 1024 * 1024
    client = logged_in(app, tenant_a.user_email)
    before = _stored_files(app)
    response = _upload(client, "contacts", acme_data.contact_id,
                       PDF + b"0" * (1024 * 1024), "velik.pdf")
    assert response.status_code == 413
    assert "&#39;velik.pdf&#39; is larger than the limit of 1 MB." in response.get_data(
        as_text=True)
    assert _stored_files(app) == before


def test_a_request_over_the_body_limit_is_refused_before_it_is_read(
        database_url, tmp_path, tenant_a, acme_data):
    app = build_app(database_url, tmp_path / "small", MAX_CONTENT_LENGTH=64 * 1024)
    client = logged_in(app, tenant_a.user_email)
    response = _upload(client, "contacts", acme_data.contact_id,
                       PDF + b"0" * (128 * 1024), "ogromen.pdf")
    assert response.status_code == 413
    assert "The upload is larger than the limit of 64 KB." in response.get_data(as_text=True)
    assert _stored_files(app) == []


def test_no_file_chosen_is_a_message(app, tenant_a, acme_data):
    client = logged_in(app, tenant_a.user_email)
    token = csrf_token(client, "/admin/contacts/")
    response = client.post(f"/admin/contacts/attachments/?id={acme_data.contact_id}",
                           data={"csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "File: choose a file to upload." in response.get_data(as_text=True)


def test_users_and_tenants_take_no_attachments(app, tenant_a):
    client = logged_in(app, tenant_a.admin_email)
    response = _upload(client, "users", tenant_a.user_id, PDF, "x.pdf")
    assert response.status_code == 404


def test_an_attachment_is_deleted_through_the_delete_path(app, tenant_a, acme_data):
    client = logged_in(app, tenant_a.user_email)
    token = csrf_token(client, f"/admin/contacts/details/?id={acme_data.contact_id}")
    response = client.post(f"/admin/attachments/{acme_data.attachment_id}/delete",
                           data={"csrf_token": token})
    assert response.headers["Location"] == f"/admin/contacts/details/?id={acme_data.contact_id}"
    assert client.get(f"/admin/attachments/{acme_data.attachment_id}/download"
                      ).status_code == 404
    assert _stored_files(app) == []


def test_an_attachment_of_a_deleted_record_is_not_served(app, tenant_a, acme_data):
    client = logged_in(app, tenant_a.user_email)
    token = csrf_token(client, "/admin/contacts/")
    client.post("/admin/contacts/delete/", data={"id": str(acme_data.contact_id),
                                                  "csrf_token": token})
    assert client.get(f"/admin/attachments/{acme_data.attachment_id}/download"
                      ).status_code == 404
