"""Fixtures of the trash tests: tenant `acme` with every built-in plugin on, a person with
everything that can belong to a contact, and helpers to act and to look into the database."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select

from core.attachments import attachment_store
from core.db import db
from core.events import EventContext, context, set_actor
from core.models import Activity, Company, Contact, Tenant
from core.scoping import all_tenants, including_deleted, tenant_scope
from tests.support import BUILTIN_PLUGINS, TenantLogins

_OTHERS = itertools.count(1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def switch(app: Flask, tenant_id: int, plugins: tuple[str, ...] = BUILTIN_PLUGINS,
           on: bool = True) -> None:
    """Enable (or disable) plugins for a tenant, as a command would, and commit."""
    with app.app_context():
        with all_tenants():
            tenant = db.session.get(Tenant, tenant_id)
        host = app.extensions["crm"]["plugins"]
        with tenant_scope(tenant_id):
            ctx = context(tenant=tenant, actor="cli:tester")
            for name in plugins:
                host.enable(ctx, name) if on else host.disable(ctx, name)
            db.session.commit()


@dataclass
class Acting:
    """A tenant to act for inside an app context."""

    app: Flask
    logins: TenantLogins

    @property
    def id(self) -> int:
        """The tenant's id."""
        return self.logins.id

    def tenant(self) -> Tenant:
        """The tenant row."""
        with all_tenants():
            return db.session.get(Tenant, self.id)

    def ctx(self, at: datetime | None = None, actor: str | None = None) -> EventContext:
        """An event context of the tenant's admin (at `at`, when given)."""
        made = context(tenant=self.tenant(),
                       actor=actor or f"user:{self.logins.admin_email}")
        made = replace(made, user_id=self.logins.admin_id)
        return replace(made, at=at) if at is not None else made




@dataclass
class Person:
    """Ids of a person and what belongs to them (see `make_person`)."""

    contact_id: int
    email: str
    own_activity_id: int
    shared_activity_id: int
    other_contact_id: int
    contact_file: Path
    activity_file: Path
    consent_id: int | None
    company_id: int


def make_person(acting: Acting, email: str = "ana.novak@firma.si", first: str = "Ana",
                last: str = "Novak", phone: str = "+386 41 555 123",
                consent: bool = True, links: bool = True) -> Person:
    """A contact with a company, a note, a tag-free profile, an activity only with them
    (with an attachment), an activity shared with someone else, an attachment of their own
    and (when the consents plugin is on) a newsletter consent. Without `links` the company
    and the shared activity are made without the person. Committed."""
    store = attachment_store()
    with tenant_scope(acting.id):
        company = Company(name=f"Podjetje {next(_OTHERS)} d.o.o.")
        contact = Contact(first_name=first, last_name=last, email=email, phone=phone,
                          notes=f"{first} likes cats", company=company if links else None)
        number = next(_OTHERS)
        other = Contact(first_name="Bor", last_name=f"Zajc {number}",
                        email=f"bor.zajc.{number}@drugje.si")
        own = Activity(subject=f"Klic z {first} {last}", body=f"{first} {last}: {phone}",
                       participants=[contact])
        shared = Activity(subject="Sestanek",
                          participants=[contact, other] if links else [other])
        db.session.add_all([company, contact, other, own, shared])
        db.session.flush()
        files = []
        for owner_type, owner_id, name in (("contact", contact.id, f"{last}.pdf"),
                                           ("activity", own.id, "zapisnik.pdf")):
            saved = store.save(owner_type=owner_type, owner_id=owner_id, filename=name,
                               stream=io.BytesIO(PDF), tenant_id=acting.id)
            files.append(store.path(saved))
        consent_id = None
        if consent:
            from plugins.gdpr_consents import consents

            granted = consents.grant(acting.ctx(), contact, "newsletter",
                                     given_at="2025-01-10", source="web_form",
                                     ip="192.0.2.7", user_agent="Firefox/1")
            consent_id = granted.id
        db.session.commit()
        return Person(contact.id, email, own.id, shared.id, other.id, files[0], files[1],
                      consent_id, company.id)


@pytest.fixture
def acme(app: Flask, tenant_a: TenantLogins) -> Acting:
    """Tenant `acme` with every built-in plugin enabled."""
    switch(app, tenant_a.id)
    return Acting(app, tenant_a)


@pytest.fixture
def beta(app: Flask, tenant_b: TenantLogins) -> Acting:
    """Tenant `beta` with every built-in plugin enabled."""
    switch(app, tenant_b.id)
    return Acting(app, tenant_b)


@pytest.fixture
def in_acme(app: Flask, acme: Acting) -> Iterator[Acting]:
    """An app context in which acme's admin acts, acme in scope."""
    with app.app_context(), tenant_scope(acme.id):
        set_actor(f"user:{acme.logins.admin_email}", acme.logins.admin_id, acme.tenant())
        yield acme


def visible(model: Any, row_id: int) -> bool:
    """True when the row is found by a normal (filtered) query."""
    return db.session.scalar(select(model.id).where(model.id == row_id)) is not None


def trashed_row(model: Any, row_id: int) -> Any:
    """The row, trash included."""
    with including_deleted():
        return db.session.scalar(select(model).where(model.id == row_id))


def every_text_value(app: Flask) -> str:
    """All values of every column of every table this app's database has, as one string
    (read outside the app's filters, as someone with database access would)."""
    chunks: list[str] = []
    with app.app_context(), db.engine.connect() as connection:
        existing = set(sa.inspect(connection).get_table_names())
        for table in db.metadata.sorted_tables:
            if table.name not in existing:
                continue
            for row in connection.execute(sa.select(table)):
                chunks.extend(str(value) for value in row if value is not None)
    return "\n".join(chunks)
