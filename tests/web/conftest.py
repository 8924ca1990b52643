"""Fixtures of the web tests: CRM records of tenant `acme` with recognisable names."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from core.attachments import attachment_store
from core.db import db
from core.models import Activity, Company, Contact, Tag
from core.scoping import tenant_scope

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass(frozen=True)
class AcmeData:
    """Ids of tenant acme's records and strings that appear only in them."""

    contact_id: int
    other_contact_id: int
    company_id: int
    tag_id: int
    activity_id: int
    attachment_id: int
    markers: tuple[str, ...] = ("Tajnik", "Skrivnost d.o.o.", "Tajni sestanek", "tajno.pdf",
                                "ziga.zupancic@skrivnost.si")


@pytest.fixture
def acme_data(app, tenant_a) -> AcmeData:
    """A company, a tag, two contacts (one Žiga Zupančič), an activity and an attachment."""
    with app.app_context(), tenant_scope(tenant_a.id):
        company = Company(name="Skrivnost d.o.o.", vat_id="SI12345678")
        tag = Tag(name="vip")
        ziga = Contact(first_name="Žiga", last_name="Zupančič",
                       email="ziga.zupancic@skrivnost.si", company=company, tags=[tag],
                       owner_id=tenant_a.user_id)
        other = Contact(first_name="Ana", last_name="Tajnik", email="ana@drugje.si",
                        owner_id=tenant_a.admin_id)
        activity = Activity(subject="Tajni sestanek", company=company, participants=[ziga],
                            occurred_at=datetime(2024, 3, 10, 8, 30, tzinfo=UTC),
                            owner_id=tenant_a.user_id)
        db.session.add_all([company, tag, ziga, other, activity])
        db.session.flush()
        attachment = attachment_store().save(
            owner_type="contact", owner_id=ziga.id, filename="tajno.pdf",
            stream=io.BytesIO(PDF), tenant_id=tenant_a.id,
        )
        db.session.commit()
        return AcmeData(
            contact_id=ziga.id, other_contact_id=other.id, company_id=company.id,
            tag_id=tag.id, activity_id=activity.id, attachment_id=attachment.id,
        )
