"""The core's own part of a person's data: what it contributes to a right-of-access export
or an erasure preview (`crm_subject_data`) and how it erases or anonymizes it
(`crm_subject_erase`).

This module is registered with every app's plugin manager under the name `core` and is never
switched off, so exports and erasures always cover the core's tables; plugins add their own
parts through the same hooks.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.attachments import attachment_store
from core.db import db
from core.events import Section, record_type
from core.hookspecs import hookimpl
from core.models import Attachment, Contact
from core.scoping import including_deleted

ERASED_FIRST_NAME = "erased person"


@hookimpl
def crm_subject_data(ctx: Any, contact: Contact) -> list[Section]:
    """Return the profile, company, activities and attachments of `contact` (live rows only);
    other participants of shared activities are counted, never named."""
    sections = [_profile(contact)]
    if contact.company is not None:
        company = contact.company
        sections.append(Section(
            key="company", title="Company",
            columns=["Name", "VAT ID", "Website", "Phone", "Address"],
            rows=[[company.name, company.vat_id, company.website, company.phone,
                   company.address]],
        ))
    sections.append(Section(
        key="activities", title="Activities",
        columns=["When", "Kind", "Subject", "Notes", "Company", "Other participants"],
        rows=[
            [a.occurred_at, a.kind.value, a.subject, a.body,
             a.company.name if a.company else None, len(a.participants) - 1]
            for a in contact.activities
        ],
    ))
    sections.append(Section(
        key="attachments", title="Attachments",
        columns=["File", "Type", "Size (bytes)", "Uploaded"],
        rows=[[a.filename, a.content_type, a.size, a.created_at]
              for a in _attachments_of(contact)],
    ))
    return sections


def _profile(contact: Contact) -> Section:
    return Section(
        key="profile", title="Profile",
        columns=["Field", "Value"],
        rows=[
            ["First name", contact.first_name],
            ["Last name", contact.last_name],
            ["E-mail", contact.email],
            ["Phone", contact.phone],
            ["Company", contact.company.name if contact.company else None],
            ["Tags", ", ".join(t.name for t in contact.tags)],
            ["Notes", contact.notes],
            ["Created", contact.created_at],
            ["Last changed", contact.updated_at],
        ],
    )


def _attachments_of(record: Any) -> list[Attachment]:
    return list(db.session.scalars(
        select(Attachment)
        .where(Attachment.owner_type == record_type(record), Attachment.owner_id == record.id)
        .order_by(Attachment.created_at, Attachment.id)
    ))


@hookimpl
def crm_subject_erase(ctx: Any, contact: Contact, mode: str) -> list[str]:
    """Erase (`mode="erase"`: remove the contact, its own activities and its files) or
    anonymize (`mode="anonymize"`: keep the business records, replace the person's details
    with "erased person #<id>", remove its files) the core's part of `contact`, trashed rows
    included. Not committed; files are removed when the transaction commits."""
    store = attachment_store()
    session = db.session()
    lines: list[str] = []
    with including_deleted():
        files = _attachments_of(contact)
        own_activities, shared = [], 0
        for activity in list(contact.activities):
            if len(activity.participants) <= 1:
                own_activities.append(activity)
            else:
                shared += 1
        if mode == "erase":
            for activity in own_activities:
                for attachment in _attachments_of(activity):
                    files.append(attachment)
                session.delete(activity)
            contact.activities = []
            lines.append(f"{len(own_activities)} activities with only this person removed")
            if shared:
                lines.append(f"removed from {shared} activities shared with others")
        for attachment in files:
            store.remove_file_on_commit(attachment, session)
            session.delete(attachment)
        lines.append(f"{len(files)} attachments and their files removed")
        if mode == "erase":
            session.delete(contact)
            lines.append("contact profile removed")
        else:
            contact.first_name = ERASED_FIRST_NAME
            contact.last_name = f"#{contact.id}"
            contact.email = None
            contact.phone = None
            contact.notes = None
            contact.tags = []
            lines.append(f"contact profile replaced by '{ERASED_FIRST_NAME} #{contact.id}'")
    return lines

