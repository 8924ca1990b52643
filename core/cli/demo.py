"""`crm demo`: a demo tenant with users and realistic data (safe to repeat: once the tenant
exists, its data and its plugin choices are left alone)."""

from __future__ import annotations

import random

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from core import demo_data
from core.cli.common import cli_actor
from core.clock import utcnow
from core.db import db
from core.events import context
from core.models import Activity, Company, Contact, Role, Tag, Tenant, User
from core.models.crm import ActivityKind
from core.scoping import all_tenants, tenant_scope

DEMO_SLUG = "demo"
DEMO_LOGINS = [
    ("admin@demo.example", "demo-admin-pass", Role.ADMIN, "Ana Administratorka"),
    ("user@demo.example", "demo-user-pass", Role.USER, "Uroš Uporabnik"),
    ("platform@demo.example", "demo-platform-pass", Role.PLATFORM_ADMIN, "Platform Admin"),
]


@click.command("demo")
@with_appcontext
@click.option("--seed", default=2024, show_default=True, help="Seed of the generated data.")
def demo(seed: int) -> None:
    """Seed the tenant 'demo' with users, companies, contacts and activities and enable every
    installed plugin for it, the first time only; print the logins every time."""
    with all_tenants():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == DEMO_SLUG))
        created = tenant is None
        if created:
            tenant = Tenant(slug=DEMO_SLUG, name="Demo d.o.o.")
            db.session.add(tenant)
            db.session.flush()
        for email, password, role, name in DEMO_LOGINS:
            if db.session.scalar(select(User).where(User.email == email)) is None:
                user = User(
                    email=email,
                    full_name=name,
                    role=role,
                    tenant_id=None if role == Role.PLATFORM_ADMIN else tenant.id,
                )
                user.set_password(password)
                db.session.add(user)
        db.session.commit()
    messages: list[str] = []
    with tenant_scope(tenant.id):
        if created:
            _seed(tenant, random.Random(seed))
            messages = _enable_installed_plugins(tenant)
        db.session.commit()
        counts = {
            "companies": db.session.query(Company).count(),
            "contacts": db.session.query(Contact).count(),
            "activities": db.session.query(Activity).count(),
        }
    state = "created" if created else "already there"
    click.echo(
        f"Demo tenant '{DEMO_SLUG}' {state}: {counts['companies']} companies, "
        f"{counts['contacts']} contacts, {counts['activities']} activities."
    )
    for line in messages:
        click.echo(line)
    if not created:
        click.echo("Its data and the plugins enabled for it are left as they are.")
    click.echo("Log in with one of:")
    for email, password, role, _name in DEMO_LOGINS:
        click.echo(f"  {email:<24} password {password:<20} ({role.value})")


def _enable_installed_plugins(tenant: Tenant) -> list[str]:
    """Enable every installed plugin for the new demo tenant; return what was switched on."""
    host = current_app.extensions["crm"]["plugins"]
    ctx = context(tenant=tenant, actor=cli_actor())
    return [m for name in host.installed for m in host.enable(ctx, name) if "already" not in m]


def _seed(tenant: Tenant, rng: random.Random) -> None:
    owners = db.session.scalars(select(User).where(User.tenant_id == tenant.id)).all()
    tags = {name: Tag(name=name) for name in demo_data.TAGS}
    db.session.add_all(tags.values())
    people: list[Contact] = []
    generated_companies = demo_data.companies(rng, 50)
    company_rows = [
        Company(name=c.name, website=f"https://{c.domain}", phone=c.phone, vat_id=c.vat_id)
        for c in generated_companies
    ]
    db.session.add_all(company_rows)
    for person in demo_data.contacts(rng, 200, generated_companies):
        contact = Contact(
            first_name=person.first_name,
            last_name=person.last_name,
            email=person.email,
            phone=person.phone,
            notes=person.notes,
            company=None if person.company_index is None else company_rows[person.company_index],
            owner=rng.choice(owners),
            tags=[tags[name] for name in person.tags],
        )
        people.append(contact)
    db.session.add_all(people)
    now = utcnow()
    for _ in range(300):
        kind = rng.choice(list(ActivityKind))
        participants = rng.sample(people, k=rng.choice([1, 1, 1, 2, 3]))
        db.session.add(
            Activity(
                kind=kind,
                subject=rng.choice(demo_data.ACTIVITY_SUBJECTS[kind.value]),
                body=rng.choice([None, "Dogovorili smo se za naslednji korak."]),
                occurred_at=demo_data.activity_moment(rng, now),
                company=participants[0].company,
                owner=rng.choice(owners),
                participants=participants,
            )
        )
    db.session.flush()
