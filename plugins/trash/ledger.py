"""The erasure ledger: which addresses were erased, kept so that they do not come back.

Only a keyed hash of the normalized address is kept: HMAC-SHA256 with a key in
`<instance>/trash/ledger.key` (mode 600, made once), never in the database, so a copy of
the database alone tells nobody which addresses were erased, and a restore of the database
does not lose the key. Each entry is kept twice:

- in the `trash_erasure` table (per tenant), which answers `crm_is_suppressed` quickly;
- appended to `<instance>/trash/erasures.jsonl` (one JSON object per line, mode 600), which a
  restore of an older backup does not overwrite. After a restore `replay_into_database`
  carries every entry from the file back into the table, and the trash plugin erases again
  everyone erased since the backup was made.

The file line is written (and synced to disk) before the erasure commits: if the commit
then fails, the line stays, and a later replay erases a person who asked to be erased.
Keep `<instance>/trash/` in your server backups, apart from `crm backup`: without the key the
ledger can match nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from core.db import db
from core.emails import InvalidEmail, normalize_email
from core.models import Tenant
from core.scoping import all_tenants, tenant_scope
from plugins.trash.models import TrashErasure

KEY_FILE = "ledger.key"
LEDGER_FILE = "erasures.jsonl"


class LedgerError(RuntimeError):
    """The ledger's key or file cannot be used; the message says what to do."""


@dataclass(frozen=True)
class LedgerEntry:
    """One line of the ledger file."""

    tenant: str
    email_hash: str
    mode: str
    erased_at: datetime
    erased_by: str
    contacts: int

    def as_json(self) -> str:
        """The entry as one line of JSON."""
        return json.dumps({
            "tenant": self.tenant, "hash": self.email_hash, "mode": self.mode,
            "at": self.erased_at.isoformat(), "by": self.erased_by, "contacts": self.contacts,
        }, sort_keys=True)


def ledger_dir() -> Path:
    """`<instance>/trash/` (made with mode 700)."""
    folder = Path(current_app.instance_path) / "trash"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def ledger_path() -> Path:
    """The append-only ledger file."""
    return ledger_dir() / LEDGER_FILE


def ledger_key() -> bytes:
    """The HMAC key, made on first use. Refuses to make a new key while a ledger file with
    entries exists: those entries could never be matched again."""
    path = ledger_dir() / KEY_FILE
    if path.exists():
        key = path.read_bytes().strip()
        if len(key) < 32:
            raise LedgerError(f"the erasure ledger key {path} is damaged; restore it from "
                              "your server backup")
        return key
    ledger = ledger_path()
    if ledger.exists() and ledger.stat().st_size > 0:
        raise LedgerError(f"the erasure ledger key {path} is missing but {ledger} has "
                          "entries; restore the key from your server backup")
    key = secrets.token_hex(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return ledger_key()
    with os.fdopen(fd, "wb") as out:
        out.write(key)
        out.flush()
        os.fsync(out.fileno())
    return key


def address_hash(email: str) -> str | None:
    """The keyed hash of an address (normalized first); None for something that is not an
    address."""
    try:
        normalized = normalize_email(email)
    except (InvalidEmail, TypeError):
        return None
    return hash_normalized(ledger_key(), normalized)


def hash_normalized(key: bytes, normalized: str) -> str:
    """The keyed hash of an address that is already normalized (as stored on contacts)."""
    return hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()


def find(tenant_id: int, email: str) -> TrashErasure | None:
    """The tenant's ledger entry for `email` (exact normalized address), or None."""
    if not (ledger_dir() / KEY_FILE).exists():
        return None  # nothing was ever erased here (the first erasure makes the key)
    digest = address_hash(email)
    if digest is None:
        return None
    with tenant_scope(tenant_id):
        return db.session.scalar(select(TrashErasure).where(TrashErasure.email_hash == digest))


def record(tenant: Any, email: str, mode: str, at: datetime, by: str, contacts: int) -> None:
    """Add the erasure of `email` to the tenant's ledger: the file now (synced), the table
    in the current transaction (not committed). An address already there keeps its first
    entry in the table; the file gets the new line too."""
    digest = address_hash(email)
    if digest is None:
        return
    entry = LedgerEntry(tenant.slug, digest, mode, at, by[:255], contacts)
    append_to_file(entry)
    with tenant_scope(tenant.id):
        existing = db.session.scalar(
            select(TrashErasure).where(TrashErasure.email_hash == digest))
        if existing is None:
            db.session.add(TrashErasure(tenant_id=tenant.id, email_hash=digest, mode=mode,
                                        erased_at=at, erased_by=by[:255], contacts=contacts))


def append_to_file(entry: LedgerEntry) -> None:
    """Append one line to the ledger file under an exclusive lock and sync it to disk."""
    path = ledger_path()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        fcntl.flock(out.fileno(), fcntl.LOCK_EX)
        try:
            out.write(entry.as_json() + "\n")
            out.flush()
            os.fsync(out.fileno())
        finally:
            fcntl.flock(out.fileno(), fcntl.LOCK_UN)


def read_file() -> tuple[list[LedgerEntry], int]:
    """Every readable entry of the ledger file, and how many lines could not be read."""
    path = ledger_path()
    if not path.exists():
        return [], 0
    entries, bad = [], 0
    with path.open(encoding="utf-8") as source:
        for line in source:
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                entries.append(LedgerEntry(
                    tenant=str(data["tenant"]), email_hash=str(data["hash"]),
                    mode=str(data["mode"]), erased_at=datetime.fromisoformat(data["at"]),
                    erased_by=str(data.get("by", "")), contacts=int(data.get("contacts", 0)),
                ))
            except (ValueError, KeyError, TypeError):
                bad += 1
    return entries, bad


def replay_into_database() -> tuple[dict[str, list[LedgerEntry]], list[str]]:
    """Carry the file's entries into the table of every tenant that exists (not
    committed), and append to the file the table's entries it lacks. Returns the file's
    entries by tenant slug, and lines for the report."""
    entries, bad = read_file()
    lines = []
    if bad:
        lines.append(f"trash: {bad} line(s) of the erasure ledger {ledger_path()} could not "
                     "be read and were skipped.")
    by_tenant: dict[str, list[LedgerEntry]] = {}
    for entry in entries:
        by_tenant.setdefault(entry.tenant, []).append(entry)
    with all_tenants():
        tenants = {t.slug: t for t in db.session.scalars(select(Tenant))}
        stored = list(db.session.scalars(select(TrashErasure)))
    in_file = {(e.tenant, e.email_hash) for e in entries}
    by_id = {t.id: t for t in tenants.values()}
    for row in stored:
        tenant = by_id.get(row.tenant_id)
        if tenant is not None and (tenant.slug, row.email_hash) not in in_file:
            entry = LedgerEntry(tenant.slug, row.email_hash, row.mode, row.erased_at,
                                row.erased_by, row.contacts)
            append_to_file(entry)
            by_tenant.setdefault(tenant.slug, []).append(entry)
    have = {(r.tenant_id, r.email_hash) for r in stored}
    for slug, group in sorted(by_tenant.items()):
        tenant = tenants.get(slug)
        if tenant is None:
            lines.append(f"trash: {len(group)} erasure(s) of tenant '{slug}' were skipped: "
                         "that tenant is not in this database.")
            continue
        for entry in group:
            if (tenant.id, entry.email_hash) in have:
                continue
            have.add((tenant.id, entry.email_hash))
            db.session.add(TrashErasure(
                tenant_id=tenant.id, email_hash=entry.email_hash, mode=entry.mode,
                erased_at=entry.erased_at, erased_by=entry.erased_by, contacts=entry.contacts))
    with all_tenants():
        db.session.flush()
    return by_tenant, lines
