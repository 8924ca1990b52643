"""The audit plugin's data for benchmarks: a tenant's hash-chained trail, years long.

Kept apart from `bench.datagen` (the core's rows), as `generate_consents` would be if it
were larger: only a dataset with the audit plugin installed needs it. The entries are a
realistic mix (`ACTION_MIX`) of views, list views, updates, creates, logins, exports and
imports by the tenant's users about its contacts, spread evenly over `YEARS` years, each
hashed into the chain exactly as the recorder would (`plugins.audit.chain`), so
`verify_chain` accepts them.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import insert, select, update

from bench.datagen import BATCH_SIZE
from core.clock import utcnow
from core.db import db
from core.models import Contact, User
from core.scoping import tenant_scope
from core.text import search_key
from plugins.audit import chain
from plugins.audit.models import AuditChain, AuditEntry

YEARS = 5
# how often each action occurs in the generated trail
ACTION_MIX = [
    ("viewed", 45), ("list_viewed", 25), ("updated", 14), ("created", 5), ("login", 4),
    ("logout", 4), ("exported", 2), ("imported", 1),
]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 Safari",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
]

def audit_entry_rows(rng: random.Random, tenant_id: int, users: list[tuple[int, str]],
                contacts: list[tuple[int, str]], count: int) -> Iterator[dict[str, Any]]:
    """Yield `count` realistic entries, oldest first, spread evenly over `YEARS` years."""
    now = utcnow()
    start = now - timedelta(days=365 * YEARS)
    step = (now - start) / count
    actions = [name for name, weight in ACTION_MIX for _ in range(weight)]
    for n in range(count):
        user_id, email = rng.choice(users)
        action = rng.choice(actions)
        contact_id, name = rng.choice(contacts)
        row: dict[str, Any] = {
            "tenant_id": tenant_id, "seq": None, "at": start + step * n,
            "actor": f"user:{email}", "user_id": user_id, "action": action,
            "target_type": None, "target_id": None, "contact_id": None,
            "request_id": f"{rng.getrandbits(64):016x}", "info": None, "label": None,
            "label_key": None, "ip": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.7",
            "user_agent": rng.choice(USER_AGENTS), "details": None, "redacted_at": None,
            "redaction": None,
        }
        if action in ("viewed", "updated", "created"):
            row.update(target_type="contact", target_id=contact_id,
                              contact_id=contact_id, label=name)
            if action == "updated":
                row["info"] = chain.json_text({"fields": ["phone"]})
                row["details"] = chain.json_text(
                    {"changes": {"phone": ["01 234 56 78", f"041 {n % 1000:03d} 000"]}})
        elif action == "list_viewed":
            row.update(target_type="contacts",
                              info=chain.json_text({"page": n % 5, "rows": 50,
                                                    "filtered": False}))
        elif action in ("login", "logout"):
            row.update(target_type="user_account", target_id=user_id, label=email)
        elif action == "exported":
            row.update(target_type="contact", target_id=contact_id,
                              contact_id=contact_id, label=name,
                              info=chain.json_text({"what": "subject data", "format": "docx",
                                                    "rows": 12}))
        else:
            row.update(label="kontakti.xlsx", info=chain.json_text(
                {"what": "contacts", "rows_read": 100, "created": 90, "updated": 8,
                 "rejected": 2}))
        if row["label"]:
            row["label_key"] = search_key(row["label"])
        yield row


def generate_audit(app: Flask, tenant_id: int, count: int, seed: int = 2024) -> None:
    """Append `count` generated, correctly hashed entries to the tenant's chain (made by
    `bench.datagen.generate` in an app with the audit plugin installed), in batches of
    `BATCH_SIZE` (Core inserts, as the recorder does at commit time). The same seed gives
    the same entries except for the per-entry salts and the times, relative to now."""
    rng = random.Random(f"crm-bench-audit:{seed}:{tenant_id}")
    with app.app_context(), tenant_scope(tenant_id):
        users = [tuple(row) for row in db.session.execute(
            select(User.id, User.email).order_by(User.id))]
        contacts = [(row.id, f"{row.first_name} {row.last_name}") for row in db.session.execute(
            select(Contact.id, Contact.first_name, Contact.last_name).order_by(Contact.id))]
        connection = db.session.connection()
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA cache_size=-262144")
        seq, previous = chain.lock_head(connection, tenant_id)
        batch: list[dict[str, Any]] = []
        for row in audit_entry_rows(rng, tenant_id, users, contacts, count):
            row["salt"] = secrets.token_hex(8)
            row["digest"] = chain.details_digest(row["salt"], row["label"], row["ip"],
                                                 row["user_agent"], row["details"])
            seq += 1
            row["seq"] = seq
            row["hash"] = previous = chain.entry_hash(previous, chain.chained_fields(row))
            batch.append(row)
            if len(batch) >= BATCH_SIZE:
                connection.execute(insert(AuditEntry.__table__), batch)
                batch = []
        if batch:
            connection.execute(insert(AuditEntry.__table__), batch)
        connection.execute(update(AuditChain.__table__)
                           .where(AuditChain.__table__.c.chain == tenant_id)
                           .values(last_seq=seq, last_hash=previous))
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE")
        db.session.commit()
