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
from sqlalchemy.orm import selectinload

from core.attachments import attachment_store, owned_by
from core.db import db
from core.events import Section
from core.hookspecs import hookimpl
from core.models import Activity, Attachment, Contact, activity_participant
from core.scoping import including_deleted

ERASED_FIRST_NAME = "erased person"
_CHUNK = 500


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
    activities = db.session.scalars(
        select(Activity)
        .join(activity_participant, activity_participant.c.activity_id == Activity.id)
        .where(activity_participant.c.contact_id == contact.id)
        .options(selectinload(Activity.participants), selectinload(Activity.company))
        .order_by(Activity.occurred_at.desc(), Activity.id)
    ).all()
    sections.append(Section(
        key="activities", title="Activities",
        columns=["When", "Kind", "Subject", "Notes", "Company", "Other participants"],
        rows=[
            [a.occurred_at, a.kind.value, a.subject, a.body,
             a.company.name if a.company else None, len(a.participants) - 1]
            for a in activities
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
        .where(owned_by(record, [record.id]))
        .order_by(Attachment.created_at, Attachment.id)
    ))


def _activities_with_participants(contact: Contact) -> list[Activity]:
    """The contact's activities with their participants loaded in a few queries (trashed
    ones too, inside `including_deleted`), so that counting and deleting them does not load
    each activity's participants on its own."""
    return list(db.session.scalars(
        select(Activity)
        .join(activity_participant, activity_participant.c.activity_id == Activity.id)
        .where(activity_participant.c.contact_id == contact.id)
        .options(selectinload(Activity.participants))
        .order_by(Activity.id)
    ))


def _attachments_of_many(model: type, owner_ids: list[int]) -> list[Attachment]:
    """The attachments of many records of one model, with IN lists of bounded length."""
    found: list[Attachment] = []
    for start in range(0, len(owner_ids), _CHUNK):
        found.extend(db.session.scalars(
            select(Attachment)
            .where(owned_by(model, owner_ids[start:start + _CHUNK]))
            .order_by(Attachment.created_at, Attachment.id)
        ))
    return found


@hookimpl
def crm_subject_erase(ctx: Any, contact: Contact, mode: str) -> list[str]:
    """Erase (`mode="erase"`: remove the contact, its own activities and its files) or
    anonymize (`mode="anonymize"`: keep the business records, replace the person's details
    with "erased person #<id>", remove its files) the core's part of `contact`, trashed rows
    included. Not committed; files are removed when the transaction commits."""
    store = attachment_store()
    session = db.session()
    lines: list[str] = []
    # one query per kind of row, not per activity, and no flush between them: a person with
    # thousands of activities is erased in seconds
    with including_deleted(), session.no_autoflush:
        files = _attachments_of(contact)
        activities = _activities_with_participants(contact)
        own_activities = [a for a in activities if len(a.participants) <= 1]
        shared = len(activities) - len(own_activities)
        if mode == "erase":
            files.extend(_attachments_of_many(Activity, [a.id for a in own_activities]))
            for activity in own_activities:
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

