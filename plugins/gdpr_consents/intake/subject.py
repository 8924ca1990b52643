"""What the intake channels keep about a person, for the right of access and erasure:
the mailing-system webhook events of their address (raw payloads included) and their web
form submissions.

Webhook events are matched by the exact normalized address, and an `upemail` event also by
the new address in its payload (the row's address is the old one). Form submissions by
address or by the contact they were confirmed as. `erase` deletes them; `anonymize` keeps
the rows (counts, the replay digests) without address, names, IP, user agent or payload.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select, update

from core.db import db
from core.events import Section
from core.models import Contact
from plugins.gdpr_consents import PLUGIN
from plugins.gdpr_consents.intake.webform.models import FormSubmission
from plugins.gdpr_consents.models import WebhookEvent

EVENT_COLUMNS = ["Received", "System", "Event", "Address", "List", "Occurred", "Outcome",
                 "Payload"]
SUBMISSION_COLUMNS = ["Form", "Address", "First name", "Last name", "IP address",
                      "User agent", "Notice version", "Submitted", "Confirmed"]


def _event_ids(contact: Contact) -> list[int]:
    if not contact.email:
        return []
    ids = list(db.session.scalars(select(WebhookEvent.id).where(
        WebhookEvent.email == contact.email)))
    for row in db.session.scalars(select(WebhookEvent).where(WebhookEvent.kind == "upemail",
                                                             WebhookEvent.payload.is_not(None))):
        if str((row.payload or {}).get("data[new_email]", "")).strip().lower() == (
                contact.email):
            ids.append(row.id)
    return sorted(set(ids))


def _submissions_of(contact: Contact) -> Any:
    condition = FormSubmission.contact_id == contact.id
    if contact.email:
        condition = or_(condition, FormSubmission.email == contact.email)
    return condition


def intake_sections(contact: Contact) -> list[Section]:
    """The webhook events and web form submissions of `contact`."""
    events = db.session.scalars(select(WebhookEvent).where(
        WebhookEvent.id.in_(_event_ids(contact))).order_by(WebhookEvent.received_at))
    event_rows = [[e.received_at, e.provider, e.kind, e.email, e.list_id, e.occurred_at,
                   e.outcome, e.payload] for e in events]
    submissions = db.session.scalars(select(FormSubmission).where(_submissions_of(contact))
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


def erase_intake(contact: Contact, mode: str) -> list[str]:
    """Delete (`erase`) or strip (`anonymize`) the webhook events and form submissions of
    `contact`; return one line per kind of thing changed. Not committed."""
    options = {"synchronize_session": False}
    ids = _event_ids(contact)
    lines = []
    if mode == "erase":
        events = db.session.execute(delete(WebhookEvent).where(WebhookEvent.id.in_(ids)),
                                    execution_options=options).rowcount if ids else 0
        forms = db.session.execute(delete(FormSubmission).where(_submissions_of(contact)),
                                   execution_options=options).rowcount
        done = "removed"
    else:
        events = db.session.execute(
            update(WebhookEvent).where(WebhookEvent.id.in_(ids)).values(email=None,
                                                                        payload=None),
            execution_options=options).rowcount if ids else 0
        forms = db.session.execute(
            update(FormSubmission).where(_submissions_of(contact)).values(
                email=None, first_name="", last_name="", ip=None, user_agent=None),
            execution_options=options).rowcount
        done = "stripped of personal details"
    if events:
        lines.append(f"{events} mailing-system event(s) with their payloads {done}")
    if forms:
        lines.append(f"{forms} web form submission(s) {done}")
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, WebhookEvent | FormSubmission):
            db.session.expire(obj)
    return lines
