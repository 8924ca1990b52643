"""A person's consents for the right of access, and their erasure.

`sections` gathers the contact's consents, their history and the deliverability marks of
the address as `core.events.Section`s (only this contact: matched by id, the marks by the
exact normalized address). `erase` removes (`erase`) or strips of personal details
(`anonymize`) the plugin's part of a person, with bulk statements: no before/after values of
what is being erased travel through the record-change events. `purged` drops the proof
files of contacts and consents the core or the trash removes for good.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select, update

from core.attachments import attachment_store, owned_by
from core.db import db
from core.events import EventContext, RecordRef, Section, emit, record_type
from core.models import Attachment, Contact
from core.scoping import including_deleted
from plugins.gdpr_consents import PLUGIN
from plugins.gdpr_consents.consents import ERASING_KEY, proofs_of
from plugins.gdpr_consents.models import (
    Consent,
    ConsentEvent,
    Purpose,
    Undeliverable,
)

CONSENT_COLUMNS = [
    "Purpose", "Legal basis", "State", "Source", "Source detail", "Given at", "Duration (months)",
    "Expires at", "Withdrawn at", "Withdrawal reason", "Refused at", "Requested at",
    "IP address", "User agent", "Notice version", "Notice SHA-256", "Recorded by", "Proofs",
]
HISTORY_COLUMNS = [
    "When", "Purpose", "Change", "State before", "State after", "Effective at", "By",
    "Source", "Reason",
]
MARK_COLUMNS = ["Address", "Marked at", "Reason", "Source", "Detail", "Cleared at"]


def sections(ctx: EventContext, contact: Contact) -> list[Section]:
    """Return the consents, consent history and deliverability marks of `contact`."""
    rows = db.session.execute(
        select(Consent, Purpose).join(Purpose, Purpose.id == Consent.purpose_id)
        .where(Consent.contact_id == contact.id).order_by(Purpose.code)
    ).all()
    proofs = proofs_of(c.id for c, _ in rows)
    consent_rows = [[
        f"{p.name} ({p.code})", p.legal_basis.article, c.state.value, c.source, c.source_detail,
        c.given_at, c.duration_months, c.expires_at, c.withdrawn_at, c.withdrawal_reason,
        c.refused_at, c.requested_at, c.ip, c.user_agent, c.notice_version, c.notice_hash,
        c.recorded_by, ", ".join(a.filename for a in proofs.get(c.id, [])),
    ] for c, p in rows]
    events = db.session.execute(
        select(ConsentEvent, Purpose.code)
        .join(Consent, Consent.id == ConsentEvent.consent_id)
        .join(Purpose, Purpose.id == ConsentEvent.purpose_id)
        .where(ConsentEvent.contact_id == contact.id)
        .order_by(ConsentEvent.at, ConsentEvent.id)
    ).all()
    history_rows = [[
        e.at, code, e.kind.value, e.state_before, e.state_after, e.effective_at, e.actor,
        e.source, e.reason,
    ] for e, code in events]
    marks = [] if not contact.email else db.session.scalars(
        select(Undeliverable).where(Undeliverable.email == contact.email)
        .order_by(Undeliverable.marked_at)
    ).all()
    return [
        Section("gdpr_consents.consents", "Consents", CONSENT_COLUMNS, consent_rows, PLUGIN),
        Section("gdpr_consents.history", "Consent history", HISTORY_COLUMNS, history_rows,
                PLUGIN),
        marks_section(marks),
    ]


def marks_section(marks: Any) -> Section:
    """The "Deliverability" section listing the marks `marks`."""
    return Section("gdpr_consents.deliverability", "Deliverability", MARK_COLUMNS,
                   [[m.email, m.marked_at, m.reason, m.source, m.detail, m.cleared_at]
                    for m in marks], PLUGIN)


def _marks_of(contact: Contact) -> Any:
    condition = Undeliverable.contact_id == contact.id
    if contact.email:
        condition = or_(condition, Undeliverable.email == contact.email)
    return condition


def drop_marks(ctx: EventContext, condition: Any) -> int:
    """Delete the deliverability marks matching `condition`, reporting them first through
    `crm_records_purged` (a mark made before any contact had the address is logged with the
    address and no contact: only its own record finds it). Returns how many went."""
    marks = list(db.session.scalars(select(Undeliverable).where(condition)))
    if not marks:
        return 0
    emit("crm_records_purged", ctx, records=[
        RecordRef(type=record_type(m), id=m.id, label=str(m), email=m.email) for m in marks])
    ids = [m.id for m in marks]
    for start in range(0, len(ids), 500):
        db.session.execute(
            delete(Undeliverable).where(Undeliverable.id.in_(ids[start:start + 500])),
            execution_options={"synchronize_session": False})
    return len(marks)


def _remove_proofs(consent_ids: list[int]) -> int:
    if not consent_ids:
        return 0
    store = attachment_store()
    with including_deleted():
        files = db.session.scalars(
            select(Attachment).where(owned_by(Consent, consent_ids))
        ).all()
        for attachment in files:
            store.remove_file_on_commit(attachment, db.session())
        db.session.execute(
            delete(Attachment).where(owned_by(Consent, consent_ids)),
            execution_options={"synchronize_session": False},
        )
    return len(files)


def erase(ctx: EventContext, contact: Contact, mode: str) -> list[str]:
    """Erase (`mode="erase"`) or anonymize the plugin's data of `contact`, trashed consents
    included; return one line per kind of thing changed. Not committed."""
    if mode not in ("erase", "anonymize"):
        raise ValueError(f"unknown erase mode '{mode}'")
    db.session.flush()
    session = db.session()
    session.info[ERASING_KEY] = True
    options = {"synchronize_session": False}
    try:
        with including_deleted():
            ids = list(db.session.scalars(select(Consent.id).where(
                Consent.contact_id == contact.id)))
            lines: list[str] = []
            removed_files = _remove_proofs(ids)
            marks = drop_marks(ctx, _marks_of(contact))
            if mode == "erase":
                events = db.session.execute(
                    delete(ConsentEvent).where(ConsentEvent.contact_id == contact.id),
                    execution_options=options).rowcount
                db.session.execute(delete(Consent).where(Consent.contact_id == contact.id),
                                   execution_options=options)
                if ids:
                    lines.append(f"{len(ids)} consent(s) and {events} consent event(s) "
                                 "removed")
            else:
                db.session.execute(
                    update(Consent).where(Consent.contact_id == contact.id).values(
                        source_detail=None, ip=None, user_agent=None, withdrawal_reason=None,
                        recorded_by_id=None),
                    execution_options=options)
                events = db.session.execute(
                    update(ConsentEvent).where(ConsentEvent.contact_id == contact.id).values(
                        ip=None, user_agent=None, reason=None, before=None, after=None,
                        payload=None, payload_ref=None),
                    execution_options=options).rowcount
                if ids:
                    lines.append(f"{len(ids)} consent(s) and {events} consent event(s) "
                                 "stripped of personal details")
            if removed_files:
                lines.append(f"{removed_files} consent proof file(s) removed")
            if marks:
                lines.append(f"{marks} deliverability mark(s) removed")
    finally:
        session.info.pop(ERASING_KEY, None)
    _expire_loaded(session)
    return lines


def _expire_loaded(session: Any) -> None:
    """Bulk statements bypass the identity map: reload the plugin's rows on next access."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Consent | ConsentEvent | Undeliverable | Attachment):
            session.expire(obj)


def purged(ctx: EventContext, records: list[Any]) -> None:
    """Drop the proof files of contacts and consents that are removed for good (their
    consent rows and events go with the contact by the database's cascade)."""
    contact_ids = [r.id for r in records if r.type == Contact.__tablename__]
    consent_ids = [r.id for r in records if r.type == Consent.__tablename__]
    if contact_ids:
        with including_deleted():
            consent_ids += list(db.session.scalars(
                select(Consent.id).where(Consent.contact_id.in_(contact_ids))))
    _remove_proofs(consent_ids)
    emails = [r.email for r in records if r.type == Contact.__tablename__ and r.email]
    if contact_ids:
        drop_marks(ctx, or_(Undeliverable.contact_id.in_(contact_ids),
                            Undeliverable.email.in_(emails)))
