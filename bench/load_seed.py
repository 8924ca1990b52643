"""The load test's data: a throw-away PostgreSQL database, tenants with users, contacts, every
plugin and webhooks, the consent sheet to import and the webhook deliveries to send."""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from sqlalchemy import create_engine, make_url, text

from core.db import db
from core.events import context
from core.models import Contact, Role, Tenant, User
from core.scoping import all_tenants, tenant_scope

PLUGINS = ("audit", "gdpr_consents", "trash", "export")
PASSWORD = "load-test-password"
MAILCHIMP_LIST = "loadlist01"
# users add consents to these; the import grants IMPORT_PURPOSE, so that a row never
# meets a consent a user gave at the same time with another date (which an import refuses)
PURPOSES = ("newsletter", "events")
IMPORT_PURPOSE = "sms"


@dataclass
class TenantData:
    """One seeded tenant: its users' logins, its contacts and its webhook URLs."""

    id: int
    slug: str
    users: list[str]
    contact_ids: list[int]
    emails: list[str]
    hooks: dict[str, str] = field(default_factory=dict)


def email_domain(slug: str) -> str:
    """The e-mail domain of a tenant's seeded people (a page showing another tenant's
    domain shows another tenant's row)."""
    return f"{slug}.primer.si"


def create_database(admin_url: str, name: str) -> str:
    """Create the database `name` through `admin_url`; return its URL."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    """Drop the database `name` (closing what still connects to it)."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    engine.dispose()


def seed(app: Flask, tenants: int, users_per_tenant: int, contacts_per_tenant: int,
         base_url: str) -> list[TenantData]:
    """Create `tenants` tenants `load-1`... with every plugin enabled, an admin and
    `users_per_tenant` users each, contacts, and Mailchimp and Brevo webhooks."""
    from plugins.gdpr_consents.intake.webhooks import add_webhook

    host = app.extensions["crm"]["plugins"]
    seeded = []
    with app.app_context():
        for number in range(1, tenants + 1):
            slug = f"load-{number}"
            with all_tenants():
                tenant = Tenant(slug=slug, name=f"Load {number} d.o.o.")
                db.session.add(tenant)
                db.session.flush()
                logins = []
                for index in range(users_per_tenant):
                    email = f"user{index}@{email_domain(slug)}"
                    # half of the users are tenant admins (both may add consents)
                    role = Role.ADMIN if index % 2 == 0 else Role.USER
                    user = User(email=email, role=role, tenant_id=tenant.id)
                    user.set_password(PASSWORD)
                    db.session.add(user)
                    logins.append(email)
                db.session.commit()
            with tenant_scope(tenant.id):
                ctx = context(tenant=tenant, actor="cli:load-test")
                for name in PLUGINS:
                    host.enable(ctx, name)
                contacts = [Contact(first_name=f"Oseba{i}", last_name=f"Priimek{i}",
                                    email=f"c{i}@{email_domain(slug)}")
                            for i in range(contacts_per_tenant)]
                db.session.add_all(contacts)
                hooks = {}
                for provider, list_id in (("mailchimp", MAILCHIMP_LIST), ("brevo", None)):
                    endpoint = add_webhook(ctx, provider, "newsletter", list_id)
                    hooks[provider] = f"{base_url}/hooks/{slug}/{provider}/{endpoint.secret}"
                db.session.commit()
                seeded.append(TenantData(
                    id=tenant.id, slug=slug, users=logins,
                    contact_ids=[c.id for c in contacts], emails=[c.email for c in contacts],
                    hooks=hooks))
    return seeded


def write_consent_sheet(path: Path, tenant: TenantData, rows: int) -> int:
    """A consent CSV for `crm consents import`: about half existing people (each once),
    the rest new; return the number of rows."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Email", "First name", "Last name", "Purpose", "Given at"])
        for i in range(rows):
            existing = i % 2 == 0 and i // 2 < len(tenant.emails)
            email = (tenant.emails[i // 2] if existing
                     else f"imported{i}@{email_domain(tenant.slug)}")
            writer.writerow([email, f"Uvoz{i}", "Uvoženi", IMPORT_PURPOSE,
                             f"2024-0{1 + i % 9}-1{i % 10} 10:00"])
    return rows


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery: where, what, and the event it carries (for the checks)."""

    url: str
    body: bytes
    content_type: str
    event_key: str


def webhook_events(tenant: TenantData, count: int, seed: int) -> list[Delivery]:
    """`count` distinct events for the tenant (Mailchimp subscribes and unsubscribes, Brevo
    unsubscribes), one delivery each; the caller sends them more than once."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    deliveries = []
    for i in range(count):
        email = rng.choice(tenant.emails)
        at = start + timedelta(minutes=i)
        if i % 3 == 2:
            body = {"id": i, "camp_id": 7, "email": email, "campaign name": "Pomlad",
                    "event": "unsubscribe", "ts_event": int(at.timestamp())}
            deliveries.append(Delivery(tenant.hooks["brevo"], _json(body),
                                       "application/json", f"brevo:{i}"))
            continue
        kind = "subscribe" if i % 3 == 0 else "unsubscribe"
        form = {"type": kind, "fired_at": at.strftime("%Y-%m-%d %H:%M:%S"),
                "data[email]": email, "data[list_id]": MAILCHIMP_LIST,
                "data[merges][EMAIL]": email, "data[ip_opt]": "192.0.2.20"}
        if kind == "unsubscribe":
            form["data[action]"] = "unsub"
            form["data[reason]"] = "manual"
        deliveries.append(Delivery(tenant.hooks["mailchimp"], urlencode(form).encode(),
                                   "application/x-www-form-urlencoded", f"mailchimp:{i}"))
    return deliveries


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()
