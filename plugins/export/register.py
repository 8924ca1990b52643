"""The register of data-subject requests: adding, deadlines, answering, listing, and the
requests' own part of a person's data (export and erasure).

Due date: one month after receipt (GDPR Art. 12(3)), counted in the tenant's local
calendar (`core.clock.add_months`: 31 January + 1 month = 28/29 February), plus an
extension of at most two months that needs a reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from core.clock import to_local, utcnow
from core.db import db
from core.events import EventContext, Section
from core.models import Contact
from plugins.export import PLUGIN
from plugins.export.models import (
    MAX_EXTENSION_MONTHS,
    ExportRecord,
    RequestChannel,
    RequestKind,
    RequestStatus,
    SubjectRequest,
)

CLOCK_SKEW = timedelta(minutes=5)
"""How far a received time may lie ahead of the server's clock (another machine's clock)."""

REQUEST_COLUMNS = ["Received", "Right", "Channel", "Identity checked", "Due", "Status",
                   "Closed"]


class RequestError(ValueError):
    """A request that cannot be saved; the message names the field at fault."""


def check_extension(months: int | None, reason: str | None) -> None:
    """An extension is 0, 1 or 2 months, and a reason is needed for 1 or 2."""
    months = months or 0
    if not 0 <= months <= MAX_EXTENSION_MONTHS:
        raise RequestError(f"Extension: at most {MAX_EXTENSION_MONTHS} months (Art. 12(3)).")
    if months and not (reason or "").strip():
        raise RequestError("Extension reason: say why the request needs more time "
                           "(Art. 12(3) requires it).")


def prepare(request: SubjectRequest, time_zone: str, now: datetime | None = None) -> None:
    """Check and complete a request before it is saved: the extension rule, a received time
    that is not in the future, the due date, the contact matched by the exact address when
    none is linked, and the closing time."""
    check_extension(request.extension_months, request.extension_reason)
    now = now or utcnow()
    if request.received_at is None:
        raise RequestError("Received: enter when the request arrived.")
    if request.received_at > now + CLOCK_SKEW:
        shown = to_local(request.received_at, time_zone).strftime("%Y-%m-%d %H:%M")
        raise RequestError(f"Received: {shown} lies in the future; enter when the request "
                           "arrived.")
    if request.contact_id is None and request.contact is None and request.requester_email:
        with db.session.no_autoflush:
            request.contact = db.session.scalar(
                select(Contact).where(Contact.email == request.requester_email))
    request.set_due(time_zone)
    if request.status == RequestStatus.OPEN:
        request.closed_at = None
    elif request.closed_at is None:
        request.closed_at = now


def add_request(*, kind: RequestKind, received_at: datetime, requester_email: str | None,
                time_zone: str, channel: RequestChannel = RequestChannel.EMAIL,
                requester_name: str | None = None, identity_checked: bool = False,
                contact: Contact | None = None) -> SubjectRequest:
    """Register a request (flushed, not committed); raise ValueError for a bad address."""
    request = SubjectRequest(kind=kind, received_at=received_at, channel=channel,
                             requester_name=requester_name, requester_email=requester_email,
                             identity_checked=identity_checked, contact=contact)
    prepare(request, time_zone)
    db.session.add(request)
    db.session.flush()
    return request


def get_request(request_id: int) -> SubjectRequest | None:
    """The tenant's request with this number, or None."""
    return db.session.get(SubjectRequest, request_id)


def requests(open_only: bool = True, contact_id: int | None = None) -> list[SubjectRequest]:
    """The tenant's requests, soonest due first (open ones only by default)."""
    query = select(SubjectRequest).order_by(SubjectRequest.due_at, SubjectRequest.id)
    if open_only:
        query = query.where(SubjectRequest.status == RequestStatus.OPEN)
    if contact_id is not None:
        query = query.where(SubjectRequest.contact_id == contact_id)
    return list(db.session.scalars(query))


def answer_with(request: SubjectRequest, record: ExportRecord) -> None:
    """Note that `record` (an export) answered `request`; the status stays for the user to
    set once the export was sent."""
    request.answered_by_export = record


def request_dict(request: SubjectRequest, time_zone: str) -> dict[str, Any]:
    """A request as JSON-ready data (times ISO 8601 with the tenant's offset)."""

    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else to_local(moment, time_zone).isoformat()

    return {
        "id": request.id,
        "kind": request.kind.value,
        "article": request.kind.article,
        "received_at": iso(request.received_at),
        "channel": request.channel.value,
        "requester": request.requester_name or request.requester_email,
        "requester_email": request.requester_email,
        "contact_id": request.contact_id,
        "identity_checked": request.identity_checked,
        "due_at": iso(request.due_at),
        "extension_months": request.extension_months,
        "status": request.status.value,
        "overdue": request.is_overdue(),
        "closed_at": iso(request.closed_at),
        "answered_by_export": request.answered_by_export_id,
        "answer_reference": request.answer_reference,
    }


# --- the requests' part of a person ----------------------------------------------------------


def _about(contact: Contact) -> Any:
    condition = SubjectRequest.contact_id == contact.id
    if contact.email:
        condition = or_(condition, SubjectRequest.requester_email == contact.email)
    return condition


def subject_sections(ctx: EventContext, contact: Contact) -> list[Section]:
    """The person's own requests (matched by contact or exact address) for their export."""
    rows = [[r.received_at, f"{r.kind.value} ({r.kind.article})", r.channel.value,
             r.identity_checked, r.due_at, r.status.value, r.closed_at]
            for r in db.session.scalars(select(SubjectRequest).where(_about(contact))
                                        .order_by(SubjectRequest.received_at))]
    return [Section("export.requests", "Data subject requests", REQUEST_COLUMNS, rows,
                    PLUGIN)]


ERASED_REQUESTER = "erased person"


def subject_erased(ctx: EventContext, contact: Contact) -> list[str]:
    """Keep the register (it proves the requests were answered) but remove the person's
    details from it; name exports about the person by number only. Not committed."""
    options = {"synchronize_session": False}
    redacted = db.session.execute(
        update(SubjectRequest).where(_about(contact)).values(
            requester_name=f"{ERASED_REQUESTER} #{contact.id}", requester_email=None,
            identity_note=None, notes=None),
        execution_options=options).rowcount
    relabelled = relabel_exports([contact.id])
    lines = []
    if redacted:
        lines.append(f"{redacted} subject request(s) kept without the requester's details")
    if relabelled:
        lines.append(f"{relabelled} export record(s) no longer name the person")
    _expire(SubjectRequest, ExportRecord)
    return lines


def relabel_exports(contact_ids: list[int]) -> int:
    """Replace the person's name on the export records of these contacts by their number."""
    count = 0
    for contact_id in contact_ids:
        count += db.session.execute(
            update(ExportRecord).where(ExportRecord.contact_id == contact_id)
            .values(subject_label=f"contact #{contact_id}"),
            execution_options={"synchronize_session": False}).rowcount
    return count


def _expire(*models: type) -> None:
    session = db.session()
    for obj in list(session.identity_map.values()):
        if isinstance(obj, models):
            session.expire(obj)
