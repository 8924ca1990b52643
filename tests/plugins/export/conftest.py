"""Fixtures of the export tests: tenant `acme` with the plugin on, Ann (ann@x.si) and the
people and rows her export must leave out: Joann (joann@x.si, an address that contains
hers), a trashed activity, another tenant's Ann, and an internal note."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from core.attachments import attachment_store
from core.db import db
from core.events import EventContext, context
from core.models import Activity, Company, Contact, Tag, Tenant
from core.scoping import all_tenants, tenant_scope
from tests.support import ExportRecorder, TenantLogins, record_exports

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FORMULA = '=HYPERLINK("http://evil.example","klik")'
INTERNAL_NOTE = "Interno: težavna stranka, ne pošiljaj"
TRASHED = "Izbrisani sestanek"
OTHERS = ("joann", "Žagar", "Samo Joann", "Beta Ann", "beta-secret")


def switch(app: Flask, tenant_id: int, plugin: str = "export", on: bool = True) -> None:
    """Enable or disable `plugin` for the tenant and commit."""
    with app.app_context():
        with all_tenants():
            tenant = db.session.get(Tenant, tenant_id)
        with tenant_scope(tenant_id):
            ctx = context(tenant=tenant, actor="cli:tester")
            host = app.extensions["crm"]["plugins"]
            (host.enable if on else host.disable)(ctx, plugin)
            db.session.commit()


def tenant_ctx(tenant_id: int, actor: str = "user:admin@acme.test") -> EventContext:
    """An event context for the tenant (inside an app context)."""
    with all_tenants():
        tenant = db.session.get(Tenant, tenant_id)
    return context(tenant=tenant, actor=actor)


@dataclass(frozen=True)
class People:
    """Ids of the rows made by the `people` fixture."""

    ann: int
    joann: int
    company: int
    internal_note: int
    beta_ann: int


@pytest.fixture
def exports(app) -> ExportRecorder:
    """The `crm_records_exported` calls made from now on."""
    return record_exports(app)


@pytest.fixture
def acme(app, tenant_a) -> TenantLogins:
    """Tenant `acme` with the export plugin enabled."""
    switch(app, tenant_a.id)
    return tenant_a


@pytest.fixture
def people(app, acme, tenant_b) -> People:
    """Ann with a company, tags, activities (one shared with Joann, one internal note, one
    with a formula, one trashed) and an attachment; Joann with her own; Beta's Ann."""
    with app.app_context():
        with tenant_scope(acme.id):
            lipa = Company(name="Lipa d.o.o.", vat_id="SI123")
            ann = Contact(first_name="Ann", last_name="Kos Čšž 😀", email="ann@x.si",
                          company=lipa, notes="Prefers calls", tags=[Tag(name="VIP")],
                          phone="+386 1 234 5678")
            joann = Contact(first_name="Joann", last_name="Žagar", email="joann@x.si",
                            company=lipa)
            db.session.add_all([lipa, ann, joann])
            db.session.flush()
            note = Activity(subject=INTERNAL_NOTE, participants=[ann], company=lipa,
                            occurred_at=datetime(2025, 1, 10, 9, 0, tzinfo=UTC))
            trashed = Activity(subject=TRASHED, participants=[ann],
                               occurred_at=datetime(2025, 1, 11, 9, 0, tzinfo=UTC))
            db.session.add_all([
                Activity(subject="Klic Ann", participants=[ann], body="Dogovor o ponudbi",
                         occurred_at=datetime(2025, 3, 31, 22, 30, tzinfo=UTC)),
                Activity(subject="Sestanek obeh", participants=[ann, joann],
                         occurred_at=datetime(2025, 2, 1, 8, 0, tzinfo=UTC)),
                Activity(subject=FORMULA, participants=[ann], body="+1-2 @SUM(A1)",
                         occurred_at=datetime(2025, 2, 2, 8, 0, tzinfo=UTC)),
                Activity(subject="Samo Joann", participants=[joann]),
                note, trashed,
            ])
            db.session.flush()
            trashed.deleted_at = datetime(2025, 1, 12, tzinfo=UTC)
            attachment_store().save(owner_type="contact", owner_id=ann.id,
                                    filename="soglasje ann.pdf", stream=io.BytesIO(PDF),
                                    tenant_id=acme.id)
            attachment_store().save(owner_type="contact", owner_id=joann.id,
                                    filename="joann.pdf", stream=io.BytesIO(PDF),
                                    tenant_id=acme.id)
            db.session.commit()
            ids = (ann.id, joann.id, lipa.id, note.id)
        with tenant_scope(tenant_b.id):
            beta_ann = Contact(first_name="Beta Ann", last_name="beta-secret",
                               email="ann@x.si")
            db.session.add(beta_ann)
            db.session.commit()
            return People(*ids, beta_ann=beta_ann.id)


@pytest.fixture
def in_acme(app, acme) -> Iterator[EventContext]:
    """An app context with acme in scope; yields an event context of acme's admin."""
    with app.app_context(), tenant_scope(acme.id):
        yield tenant_ctx(acme.id)


def contact(contact_id: int) -> Contact:
    """The contact (in the current scope)."""
    return db.session.scalar(select(Contact).where(Contact.id == contact_id))
