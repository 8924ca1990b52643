"""Recording consents: grant, refuse, request (double opt-in), withdraw, rectify, proofs.

Every change updates the consent's one current row and appends a `ConsentEvent` with who,
when and the before/after, so the history is never overwritten. Input is validated before
anything is written: a missing purpose or date, an expiry before the grant, a duration that
is not a whole number of months, an unknown source, a proof of a forbidden type or size all
raise `ConsentInputError` naming the field. Nothing here commits: the caller commits, or
rolls back on an error (then nothing is stored, proof files included).

Functions work on the tenant in scope; `ctx` (a `core.events.EventContext`) says who acts
and gives the tenant's time zone for dates without a time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.attachments import AttachmentRejected, attachment_store, owned_by, owner_type_of
from core.clock import add_months, parse_as_of, start_of_day, to_utc, zone
from core.db import CrmSession, db
from core.emails import InvalidEmail, normalize_email
from core.events import EventContext, emit
from core.models import Attachment, Contact
from plugins.gdpr_consents.contributions import contributed
from plugins.gdpr_consents.errors import ConsentInputError
from plugins.gdpr_consents.lookup import tenant_row
from plugins.gdpr_consents.models import (
    Consent,
    ConsentEvent,
    ConsentState,
    EventKind,
    Notice,
    Purpose,
)
from plugins.gdpr_consents.purposes import get_purpose, parse_months
from plugins.gdpr_consents.validity import current_state

FUTURE_TOLERANCE = timedelta(minutes=5)
SOURCE_CODE_RE = re.compile(r"^[a-z0-9_]{1,32}$")
FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
FIELD_VALUE_LIMIT = 255
SOURCE_FIELDS = ("source_detail", "ip", "user_agent", "notice_version", "notice_text", "proof")
ERASING_KEY = "gdpr_consents.erasing"

BUILTIN_SOURCES = (
    {"code": "manual", "label": "Entered by hand (paper form, phone, fair)", "required": []},
    {"code": "import", "label": "Spreadsheet import", "required": []},
    {"code": "web_form", "label": "Web form (double opt-in)", "required": ["ip", "user_agent"]},
    {"code": "mailchimp", "label": "Mailchimp", "required": []},
    {"code": "brevo", "label": "Brevo", "required": []},
    {"code": "mailjet", "label": "Mailjet", "required": []},
)


@dataclass(frozen=True)
class Proof:
    """An uploaded proof (scan, PDF, photo of a signed form) to attach to a consent."""

    filename: str
    stream: BinaryIO


# --- parsing ------------------------------------------------------------------------------


def tenant_zone(ctx: EventContext) -> Any:
    """The time zone of the event's tenant."""
    return zone(ctx.tenant.time_zone if ctx.tenant else None)


def parse_when(raw: Any, field: str, tz: Any, *, required: bool = False) -> datetime | None:
    """Return an aware UTC instant from `raw`: an aware datetime as given, a naive one or an
    ISO date-time without offset read in `tz`, a date (or `YYYY-MM-DD`) as 00:00 in `tz`.
    Raise ConsentInputError naming `field` when it is missing (and `required`) or unreadable."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise ConsentInputError(field, "a date is needed here; give YYYY-MM-DD.")
        return None
    tzinfo = zone(tz) if isinstance(tz, str) or tz is None else tz
    try:
        if isinstance(raw, datetime):
            return to_utc(raw if raw.utcoffset() is not None else raw.replace(tzinfo=tzinfo))
        if isinstance(raw, date):
            return start_of_day(raw, tzinfo)
        return parse_as_of(str(raw), tzinfo)
    except ValueError as exc:  # not a date, or out of the clock's range: one sentence
        raise ConsentInputError(field, f"{exc}.") from None


def _not_in_future(moment: datetime, field: str, ctx: EventContext) -> None:
    if moment > ctx.at + FUTURE_TOLERANCE:
        raise ConsentInputError(field, f"{_shown(moment, ctx)} lies in the future.")


def _shown(moment: datetime | None, ctx: EventContext) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(tenant_zone(ctx)).strftime("%Y-%m-%d %H:%M")


def known_sources(ctx: EventContext) -> dict[str, dict[str, Any]]:
    """Return the consent sources of the tenant ({code: {code, label, required}}): the
    built-in ones and those other plugins add through `crm_consent_sources`."""
    found: dict[str, dict[str, Any]] = {}
    for code, source in contributed(ctx, "crm_consent_sources", "code", SOURCE_CODE_RE,
                                    "consent source"):
        required = [f for f in source.get("required", []) if f in SOURCE_FIELDS]
        found[code] = {"code": code, "label": str(source.get("label") or code),
                       "required": required}
    return found


def consent_fields(ctx: EventContext) -> list[dict[str, Any]]:
    """Return the extra consent fields of the tenant that plugins add through
    `crm_consent_fields` ({name, label, sources, required, help, check}), by name."""
    found: dict[str, dict[str, Any]] = {}
    for name, item in contributed(ctx, "crm_consent_fields", "name", FIELD_NAME_RE,
                                  "consent field"):
        found[name] = {"name": name, "label": str(item.get("label") or name),
                       "sources": [str(s) for s in item.get("sources", [])],
                       "required": bool(item.get("required")),
                       "help": str(item.get("help") or ""), "check": item.get("check")}
    return [found[name] for name in sorted(found)]


def _check_fields(ctx: EventContext, source: str, given: dict[str, Any],
                  specs: list[dict[str, Any]] | None = None) -> dict[str, str]:
    """Return the extra field values a consent from `source` carries, checked: a required
    one must be filled, and each filled one must pass its plugin's check. `specs` are the
    tenant's `consent_fields` when the caller has them already (an import asks once)."""
    values: dict[str, str] = {}
    for spec in consent_fields(ctx) if specs is None else specs:
        if source not in spec["sources"]:
            continue
        value = str(given.get(spec["name"]) or "").strip()
        if not value:
            if spec["required"]:
                raise ConsentInputError(spec["name"], f"a consent from the source '{source}' "
                                        f"needs its {spec['label'].lower()}.")
            continue
        if len(value) > FIELD_VALUE_LIMIT:
            raise ConsentInputError(spec["name"], f"{spec['label']} is longer than "
                                    f"{FIELD_VALUE_LIMIT} characters.")
        problem = spec["check"](value) if spec["check"] else None
        if problem:
            raise ConsentInputError(spec["name"], problem)
        values[spec["name"]] = value
    return values


def check_source(ctx: EventContext, source: str, present: dict[str, Any],
                 sources: dict[str, dict[str, Any]] | None = None) -> str:
    """Return the source code of `source` (lower-cased) when it is known and `present` holds
    every field it requires, else raise ConsentInputError naming the field. `sources` are
    the tenant's `known_sources` when the caller has them already (an import asks once)."""
    code = (source or "").strip().lower()
    sources = known_sources(ctx) if sources is None else sources
    if code not in sources:
        raise ConsentInputError(
            "source", f"'{source}' is not a consent source; use one of "
            f"{', '.join(sorted(sources))}."
        )
    for needed in sources[code]["required"]:
        if not present.get(needed):
            raise ConsentInputError(
                needed, f"a consent from the source '{code}' needs its {needed}."
            )
    return code


def find_contact(email: str, field: str = "email") -> Contact:
    """Return the tenant's live contact with the address `email` or raise
    ConsentInputError naming `field` (404)."""
    try:
        address = normalize_email(email or "")
    except InvalidEmail as exc:
        raise ConsentInputError(field, str(exc)) from None
    contact = db.session.scalar(select(Contact).where(Contact.email == address))
    if contact is None:
        raise ConsentInputError(field, f"there is no contact {address}.", status=404)
    return contact


def get_consent(consent_id: Any) -> Consent:
    """Return the tenant's live consent with this id (another tenant's or a trashed one is
    not found: ConsentInputError, 404)."""
    return tenant_row(Consent, consent_id, "consent")


def find_consent(contact: Contact, purpose: Purpose) -> Consent | None:
    """Return the live consent of `contact` to `purpose`, or None."""
    return db.session.scalar(
        select(Consent).where(Consent.contact_id == contact.id, Consent.purpose_id == purpose.id)
    )


def _purpose(purpose: Purpose | str | None) -> Purpose:
    if isinstance(purpose, Purpose):
        return purpose
    return get_purpose(purpose)


def _contact(contact: Contact | None) -> Contact:
    if contact is None:
        raise ConsentInputError("contact", "choose the contact the consent is from.")
    return contact


def _notice(text: str | None, version: str | None) -> tuple[Notice | None, str | None]:
    if not text or not text.strip():
        return None, None
    digest = notice_hash(text)
    notice = db.session.scalar(select(Notice).where(Notice.sha256 == digest))
    if notice is None:
        notice = Notice(sha256=digest, body=text, version=(version or None))
        db.session.add(notice)
    return notice, digest


def notice_hash(text: str) -> str:
    """The SHA-256 (hex) of a notice text, lines ending in LF, surrounding space trimmed."""
    canonical = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _clean(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:limit] or None


# --- history ------------------------------------------------------------------------------


def _facts(recorded: dict[str, Any]) -> dict[str, Any]:
    """A snapshot without what is derived from its facts (the state)."""
    return {key: value for key, value in recorded.items() if key != "state"}


def snapshot(consent: Consent) -> dict[str, Any]:
    """Return the consent's recorded fields as JSON-ready data (times in UTC ISO 8601)."""

    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "state": consent.state.value if consent.state else None,
        "source": consent.source,
        "source_detail": consent.source_detail,
        "given_at": iso(consent.given_at),
        "duration_months": consent.duration_months,
        "expires_at": iso(consent.expires_at),
        "withdrawn_at": iso(consent.withdrawn_at),
        "withdrawal_reason": consent.withdrawal_reason,
        "refused_at": iso(consent.refused_at),
        "requested_at": iso(consent.requested_at),
        "ip": consent.ip,
        "user_agent": consent.user_agent,
        "notice_version": consent.notice_version,
        "notice_hash": consent.notice_hash,
    }


def _record_event(
    ctx: EventContext,
    consent: Consent,
    kind: EventKind,
    before: dict[str, Any] | None,
    *,
    effective_at: datetime | None,
    reason: str | None = None,
    payload: dict[str, Any] | None = None,
    payload_ref: str | None = None,
) -> ConsentEvent:
    entry = ConsentEvent(**consent_event(
        ctx, consent.id, consent.contact_id, consent.purpose_id, kind, before,
        snapshot(consent), effective_at=effective_at, reason=reason, payload=payload,
        payload_ref=payload_ref))
    db.session.add(entry)
    db.session.flush()
    emit("crm_consent_changed", ctx, consent=consent, event=entry)
    return entry


def consent_event(
    ctx: EventContext,
    consent_id: int,
    contact_id: int,
    purpose_id: int,
    kind: EventKind,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    *,
    effective_at: datetime | None,
    reason: str | None = None,
    payload: dict[str, Any] | None = None,
    payload_ref: str | None = None,
) -> dict[str, Any]:
    """The values of a new history entry of the consent `consent_id` (for `ConsentEvent`):
    `kind`, who (`ctx`), and the snapshots before (None for a new consent) and after."""
    return dict(
        consent_id=consent_id,
        contact_id=contact_id,
        purpose_id=purpose_id,
        kind=kind,
        state_before=before["state"] if before else None,
        state_after=after["state"],
        at=ctx.at,
        effective_at=effective_at,
        actor=ctx.actor,
        user_id=ctx.user_id,
        source=after["source"],
        reason=_clean(reason, 2000),
        before=before,
        after=after,
        ip=ctx.ip,
        user_agent=ctx.user_agent,
        payload_ref=_clean(payload_ref, 255),
        payload=payload,
    )


def history(consent_ids: Iterable[int] | None = None, contact_id: int | None = None
            ) -> list[ConsentEvent]:
    """Return the events of the given consents or of one contact's live consents, newest
    first (events of trashed consents are left out with their consents)."""
    query = select(ConsentEvent).join(Consent, Consent.id == ConsentEvent.consent_id)
    if consent_ids is not None:
        query = query.where(ConsentEvent.consent_id.in_(list(consent_ids)))
    if contact_id is not None:
        query = query.where(ConsentEvent.contact_id == contact_id)
    return list(db.session.scalars(query.order_by(ConsentEvent.at.desc(),
                                                  ConsentEvent.id.desc())))


def corrected_fields(event: ConsentEvent) -> dict[str, tuple[Any, Any]]:
    """For a rectification event, {field: (old value, new value)} of each field it
    corrected, as recorded (instants in UTC ISO 8601); {} for any other event."""
    if event.kind != EventKind.RECTIFY or not event.before or not event.after:
        return {}
    return {field: (event.before.get(field), value) for field, value in event.after.items()
            if event.before.get(field) != value}


@sa_event.listens_for(CrmSession, "before_flush")
def _events_are_append_only(session: Session, flush_context: Any, instances: Any) -> None:
    """Refuse to change a consent event, or to delete one without its consent, except while
    a person is erased (a consent deleted for good takes its events along)."""
    if session.info.get(ERASING_KEY):
        return
    gone = {obj.id for obj in session.deleted if isinstance(obj, Consent)}
    for obj in session.dirty:
        if isinstance(obj, ConsentEvent) and session.is_modified(obj):
            raise RuntimeError("consent events are append-only; record a new event instead")
    for obj in session.deleted:
        if isinstance(obj, ConsentEvent) and obj.consent_id not in gone:
            raise RuntimeError("consent events are append-only; they go only with their "
                               "consent")


# --- changes ------------------------------------------------------------------------------


def _expiry(
    ctx: EventContext,
    given_at: datetime,
    duration_months: Any,
    expires_at: Any,
    purpose: Purpose,
    *,
    use_default: bool = True,
) -> tuple[int | None, datetime | None]:
    tz = tenant_zone(ctx)
    months = parse_months(duration_months)
    until = parse_when(expires_at, "expires_at", tz)
    if months is not None and until is not None:
        raise ConsentInputError(
            "expires_at", "give either a duration in months or an expiry date, not both."
        )
    if months is None and until is None and use_default:
        months = purpose.default_months
    if months is not None:
        until = add_months(given_at, months, tz)
    if until is not None and until <= given_at:
        raise ConsentInputError(
            "expires_at", f"the expiry ({_shown(until, ctx)}) must come after the date the "
            f"consent was given ({_shown(given_at, ctx)})."
        )
    return months, until


def _answer(ctx: EventContext, contact: Contact | None, purpose: Purpose | str | None,
            raw_when: Any, field: str) -> tuple[Contact, Purpose, datetime]:
    """Check who answered, to which purpose, and when (required, not in the future)."""
    purpose_row = _purpose(purpose)
    contact = _contact(contact)
    return contact, purpose_row, answered_at(ctx, raw_when, field)


def answered_at(ctx: EventContext, raw_when: Any, field: str) -> datetime:
    """The instant of an answer (`raw_when` as `parse_when` reads it): required and not in
    the future, else ConsentInputError naming `field`."""
    when = parse_when(raw_when, field, tenant_zone(ctx), required=True)
    _not_in_future(when, field, ctx)
    return when


def _capture(ip: str | None, user_agent: str | None, notice_version: str | None,
             notice_text: str | None) -> dict[str, Any]:
    """The fields of an online capture: who asked from where, and the notice shown."""
    notice, digest = _notice(notice_text, notice_version)
    return {"ip": _clean(ip, 64), "user_agent": _clean(user_agent, 512), "notice": notice,
            "notice_version": _clean(notice_version, 64), "notice_hash": digest}


def _store(
    ctx: EventContext,
    consent: Consent | None,
    contact: Contact,
    purpose: Purpose,
    kind: EventKind,
    *,
    effective_at: datetime,
    reason: str | None,
    payload: dict[str, Any] | None,
    payload_ref: str | None,
    **fields: Any,
) -> Consent:
    """Write `fields` to the consent of `contact` and `purpose` (a new row when there is
    none yet) as recorded by `ctx.actor`, and append the event of `kind`."""
    before = snapshot(consent) if consent is not None else None
    if consent is None:
        consent = Consent(contact_id=contact.id, purpose_id=purpose.id)
    for key, value in fields.items():
        setattr(consent, key, value)
    consent.recorded_by = ctx.actor
    consent.recorded_by_id = ctx.user_id
    db.session.add(consent)
    db.session.flush()
    _record_event(ctx, consent, kind, before, effective_at=effective_at, reason=reason,
                  payload=payload, payload_ref=payload_ref)
    return consent


def grant(
    ctx: EventContext,
    contact: Contact | None,
    purpose: Purpose | str | None,
    *,
    given_at: Any,
    source: str = "manual",
    source_detail: str | None = None,
    duration_months: Any = None,
    expires_at: Any = None,
    ip: str | None = None,
    user_agent: str | None = None,
    notice_version: str | None = None,
    notice_text: str | None = None,
    proofs: Iterable[Proof] = (),
    payload: dict[str, Any] | None = None,
    payload_ref: str | None = None,
    reason: str | None = None,
    use_default: bool = True,
    fields: dict[str, Any] | None = None,
) -> Consent:
    """Record that `contact` gave consent to `purpose` at `given_at` (not committed).

    Without a duration or expiry the purpose's default months apply (none: until
    withdrawn; `use_default=False`: until withdrawn, for a subscription a mailing system
    keeps, such as a Mailchimp audience); months are added in the tenant's calendar. A
    consent already granted with the same `given_at` is returned unchanged (a repeated
    import changes nothing); a newer grant renews it; a grant dated before the recorded
    withdrawal, refusal or grant is refused. Plugins may refuse through
    `crm_consent_rules`. `fields` are the extra fields plugins add for the source
    (`crm_consent_fields`); they are checked and kept in the event's payload under
    `fields`. Raises ConsentInputError.
    """
    contact, purpose_row, when = _answer(ctx, contact, purpose, given_at, "given_at")
    proofs = list(proofs)
    values = grant_fields(ctx, contact, purpose_row, when, source=source,
                          source_detail=source_detail, duration_months=duration_months,
                          expires_at=expires_at, ip=ip, user_agent=user_agent,
                          notice_version=notice_version, notice_text=notice_text,
                          has_proof=bool(proofs), use_default=use_default, fields=fields)
    extra = values.pop("extra_fields")
    if extra:
        payload = {**(payload or {}), "fields": extra}
    consent = find_consent(contact, purpose_row)
    kind = grant_kind(ctx, consent, when)
    if kind is None:
        return consent
    consent = _store(ctx, consent, contact, purpose_row, kind, effective_at=when, reason=reason,
                     payload=payload, payload_ref=payload_ref, **values)
    for proof in proofs:
        add_proof(ctx, consent, proof)
    return consent


def grant_fields(
    ctx: EventContext,
    contact: Contact,
    purpose: Purpose,
    when: datetime,
    *,
    source: str,
    source_detail: str | None = None,
    duration_months: Any = None,
    expires_at: Any = None,
    ip: str | None = None,
    user_agent: str | None = None,
    notice_version: str | None = None,
    notice_text: str | None = None,
    has_proof: bool = False,
    use_default: bool = True,
    sources: dict[str, dict[str, Any]] | None = None,
    fields: dict[str, Any] | None = None,
    field_specs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Check a grant of `purpose` by `contact` given at `when` (the expiry, the source and
    its required fields, the purpose being active, `crm_consent_rules`) and return the
    consent's fields as the grant records them. Raises ConsentInputError; changes nothing
    but a new notice text (added to the session). `grant` and the import's batches both
    call it, so a consent is checked the same way however it arrives. `extra_fields` holds
    the checked values of the extra fields plugins add for the source (`fields`), which
    go to the event's payload, not to the consent. `sources` and `field_specs` are the
    tenant's `known_sources` and `consent_fields` when the caller has them already."""
    months, until = _expiry(ctx, when, duration_months, expires_at, purpose,
                            use_default=use_default)
    code = check_source(ctx, source, {
        "source_detail": source_detail, "ip": ip, "user_agent": user_agent,
        "notice_version": notice_version, "notice_text": notice_text, "proof": has_proof,
    }, sources)
    extra = _check_fields(ctx, code, fields or {}, field_specs)
    if not purpose.active:
        raise ConsentInputError("purpose", f"the purpose '{purpose.code}' is not active.")
    reasons = [r for found in emit("crm_consent_rules", ctx, contact=contact,
                                   purpose=purpose, source=code) for r in (found or []) if r]
    if reasons:
        raise ConsentInputError("consent", "this consent cannot be recorded: "
                                + "; ".join(reasons) + ".", status=422)
    return dict(
        state=ConsentState.GRANTED, source=code, source_detail=_clean(source_detail, 255),
        given_at=when, duration_months=months, expires_at=until, withdrawn_at=None,
        withdrawal_reason=None, refused_at=None,
        **_capture(ip, user_agent, notice_version, notice_text), extra_fields=extra,
    )


def grant_kind(ctx: EventContext, consent: Consent | None, when: datetime) -> EventKind | None:
    """What a grant at `when` is for the recorded `consent`: None when it is granted with
    that date already (a repeated import changes nothing), RENEW for a newer grant of a
    granted consent, else GRANT. A grant older than the recorded withdrawal, refusal or
    grant raises ConsentInputError."""
    if consent is not None and consent.state == ConsentState.GRANTED and (
        consent.given_at == when
    ):
        return None
    _check_not_older(ctx, consent, when)
    if consent is not None and consent.state == ConsentState.GRANTED:
        return EventKind.RENEW
    return EventKind.GRANT


def _check_not_older(ctx: EventContext, consent: Consent | None, when: datetime) -> None:
    """An older grant never undoes a newer withdrawal, refusal or grant."""
    if consent is None:
        return
    newer = [
        (consent.withdrawn_at, "the consent was withdrawn on {}, after this date; an older "
                               "consent cannot undo a newer withdrawal."),
        (consent.refused_at, "the person refused on {}, after this date; an older consent "
                             "cannot undo a newer refusal."),
    ]
    if consent.state in (ConsentState.GRANTED, ConsentState.EXPIRED):
        newer.append((consent.given_at, "a consent given on {} is recorded already; to "
                                        "correct its date, rectify it."))
    for moment, message in newer:
        if moment is not None and when <= moment:
            raise ConsentInputError("given_at", message.format(_shown(moment, ctx)))


def refuse(
    ctx: EventContext,
    contact: Contact | None,
    purpose: Purpose | str | None,
    *,
    refused_at: Any,
    source: str = "manual",
    source_detail: str | None = None,
    reason: str | None = None,
    proofs: Iterable[Proof] = (),
    payload: dict[str, Any] | None = None,
    payload_ref: str | None = None,
) -> Consent:
    """Record that `contact` said no to `purpose` when asked (not committed), with optional
    proofs (the signed form that says no). A granted consent is withdrawn, not refused; a
    refusal recorded already is returned unchanged. Raises ConsentInputError."""
    contact, purpose_row, when = _answer(ctx, contact, purpose, refused_at, "refused_at")
    fields = refusal_fields(ctx, when, source=source, source_detail=source_detail)
    consent = find_consent(contact, purpose_row)
    if not refusal_changes(consent):
        return consent
    consent = _store(ctx, consent, contact, purpose_row, EventKind.REFUSE, effective_at=when,
                     reason=reason, payload=payload, payload_ref=payload_ref, **fields)
    for proof in proofs:
        add_proof(ctx, consent, proof)
    return consent


def refusal_fields(ctx: EventContext, when: datetime, *, source: str,
                   source_detail: str | None = None,
                   sources: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Check a refusal at `when` from `source` and return the consent's fields as the
    refusal records them. Raises ConsentInputError."""
    code = check_source(ctx, source, {"source_detail": source_detail}, sources)
    return dict(state=ConsentState.REFUSED, source=code,
                source_detail=_clean(source_detail, 255), refused_at=when)


def refusal_changes(consent: Consent | None) -> bool:
    """Whether a refusal changes the recorded `consent`: not when it is refused already.
    A granted consent is withdrawn, not refused: ConsentInputError."""
    if consent is not None and consent.state == ConsentState.GRANTED:
        raise ConsentInputError("state", "the consent is granted; withdraw it instead.")
    return consent is None or consent.state != ConsentState.REFUSED


def request_confirmation(
    ctx: EventContext,
    contact: Contact | None,
    purpose: Purpose | str | None,
    *,
    requested_at: Any,
    source: str = "web_form",
    source_detail: str | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    notice_version: str | None = None,
    notice_text: str | None = None,
    payload: dict[str, Any] | None = None,
    payload_ref: str | None = None,
) -> Consent:
    """Record that a consent was asked for and awaits confirmation (double opt-in); the
    confirmation is a `grant`. A consent granted or pending already is returned unchanged."""
    contact, purpose_row, when = _answer(ctx, contact, purpose, requested_at, "requested_at")
    code = check_source(ctx, source, {
        "source_detail": source_detail, "ip": ip, "user_agent": user_agent,
        "notice_version": notice_version, "notice_text": notice_text,
    })
    consent = find_consent(contact, purpose_row)
    if consent is not None and consent.state in (ConsentState.GRANTED, ConsentState.PENDING):
        return consent
    return _store(
        ctx, consent, contact, purpose_row, EventKind.REQUEST, effective_at=when, reason=None,
        payload=payload, payload_ref=payload_ref, state=ConsentState.PENDING, source=code,
        source_detail=_clean(source_detail, 255), requested_at=when,
        **_capture(ip, user_agent, notice_version, notice_text),
    )


def withdraw(
    ctx: EventContext,
    consent: Consent | None,
    *,
    withdrawn_at: Any = None,
    reason: str | None = None,
    source: str | None = None,
    payload: dict[str, Any] | None = None,
    payload_ref: str | None = None,
) -> Consent:
    """Withdraw a granted (or pending) consent at `withdrawn_at` (default: now); the
    consent stays, with its history. Raises ConsentInputError."""
    if consent is None:
        raise ConsentInputError("consent", "choose the consent to withdraw.")
    when = parse_when(withdrawn_at, "withdrawn_at", tenant_zone(ctx)) or ctx.at
    _not_in_future(when, "withdrawn_at", ctx)
    state = current_state(consent, when)  # as it was when the withdrawal happened
    if state not in (ConsentState.GRANTED, ConsentState.PENDING):
        raise ConsentInputError(
            "state", f"the consent is {state.value}; only a granted or pending consent can "
            "be withdrawn."
        )
    start = consent.given_at if consent.state == ConsentState.GRANTED else consent.requested_at
    if start is not None and when < start:
        raise ConsentInputError(
            "withdrawn_at", f"the withdrawal ({_shown(when, ctx)}) cannot come before the "
            f"consent ({_shown(start, ctx)})."
        )
    if source is not None:
        check_source(ctx, source, {"source_detail": consent.source_detail})
    before = snapshot(consent)
    consent.state = ConsentState.WITHDRAWN
    consent.withdrawn_at = when
    consent.withdrawal_reason = _clean(reason, 2000)
    db.session.flush()
    _record_event(ctx, consent, EventKind.WITHDRAW, before, effective_at=when, reason=reason,
                  payload=payload, payload_ref=payload_ref)
    return consent


RECTIFIABLE = ("given_at", "duration_months", "expires_at", "source", "source_detail",
               "withdrawn_at", "withdrawal_reason", "notice_version", "ip", "user_agent")


def rectify(ctx: EventContext, consent: Consent | None, *, reason: str, **changes: Any
            ) -> Consent:
    """Correct recorded facts of a consent (a wrong date, source or duration) with a reason;
    the old values stay in the rectification event. Fields: given_at, duration_months,
    expires_at, source, source_detail, withdrawn_at, withdrawal_reason, notice_version, ip,
    user_agent. Raises ConsentInputError, also when nothing would change."""
    if consent is None:
        raise ConsentInputError("consent", "choose the consent to correct.")
    unknown = sorted(set(changes) - set(RECTIFIABLE))
    if unknown:
        raise ConsentInputError(unknown[0], "this field cannot be rectified.")
    if not changes:
        raise ConsentInputError("consent", "nothing to correct: change at least one of its "
                                           "values.")
    if not reason or not str(reason).strip():
        raise ConsentInputError("reason", "say why the consent is corrected.")
    tz = tenant_zone(ctx)
    before = snapshot(consent)
    given_at = consent.given_at
    if "given_at" in changes:
        given_at = parse_when(changes["given_at"], "given_at", tz, required=True)
        _not_in_future(given_at, "given_at", ctx)
    if consent.state in (ConsentState.GRANTED, ConsentState.WITHDRAWN, ConsentState.EXPIRED):
        if given_at is None:
            raise ConsentInputError("given_at", "a given consent needs its date.")
        if "duration_months" in changes or "expires_at" in changes:
            months, until = _expiry(ctx, given_at, changes.get("duration_months"),
                                    changes.get("expires_at"), consent.purpose,
                                    use_default=False)
        else:
            months, until = _expiry(ctx, given_at, consent.duration_months,
                                    None if consent.duration_months else consent.expires_at,
                                    consent.purpose, use_default=False)
        consent.given_at, consent.duration_months, consent.expires_at = given_at, months, until
    if "withdrawn_at" in changes:
        if consent.state != ConsentState.WITHDRAWN:
            raise ConsentInputError("withdrawn_at", "the consent is not withdrawn.")
        when = parse_when(changes["withdrawn_at"], "withdrawn_at", tz, required=True)
        _not_in_future(when, "withdrawn_at", ctx)
        consent.withdrawn_at = when
    if consent.withdrawn_at is not None and consent.given_at is not None and (
        consent.withdrawn_at < consent.given_at
    ):
        raise ConsentInputError(
            "withdrawn_at", "the withdrawal cannot come before the consent was given."
        )
    if "source" in changes:
        consent.source = check_source(ctx, changes["source"], {})
    for field, limit in (("source_detail", 255), ("withdrawal_reason", 2000),
                         ("notice_version", 64), ("ip", 64), ("user_agent", 512)):
        if field in changes:
            setattr(consent, field, _clean(changes[field], limit))
    if consent.state in (ConsentState.GRANTED, ConsentState.EXPIRED):
        expired = consent.expires_at is not None and consent.expires_at <= ctx.at
        consent.state = ConsentState.EXPIRED if expired else ConsentState.GRANTED
    if _facts(snapshot(consent)) == _facts(before):
        # only what follows from the facts (the state, e.g. expired by now) would change
        raise ConsentInputError("consent", "nothing to correct: the consent has these "
                                           "values already.")
    db.session.flush()
    _record_event(ctx, consent, EventKind.RECTIFY, before, effective_at=consent.given_at,
                  reason=reason)
    return consent


def expire(ctx: EventContext, consent: Consent) -> ConsentEvent | None:
    """Turn a granted consent whose expiry has passed (at `ctx.at`) to expired, with an
    event; return the event, or None when there was nothing to do."""
    if consent.state != ConsentState.GRANTED or consent.expires_at is None or (
        consent.expires_at > ctx.at
    ):
        return None
    before = snapshot(consent)
    consent.state = ConsentState.EXPIRED
    db.session.flush()
    return _record_event(ctx, consent, EventKind.EXPIRE, before, effective_at=consent.expires_at)


# --- proofs -------------------------------------------------------------------------------


def add_proof(ctx: EventContext, consent: Consent, proof: Proof) -> Attachment:
    """Store a proof file for `consent` in the core's attachment store (not committed).
    A file of a forbidden type or size raises ConsentInputError for `proof` and leaves no
    file behind; the caller rolls back."""
    store = attachment_store()
    try:
        return store.save(
            owner_type=owner_type_of(consent), owner_id=consent.id, filename=proof.filename,
            stream=proof.stream, uploaded_by_id=ctx.user_id, tenant_id=consent.tenant_id,
        )
    except AttachmentRejected as exc:
        _forget_new_files(store)
        raise ConsentInputError("proof", str(exc), status=exc.status) from None


def _forget_new_files(store: Any) -> None:
    """Remove the bytes of proofs saved earlier in this transaction (it is rolled back)."""
    for obj in list(db.session.new):
        if isinstance(obj, Attachment) and obj.owner_type == owner_type_of(Consent):
            store.remove_file(obj)


def proofs_of(consent_ids: Iterable[int]) -> dict[int, list[Attachment]]:
    """Return {consent id: its proof attachments} (live ones)."""
    ids = list(consent_ids)
    result: dict[int, list[Attachment]] = {i: [] for i in ids}
    if not ids:
        return result
    rows = db.session.scalars(
        select(Attachment).where(owned_by(Consent, ids)).order_by(Attachment.id)
    )
    for row in rows:
        result.setdefault(row.owner_id, []).append(row)
    return result


def consents_of(contact: Contact) -> list[Consent]:
    """Return the live consents of `contact`, ordered by purpose code."""
    return list(db.session.scalars(
        select(Consent).join(Purpose, Purpose.id == Consent.purpose_id)
        .where(Consent.contact_id == contact.id).order_by(Purpose.code)
    ))
