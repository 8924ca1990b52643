"""What an export holds: the sections about a person or a company, item by item.

A person's sections come from `crm_subject_data` on the core and the plugins the tenant has
enabled (the core leaves other participants out and the central filters leave trashed rows
and other tenants' rows out). A company's sections are the company, its contacts and all
their activities. Every row becomes an `Item` with an id derived from its section and its
content, so that the review page can tick items on and off; `Pack.digest` fingerprints all
ids, so a download refuses to go out when the data changed after it was reviewed.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from core.attachments import owned_by
from core.clock import to_local, utcnow
from core.db import db
from core.events import EventContext, Section
from core.models import Activity, Attachment, Company, Contact, activity_participant
from core.text import sanitize_text

CORE = "core"
FIELD_VALUE = ["Field", "Value"]
LABEL_LENGTH = 120
ID_HASH_LENGTH = 16


@dataclass
class Item:
    """One row of a section, with the id the review page ticks."""

    id: str
    values: list[Any]


@dataclass
class PackSection:
    """A section of an export: its key, title, the plugin it came from, columns and items."""

    key: str
    title: str
    plugin: str
    columns: list[str]
    items: list[Item] = field(default_factory=list)

    @property
    def rows(self) -> list[list[Any]]:
        """The items' values."""
        return [item.values for item in self.items]

    @property
    def is_record(self) -> bool:
        """True for a Field/Value section (a profile), shown as one record."""
        return self.columns == FIELD_VALUE


@dataclass
class Pack:
    """Everything one export is about: whom, for which organisation, and the sections."""

    kind: str  # "contact" or "company"
    record_id: int
    label: str
    email: str | None
    organisation: str
    time_zone: str
    sections: list[PackSection]
    generated_at: datetime = field(default_factory=utcnow)

    @property
    def what(self) -> str:
        """What the export is called in events: `subject data` or `company data`."""
        return "subject data" if self.kind == "contact" else "company data"

    @property
    def row_count(self) -> int:
        """The number of items in all sections."""
        return sum(len(section.items) for section in self.sections)

    def digest(self) -> str:
        """A fingerprint of every section and item id (changes when the data changes)."""
        hasher = hashlib.sha256()
        for section in self.sections:
            hasher.update(f"[{section.key}]\n".encode())
            for item in section.items:
                hasher.update(f"{item.id}\n".encode())
        return hasher.hexdigest()

    def item_label(self, section: PackSection, item: Item) -> str:
        """A short description of an item (its first non-empty values) for the review
        page's accessible names and for the record of what was left out."""
        parts = [show(value, self.time_zone) for value in item.values]
        if section.is_record:
            text = f"{parts[0]}: {parts[1]}" if len(parts) > 1 else parts[0]
        else:
            text = " · ".join(part for part in parts if part)
        text = " ".join(text.split())
        return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1] + "…"

    def choose(self, sections: Iterable[str], items: Iterable[str]) -> tuple[Pack, list[dict]]:
        """Return the pack with only the ticked sections and items, and a description of
        each section or item left out (`{"section", "item", "label"}`)."""
        keep_sections, keep_items = set(sections), set(items)
        chosen: list[PackSection] = []
        left_out: list[dict[str, str]] = []
        for section in self.sections:
            if section.key not in keep_sections:
                left_out.append({"section": section.key, "item": "*",
                                 "label": f"the whole section '{section.title}' "
                                          f"({len(section.items)} item(s))"})
                continue
            kept = []
            for item in section.items:
                if item.id in keep_items:
                    kept.append(item)
                else:
                    left_out.append({"section": section.key, "item": item.id,
                                     "label": self.item_label(section, item)})
            chosen.append(PackSection(section.key, section.title, section.plugin,
                                      section.columns, kept))
        pack = Pack(self.kind, self.record_id, self.label, self.email, self.organisation,
                    self.time_zone, chosen, self.generated_at)
        return pack, left_out


# --- values ----------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """`value` as one of the types every format writes: None, bool, int, float, Decimal,
    an aware datetime, a date, or sanitized text (lists are joined, dicts become JSON,
    enums their value; a naive datetime is taken as UTC, as the database stores it)."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return value if value.utcoffset() is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(show(part, "UTC")) for part in value)
    if isinstance(value, dict):
        return sanitize_text(json.dumps(value, ensure_ascii=False, default=str, sort_keys=True))
    return sanitize_text(str(value))


def show(value: Any, time_zone: str) -> str:
    """`value` as text a person reads (times in `time_zone`, `YYYY-MM-DD HH:MM`)."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return to_local(value, time_zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _canonical(value: Any) -> str:
    """A plain value as exact text (full-precision UTC times) for ids and matching."""
    value = plain(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return "" if value is None else str(value)


def _item_id(key: str, values: list[Any], seen: dict[str, int]) -> str:
    canonical = json.dumps([key, [_canonical(v) for v in values]], ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:ID_HASH_LENGTH]
    base = f"{key}:{digest}"
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}-{seen[base]}"


def pack_section(section: Section) -> PackSection:
    """Turn a hook's `Section` into a section of items with ids (values made plain)."""
    seen: dict[str, int] = {}
    items = []
    for row in section.rows:
        values = [plain(value) for value in row]
        items.append(Item(_item_id(section.key, values, seen), values))
    return PackSection(section.key, section.title, section.plugin or CORE,
                       [sanitize_text(str(c)) for c in section.columns], items)


# --- a person --------------------------------------------------------------------------------


def contact_pack(ctx: EventContext, contact: Contact) -> Pack:
    """Gather what the core and the tenant's enabled plugins hold about `contact`: the core's
    sections first, then each plugin's in the order the plugins are installed."""
    host = current_app.extensions["crm"]["plugins"]
    _preload(contact)
    groups = host.caller_for(ctx.tenant_id, "crm_subject_data")(ctx=ctx, contact=contact)
    sections = [section for group in groups for section in (group or [])]
    order = [CORE, *host.installed]

    def position(indexed: tuple[int, Section]) -> tuple[int, int]:
        index, section = indexed
        plugin = section.plugin or CORE
        return (order.index(plugin) if plugin in order else len(order), index)

    ordered = [s for _, s in sorted(enumerate(sections), key=position)]
    return Pack(
        kind="contact", record_id=contact.id, label=contact.full_name, email=contact.email,
        organisation=ctx.tenant.name, time_zone=ctx.tenant.time_zone,
        sections=_unique_keys([pack_section(s) for s in ordered]),
    )


def _preload(contact: Contact) -> None:
    """Load the person's activities with their participants and companies, and the tags and
    company, in a few queries: the core's section reads them one activity at a time, which
    costs a query per activity when they are not loaded yet (5,000 activities: seconds)."""
    db.session.scalars(
        select(Contact).where(Contact.id == contact.id).options(
            selectinload(Contact.tags), selectinload(Contact.company),
            selectinload(Contact.activities).options(
                selectinload(Activity.participants), selectinload(Activity.company)),
        )
    ).all()


def _unique_keys(sections: list[PackSection]) -> list[PackSection]:
    """Two sections with the same key (two plugins' mistake) get distinct keys."""
    seen: dict[str, int] = {}
    for section in sections:
        seen[section.key] = seen.get(section.key, 0) + 1
        if seen[section.key] > 1:
            section.key = f"{section.key}-{seen[section.key]}"
            for item in section.items:
                item.id = f"{section.key}:{item.id.split(':', 1)[1]}"
    return sections


# --- a company -------------------------------------------------------------------------------

COMPANY_CONTACT_COLUMNS = ["First name", "Last name", "E-mail", "Phone", "Tags", "Notes",
                           "Created"]
COMPANY_ACTIVITY_COLUMNS = ["When", "Kind", "Subject", "Notes", "Participants",
                            "Other participants"]


def company_pack(ctx: EventContext, company: Company) -> Pack:
    """Gather the company, its contacts and all their activities (and the company's own);
    participants who are not the company's contacts are counted, never named."""
    contacts = list(db.session.scalars(
        select(Contact).where(Contact.company_id == company.id)
        .options(selectinload(Contact.tags))
        .order_by(Contact.last_name, Contact.first_name, Contact.id)
    ))
    ids = {c.id for c in contacts}
    involving = select(activity_participant.c.activity_id).where(
        activity_participant.c.contact_id.in_(ids)) if ids else None
    condition = Activity.company_id == company.id
    if involving is not None:
        condition = or_(condition, Activity.id.in_(involving))
    activities = db.session.scalars(
        select(Activity).where(condition)
        .options(selectinload(Activity.participants))
        .order_by(Activity.occurred_at.desc(), Activity.id.desc())
    ).all()
    profile = Section("company", "Company", FIELD_VALUE, [
        ["Name", company.name], ["VAT ID", company.vat_id], ["Website", company.website],
        ["Phone", company.phone], ["Address", company.address], ["Notes", company.notes],
        ["Created", company.created_at], ["Last changed", company.updated_at],
    ])
    people = Section("contacts", "Contacts", COMPANY_CONTACT_COLUMNS, [
        [c.first_name, c.last_name, c.email, c.phone, ", ".join(t.name for t in c.tags),
         c.notes, c.created_at] for c in contacts
    ])
    rows = []
    for activity in activities:
        ours = [p for p in activity.participants if p.id in ids]
        rows.append([activity.occurred_at, activity.kind.value, activity.subject, activity.body,
                     ", ".join(p.full_name for p in ours),
                     len(activity.participants) - len(ours)])
    files = db.session.scalars(
        select(Attachment).where(owned_by(company, [company.id]))
        .order_by(Attachment.created_at, Attachment.id)
    ).all()
    attachments = Section("attachments", "Attachments",
                          ["File", "Type", "Size (bytes)", "Uploaded"],
                          [[a.filename, a.content_type, a.size, a.created_at] for a in files])
    sections = [profile, people,
                Section("activities", "Activities", COMPANY_ACTIVITY_COLUMNS, rows),
                attachments]
    return Pack(
        kind="company", record_id=company.id, label=company.name, email=None,
        organisation=ctx.tenant.name, time_zone=ctx.tenant.time_zone,
        sections=[pack_section(s) for s in sections],
    )


# --- attachments for the ZIP -----------------------------------------------------------------


def attachments_for(pack: Pack) -> list[Attachment]:
    """The stored files behind the pack's (ticked) `attachments` section, matched by name,
    size and upload time among the record's own attachments."""
    section = next((s for s in pack.sections if s.key == "attachments"), None)
    if section is None or not section.items:
        return []
    wanted = {_file_key(item.values[0], item.values[2], item.values[3])
              for item in section.items if len(item.values) >= 4}
    candidates = db.session.scalars(
        select(Attachment).where(Attachment.owner_type == pack.kind,
                                 Attachment.owner_id == pack.record_id)
        .order_by(Attachment.created_at, Attachment.id)
    ).all()
    return [a for a in candidates if _file_key(a.filename, a.size, a.created_at) in wanted]


def _file_key(name: Any, size: Any, uploaded: Any) -> tuple[str, str, str]:
    return (_canonical(name), _canonical(size), _canonical(uploaded))
