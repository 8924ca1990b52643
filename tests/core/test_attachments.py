"""The attachment store: limits and types checked on the bytes, files outside the web root."""

from __future__ import annotations

import io
import os
import stat

import pytest

from core.attachments import (
    AttachmentTooLarge,
    AttachmentTypeNotAllowed,
    attachment_store,
    clean_filename,
    owned_by,
    owner_model,
    owner_type_of,
)
from core.db import db
from core.models import Activity, Attachment, Company, Contact
from core.scoping import tenant_scope
from plugins.gdpr_consents.models import Consent

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_pdf_is_stored_under_a_random_name_in_the_instance_folder(app, tenant_a):
    with app.app_context(), tenant_scope(tenant_a.id):
        store = attachment_store()
        attachment = store.save(
            owner_type="contact", owner_id=1, filename="../../Pogodba Žiga.pdf",
            stream=io.BytesIO(PDF), tenant_id=tenant_a.id,
        )
        db.session.commit()
        path = store.path(attachment)
        assert attachment.filename == "Pogodba Žiga.pdf"
        assert attachment.content_type == "application/pdf"
        assert attachment.size == len(PDF)
        assert path.read_bytes() == PDF
        assert path.is_relative_to(app.instance_path)
        assert "Pogodba" not in path.name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_bytes_that_are_not_an_allowed_type_are_refused_whatever_the_name(app, tenant_a):
    with app.app_context(), tenant_scope(tenant_a.id):
        store = attachment_store()
        with pytest.raises(AttachmentTypeNotAllowed, match=r"'invoice\.pdf' is not an allowed"):
            store.save(owner_type="contact", owner_id=1, filename="invoice.pdf",
                       stream=io.BytesIO(b"MZ\x90\x00 not a pdf"), tenant_id=tenant_a.id)
        assert db.session.query(Attachment).count() == 0
        assert [p for p in store.root.rglob("*") if p.is_file()] == []


def test_an_upload_over_the_limit_is_refused_and_nothing_is_left(app, tenant_a):
    with app.app_context(), tenant_scope(tenant_a.id):
        store = attachment_store()
        store.max_bytes = 1024
        with pytest.raises(AttachmentTooLarge) as caught:
            store.save(owner_type="contact", owner_id=1, filename="big.png",
                       stream=io.BytesIO(PNG + b"\x00" * 2048), tenant_id=tenant_a.id)
        assert caught.value.status == 413
        assert [p for p in store.root.rglob("*") if p.is_file()] == []


def test_removing_a_file_deletes_its_bytes(app, tenant_a):
    with app.app_context(), tenant_scope(tenant_a.id):
        store = attachment_store()
        attachment = store.save(owner_type="company", owner_id=2, filename="logo.png",
                                stream=io.BytesIO(PNG), tenant_id=tenant_a.id)
        path = store.path(attachment)
        store.remove_file(attachment)
        assert not os.path.exists(path)


def test_clean_filename_keeps_letters_and_drops_paths_and_controls():
    assert clean_filename("C:\\Users\\ana\\Soglasje Čebelica.pdf") == "Soglasje Čebelica.pdf"
    assert clean_filename("a\x00b\nc.pdf") == "abc.pdf"
    assert clean_filename("") == "file"


def test_every_owner_type_resolves_to_its_model_and_back(app):
    with app.app_context():
        for model, owner_type in ((Contact, "contact"), (Company, "company"),
                                  (Activity, "activity"), (Consent, "gdpr_consents.consent")):
            assert owner_type_of(model) == owner_type
            assert owner_type_of(model(id=7)) == owner_type
            assert owner_model(owner_type) is model
        assert owner_model("gdpr_consents_consent") is None
        assert owner_model("no-such-kind") is None


def test_owned_by_finds_the_files_of_the_given_records_only(app, tenant_a):
    with app.app_context(), tenant_scope(tenant_a.id):
        store = attachment_store()
        for owner_type, owner_id in (("contact", 1), ("contact", 3), ("company", 1),
                                     ("gdpr_consents.consent", 1)):
            store.save(owner_type=owner_type, owner_id=owner_id, filename=f"{owner_type}.pdf",
                       stream=io.BytesIO(PDF), tenant_id=tenant_a.id)
        db.session.commit()

        def names(model, ids):
            return sorted((a.owner_type, a.owner_id) for a in db.session.scalars(
                db.select(Attachment).where(owned_by(model, ids))))

        assert names(Contact, [3, 1]) == [("contact", 1), ("contact", 3)]
        assert names(Consent, [1]) == [("gdpr_consents.consent", 1)]
        assert names(Company, []) == []
