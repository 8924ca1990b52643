"""The core's part of a person's data: gathered for export, erased or anonymized."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import select

from core.attachments import attachment_store
from core.db import db
from core.events import context
from core.models import Activity, Attachment, Company, Contact, Tag, Tenant
from core.scoping import including_deleted, tenant_scope

PDF = b"%PDF-1.4\n%%EOF\n"


def _people(app, tenant_id):
    with app.app_context(), tenant_scope(tenant_id):
        lipa = Company(name="Lipa d.o.o.", vat_id="SI123")
        ann = Contact(first_name="Ann", last_name="Kos", email="ann@x.si", company=lipa,
                      notes="internal: prefers calls", tags=[Tag(name="VIP")])
        joann = Contact(first_name="Joann", last_name="Žagar", email="joann@x.si")
        db.session.add_all([lipa, ann, joann])
        db.session.flush()
        db.session.add_all([
            Activity(subject="Only Ann", participants=[ann], company=lipa),
            Activity(subject="Meeting of two", participants=[ann, joann]),
            Activity(subject="Only Joann", participants=[joann]),
        ])
        db.session.flush()
        only_ann = db.session.scalar(select(Activity).where(Activity.subject == "Only Ann"))
        store = attachment_store()
        store.save(owner_type="contact", owner_id=ann.id, filename="soglasje.pdf",
                   stream=io.BytesIO(PDF), tenant_id=tenant_id)
        store.save(owner_type="activity", owner_id=only_ann.id, filename="zapisnik.pdf",
                   stream=io.BytesIO(PDF), tenant_id=tenant_id)
        db.session.commit()
        return ann.id, joann.id


def _sections(app, tenant_id, contact_id):
    with app.app_context(), tenant_scope(tenant_id):
        tenant = db.session.get(Tenant, tenant_id)
        contact = db.session.get(Contact, contact_id)
        host = app.extensions["crm"]["plugins"]
        groups = host.caller_for(tenant_id, "crm_subject_data")(
            ctx=context(tenant=tenant), contact=contact)
        return {s.key: s for group in groups for s in group}


def test_the_core_contributes_profile_company_activities_and_attachments(app, tenant_a):
    ann, _joann = _people(app, tenant_a.id)
    sections = _sections(app, tenant_a.id, ann)
    assert ["E-mail", "ann@x.si"] in sections["profile"].rows
    assert ["Tags", "VIP"] in sections["profile"].rows
    assert sections["company"].rows[0][:2] == ["Lipa d.o.o.", "SI123"]
    subjects = sorted(row[2] for row in sections["activities"].rows)
    assert subjects == ["Meeting of two", "Only Ann"]
    text = repr([s.rows for s in sections.values()])
    assert "joann" not in text.lower() and "Žagar" not in text
    shared = next(r for r in sections["activities"].rows if r[2] == "Meeting of two")
    assert shared[-1] == 1  # one other participant, not named
    assert [r[0] for r in sections["attachments"].rows] == ["soglasje.pdf"]


def _erase(app, tenant_id, contact_id, mode):
    with app.app_context(), tenant_scope(tenant_id):
        tenant = db.session.get(Tenant, tenant_id)
        contact = db.session.get(Contact, contact_id)
        host = app.extensions["crm"]["plugins"]
        lines = host.caller_for(tenant_id, "crm_subject_erase")(
            ctx=context(tenant=tenant), contact=contact, mode=mode)
        db.session.commit()
        return [line for group in lines for line in group]


def test_erasing_removes_the_person_their_own_activities_and_files(app, tenant_a):
    ann, joann = _people(app, tenant_a.id)
    lines = _erase(app, tenant_a.id, ann, "erase")
    assert "contact profile removed" in lines
    assert "2 attachments and their files removed" in lines
    with app.app_context(), tenant_scope(tenant_a.id), including_deleted():
        assert db.session.get(Contact, ann) is None
        assert sorted(db.session.scalars(select(Activity.subject))) == [
            "Meeting of two", "Only Joann"]
        shared = db.session.scalar(select(Activity).where(Activity.subject == "Meeting of two"))
        assert [c.id for c in shared.participants] == [joann]
        assert db.session.query(Attachment).count() == 0
    files = [p for p in (Path(app.instance_path) / "attachments").rglob("*") if p.is_file()]
    assert files == []


def test_anonymizing_keeps_business_records_without_the_person(app, tenant_a):
    ann, _joann = _people(app, tenant_a.id)
    lines = _erase(app, tenant_a.id, ann, "anonymize")
    assert f"contact profile replaced by 'erased person #{ann}'" in lines
    with app.app_context(), tenant_scope(tenant_a.id):
        contact = db.session.get(Contact, ann)
        assert (contact.first_name, contact.last_name, contact.email, contact.phone,
                contact.notes, contact.tags) == ("erased person", f"#{ann}", None, None, None, [])
        assert sorted(a.subject for a in contact.activities) == ["Meeting of two", "Only Ann"]
        # the person's own files go; the business record's minutes stay
        assert db.session.scalars(select(Attachment.filename)).all() == ["zapisnik.pdf"]
