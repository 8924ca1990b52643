"""The right to erasure: find a person, preview what will go, erase or anonymize, remember.

A person is the tenant's contacts with one exact normalized address, live and trashed (or
one contact without an address, from its page), and what plugins keep under the address and
no contact (`crm_address_data` / `crm_address_erase`: a web form submission never
confirmed), so that a person who never became a contact can be erased too. The preview asks
every enabled plugin and the core (`crm_subject_data`, trashed rows included); the erasure
asks each to erase or anonymize its part (`crm_subject_erase`; in erase mode
`crm_records_purged` first names the records that go with the person: the contact, the
activities it alone took part in, its attachments and the rows of other plugins that belong
to it), then settles the trash units the person's rows were in (empty ones go; in erase
mode whatever is left of them is purged; in anonymize mode their labels are renewed) and
adds the address to the erasure ledger (`ledger.py`), which answers `crm_is_suppressed`
from then on. After a backup restore `reapply_erasures` erases again everyone in the ledger
who came back with the older database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core.db import db
from core.dependants import dependants_of, rows_of_units
from core.emails import normalize_email
from core.events import EventContext, Section, context, emit
from core.models import Contact, Tenant
from core.records import record_ref
from core.scoping import all_tenants, including_deleted, tenant_scope
from plugins.trash import ledger
from plugins.trash.models import TrashUnit
from plugins.trash.purge import purge_rows
from plugins.trash.units import label_of

ERASE = "erase"
ANONYMIZE = "anonymize"
MODES = (ERASE, ANONYMIZE)
SCAN_BATCH = 5000


@dataclass
class Subject:
    """The person to erase: the tenant's contacts with one address (live and trashed)."""

    email: str | None
    contacts: list[Contact]

    @property
    def label(self) -> str:
        """How the person is named in messages."""
        if self.email:
            return self.email
        return ", ".join(f"contact #{c.id}" for c in self.contacts) or "nobody"


@dataclass
class ContactPreview:
    """What the core and the plugins hold about one of the person's contacts."""

    contact: Contact
    trashed: bool
    sections: list[Section]

    @property
    def row_count(self) -> int:
        """How many rows the sections list."""
        return sum(len(s.rows) for s in self.sections)


def find_by_email(email: str) -> Subject:
    """The person with this address in the tenant in scope (raises InvalidEmail)."""
    address = normalize_email(email)
    with including_deleted():
        contacts = list(db.session.scalars(
            select(Contact).where(Contact.email == address).order_by(Contact.id)))
    return Subject(address, contacts)


def find_by_contact(contact: Contact) -> Subject:
    """The person of `contact`: it, and the other contacts with its address."""
    if not contact.email:
        return Subject(None, [contact])
    subject = find_by_email(contact.email)
    if contact not in subject.contacts:
        subject.contacts.insert(0, contact)
    return subject


def preview(ctx: EventContext, subject: Subject) -> list[ContactPreview]:
    """Everything the core and the enabled plugins hold about the person, trashed rows
    included, per contact; the core's sections first."""
    previews = []
    with including_deleted():
        for contact in subject.contacts:
            groups = emit("crm_subject_data", ctx, contact=contact) or []
            sections = [s for group in groups for s in (group or [])]
            sections.sort(key=lambda s: s.plugin != "core")
            previews.append(ContactPreview(contact, contact.deleted_at is not None, sections))
    return previews


def address_preview(ctx: EventContext, subject: Subject) -> list[Section]:
    """What the enabled plugins hold under the person's address and no contact (a web form
    submission never confirmed, mailing-system events): `crm_address_data`."""
    if not subject.email:
        return []
    groups = emit("crm_address_data", ctx, email=subject.email) or []
    return [s for group in groups for s in (group or [])]


def erase_subject(ctx: EventContext, tenant: Any, subject: Subject, mode: str,
                  remember: bool = True) -> list[str]:
    """Erase or anonymize the person (not committed; attachment files go at the commit).
    With `remember` the address joins the ledger (its file line is written now). Returns
    the report, one line per kind of thing changed."""
    if mode not in MODES:
        raise ValueError(f"unknown erasure mode '{mode}' (use erase or anonymize)")
    lines: list[str] = []
    with including_deleted():
        units = _units_of(subject)
        for contact in subject.contacts:
            name = f"contact #{contact.id}"
            if mode == ERASE:
                # what goes with the person, so that plugins forget those records too
                going = [contact, *dependants_of(contact)]
                emit("crm_records_purged", ctx, records=[record_ref(r) for r in going])
            for group in emit("crm_subject_erase", ctx, contact=contact, mode=mode) or []:
                lines.extend(f"{name}: {line}" for line in group or [])
        db.session.flush()
        lines.extend(_settle_units(ctx, units, mode))
        if subject.email:
            # what is kept under the address and no contact (a submission never confirmed)
            for group in emit("crm_address_erase", ctx, email=subject.email, mode=mode) or []:
                lines.extend(f"{subject.email}: {line}" for line in group or [])
    if remember and subject.email:
        ledger.record(tenant, subject.email, mode, ctx.at, ctx.actor, len(subject.contacts))
        lines.append("the address was added to the erasure ledger: imports, forms, webhooks "
                     "and restores will not bring it back")
    return lines


def _units_of(subject: Subject) -> set[str]:
    units: set[str] = set()
    for contact in subject.contacts:
        for row in [contact, *dependants_of(contact)]:
            if row.deletion_unit:
                units.add(row.deletion_unit)
    return units


def _settle_units(ctx: EventContext, units: set[str], mode: str) -> list[str]:
    """After the plugins erased their parts: drop the units left empty; in erase mode
    purge what is left of the units whose record is gone; else renew labels and counts."""
    purged_rows = 0
    for unit in sorted(units):
        row = db.session.scalar(select(TrashUnit).where(TrashUnit.unit == unit))
        left = rows_of_units([unit])
        if row is None:
            continue
        main = next((r for r in left if (r.__table__.name, r.id) ==
                     (row.record_type, row.record_id)), None)
        if not left or (mode == ERASE and main is None):
            purged_rows += purge_rows(ctx, left)[0]
            db.session.delete(row)
            continue
        row.rows = len(left)
        if main is not None:
            row.label = label_of(main)
    return [f"{purged_rows} other trashed row(s) of the person's units purged"] if purged_rows \
        else []


def reapply_erasures(actor: str) -> list[str]:
    """After a backup restore: carry the ledger file into the database, then erase again
    (as recorded: erase or anonymize) every contact whose address is in the ledger of its
    tenant. Commits per tenant. Returns the report lines."""
    try:
        return _reapply(actor)
    except ledger.LedgerError as exc:
        db.session.rollback()
        return [f"trash: the erasures could NOT be re-applied: {exc}; then run "
                "'crm backup restore' again."]


def _reapply(actor: str) -> list[str]:
    by_tenant, lines = ledger.replay_into_database()
    with all_tenants():
        db.session.commit()
        tenants = {t.slug: t for t in db.session.scalars(select(Tenant))}
    total = sum(len(v) for v in by_tenant.values())
    again = 0
    for slug, entries in sorted(by_tenant.items()):
        tenant = tenants.get(slug)
        if tenant is None:
            continue
        modes: dict[str, str] = {}
        for entry in entries:  # erase wins over anonymize for the same address
            if modes.get(entry.email_hash) != ERASE:
                modes[entry.email_hash] = entry.mode
        ctx = context(tenant=tenant, actor=actor)
        with tenant_scope(tenant.id):
            for digest, contacts in _contacts_by_hash(set(modes)).items():
                subject = Subject(contacts[0].email, contacts)
                erase_subject(ctx, tenant, subject, modes[digest], remember=False)
                db.session.commit()
                again += 1
                when = next(e.erased_at for e in entries if e.email_hash == digest)
                ids = ", ".join(f"#{c.id}" for c in contacts)
                verb = "erased" if modes[digest] == ERASE else "anonymized"
                lines.append(f"trash: {slug}: a person {verb} on {when:%Y-%m-%d} came back "
                             f"with the backup and was {verb} again (contact {ids}).")
    lines.append(f"trash: the erasure ledger holds {total} erasure(s); {again} person(s) "
                 "were erased again.")
    return lines


def _contacts_by_hash(digests: set[str]) -> dict[str, list[Contact]]:
    """The tenant's contacts (trashed too) whose address hashes to one of `digests`."""
    if not digests:
        return {}
    key = ledger.ledger_key()
    found: dict[str, list[int]] = {}
    last = 0
    with including_deleted():
        while True:
            batch = db.session.execute(
                select(Contact.id, Contact.email)
                .where(Contact.email.is_not(None), Contact.id > last)
                .order_by(Contact.id).limit(SCAN_BATCH)
            ).all()
            if not batch:
                break
            last = batch[-1].id
            for contact_id, email in batch:
                digest = ledger.hash_normalized(key, email)
                if digest in digests:
                    found.setdefault(digest, []).append(contact_id)
        return {
            digest: list(db.session.scalars(
                select(Contact).where(Contact.id.in_(ids)).order_by(Contact.id)))
            for digest, ids in found.items()
        }
