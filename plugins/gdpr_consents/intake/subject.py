"""What the intake channels keep about a person, for the right of access and erasure:
the mailing-system webhook events of their address (raw payloads included) and their web
form submissions.

Webhook events are matched by the exact normalized address, and an `upemail` event also by
the new address in its payload (the row's address is the old one). Form submissions by
address or by the contact they were confirmed as. `erase` deletes them; `anonymize` keeps
the rows (counts, the replay digests) without address, names, IP, user agent or payload.
Either way the rows are first reported through `crm_records_purged` / `crm_records_anonymized`
so that the audit blanks its entries about them (they name the address, the names, IP and
user agent, and a submission is logged before any contact exists).

An address that belongs to no contact (a submission never confirmed) is found and erased by
`address_sections` / `erase_address` (`crm_address_data` / `crm_address_erase`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select, update

from core.db import db
from core.events import EventContext, RecordRef, Section, emit, record_type
from core.models import Contact
from plugins.gdpr_consents import PLUGIN
from plugins.gdpr_consents.intake.webform.models import FormSubmission
from plugins.gdpr_consents.models import Undeliverable, WebhookEvent
from plugins.gdpr_consents.subject import drop_marks, marks_section

EVENT_COLUMNS = ["Received", "System", "Event", "Address", "List", "Occurred", "Outcome",
                 "Payload"]
SUBMISSION_COLUMNS = ["Form", "Address", "First name", "Last name", "IP address",
                      "User agent", "Notice version", "Submitted", "Confirmed"]


def _event_ids(email: str | None) -> list[int]:
    if not email:
        return []
    ids = list(db.session.scalars(select(WebhookEvent.id).where(
        WebhookEvent.email == email)))
    for row in db.session.scalars(select(WebhookEvent).where(WebhookEvent.kind == "upemail",
                                                             WebhookEvent.payload.is_not(None))):
        if str((row.payload or {}).get("data[new_email]", "")).strip().lower() == email:
            ids.append(row.id)
    return sorted(set(ids))


def _submissions_of(contact: Contact) -> Any:
    condition = FormSubmission.contact_id == contact.id
    if contact.email:
        condition = or_(condition, FormSubmission.email == contact.email)
    return condition


def _address_submissions(email: str) -> Any:
    """The submissions of `email` that no contact was made from (never confirmed)."""
    return (FormSubmission.email == email) & FormSubmission.contact_id.is_(None)


def _address_events(email: str) -> list[int]:
    """The webhook events of `email` while no contact has it."""
    if db.session.scalar(select(Contact.id).where(Contact.email == email).limit(1)):
        return []
    return _event_ids(email)


def intake_sections(contact: Contact) -> list[Section]:
    """The webhook events and web form submissions of `contact`."""
    return _sections(_event_ids(contact.email), _submissions_of(contact))


def _address_marks(email: str) -> Any:
    """The deliverability marks of `email` that belong to no contact."""
    return (Undeliverable.email == email) & Undeliverable.contact_id.is_(None)


def address_sections(email: str) -> list[Section]:
    """The webhook events, never-confirmed web form submissions and deliverability marks of
    an address that no contact has (or only the submissions and marks without a contact,
    when a contact has it); empty ones left out."""
    marks = db.session.scalars(select(Undeliverable).where(_address_marks(email))
                               .order_by(Undeliverable.marked_at))
    sections = [*_sections(_address_events(email), _address_submissions(email)),
                marks_section(marks)]
    return [s for s in sections if s.rows]


def _sections(event_ids: list[int], submission_condition: Any) -> list[Section]:
    events = db.session.scalars(select(WebhookEvent).where(
        WebhookEvent.id.in_(event_ids)).order_by(WebhookEvent.received_at))
    event_rows = [[e.received_at, e.provider, e.kind, e.email, e.list_id, e.occurred_at,
                   e.outcome, e.payload] for e in events]
    submissions = db.session.scalars(select(FormSubmission).where(submission_condition)
                                     .order_by(FormSubmission.submitted_at))
    submission_rows = [[s.form.slug, s.email, s.first_name, s.last_name, s.ip, s.user_agent,
                        s.notice_version, s.submitted_at, s.confirmed_at]
                       for s in submissions]
    return [
        Section("gdpr_consents.webhook_events", "Mailing-system events", EVENT_COLUMNS,
                event_rows, PLUGIN),
        Section("gdpr_consents.form_submissions", "Web form submissions",
                SUBMISSION_COLUMNS, submission_rows, PLUGIN),
    ]


def erase_intake(ctx: EventContext, contact: Contact, mode: str) -> list[str]:
    """Delete (`erase`) or strip (`anonymize`) the webhook events and form submissions of
    `contact`; return one line per kind of thing changed. Not committed."""
    return _erase(ctx, _event_ids(contact.email), _submissions_of(contact), mode)


def erase_address(ctx: EventContext, email: str, mode: str) -> list[str]:
    """Delete or strip the never-confirmed submissions of `email` (and its webhook events
    while no contact has it) and delete its marks that belong to no contact; one line per
    kind of thing changed. Not committed."""
    lines = _erase(ctx, _address_events(email), _address_submissions(email), mode)
    marks = drop_marks(ctx, _address_marks(email))
    if marks:
        lines.append(f"{marks} deliverability mark(s) removed")
    return lines


def _refs(rows: list[Any]) -> list[RecordRef]:
    return [RecordRef(type=record_type(r), id=r.id, label=str(r), email=r.email) for r in rows]


def _erase(ctx: EventContext, ids: list[int], submission_condition: Any,
           mode: str) -> list[str]:
    """Report the rows to the other plugins (`crm_records_purged` or
    `crm_records_anonymized`: the audit blanks its entries about them, which name the
    address, names, IP and user agent), then delete or strip them."""
    options = {"synchronize_session": False}
    events = list(db.session.scalars(select(WebhookEvent).where(WebhookEvent.id.in_(ids)))) \
        if ids else []
    submissions = list(db.session.scalars(select(FormSubmission).where(submission_condition)))
    refs = _refs(events) + _refs(submissions)
    submission_ids = [s.id for s in submissions]
    if refs:
        hook = "crm_records_purged" if mode == "erase" else "crm_records_anonymized"
        emit(hook, ctx, records=refs)
    if mode == "erase":
        if ids:
            db.session.execute(delete(WebhookEvent).where(WebhookEvent.id.in_(ids)),
                               execution_options=options)
        if submission_ids:
            db.session.execute(delete(FormSubmission).where(
                FormSubmission.id.in_(submission_ids)), execution_options=options)
        done = "removed"
    else:
        if ids:
            db.session.execute(
                update(WebhookEvent).where(WebhookEvent.id.in_(ids)).values(email=None,
                                                                            payload=None),
                execution_options=options)
        if submission_ids:
            db.session.execute(
                update(FormSubmission).where(FormSubmission.id.in_(submission_ids)).values(
                    email=None, first_name="", last_name="", ip=None, user_agent=None),
                execution_options=options)
        done = "stripped of personal details"
    lines = []
    if events:
        lines.append(f"{len(events)} mailing-system event(s) with their payloads {done}")
    if submissions:
        lines.append(f"{len(submissions)} web form submission(s) {done}")
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, WebhookEvent | FormSubmission):
            db.session.expire(obj)
    return lines
