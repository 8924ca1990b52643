"""Recording many consent answers with a few statements (the spreadsheet import).

`ConsentBatch` makes the same checks and decisions as `consents.grant` and
`consents.refuse` one by one (it calls the same `grant_fields`/`grant_kind`,
`refusal_fields`/`refusal_changes`), but it loads the consents of a whole chunk of
contacts in one query, and `flush()` writes the chunk's new consents with one bulk insert
(`core.bulk.insert_records`, reported through `crm_records_created`), changed ones in one
ORM flush (reported as updates, as usual), then every history entry with one more bulk
insert. `crm_consent_changed` is called for each entry as `grant` calls it, with the
consent and the entry loaded, only when an enabled plugin implements it. A consent
answered twice in one chunk gets two entries, in order. Nothing commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.bulk import insert_records
from core.db import db
from core.events import EventContext, emit, has_listeners
from core.models import Contact
from plugins.gdpr_consents.consents import (
    consent_event,
    consent_fields,
    grant_fields,
    grant_kind,
    known_sources,
    refusal_changes,
    refusal_fields,
    snapshot,
)
from plugins.gdpr_consents.models import (
    Consent,
    ConsentEvent,
    ConsentState,
    EventKind,
    Purpose,
    consent_label,
    event_label,
)


@dataclass
class NewConsent:
    """A consent the batch will insert: the fields `snapshot` and the decisions read."""

    contact_id: int
    purpose_id: int
    state: ConsentState | None = None
    source: str | None = None
    source_detail: str | None = None
    given_at: datetime | None = None
    duration_months: int | None = None
    expires_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = None
    refused_at: datetime | None = None
    requested_at: datetime | None = None
    ip: str | None = None
    user_agent: str | None = None
    notice_id: int | None = None
    notice_version: str | None = None
    notice_hash: str | None = None
    recorded_by: str | None = None
    recorded_by_id: int | None = None
    id: int | None = None


@dataclass
class _Change:
    consent: Consent | NewConsent
    kind: EventKind
    before: dict[str, Any] | None
    after: dict[str, Any]
    effective_at: datetime
    reason: str | None


class ConsentBatch:
    """Answers of many contacts, written by `flush()`; the tenant in scope is `ctx`'s."""

    def __init__(self, ctx: EventContext) -> None:
        self.ctx = ctx
        self.sources = known_sources(ctx)
        self.field_specs = consent_fields(ctx)
        self._consents: dict[tuple[int, int], Consent | NewConsent] = {}
        self._changes: list[_Change] = []
        self._codes: dict[int, str] = {}

    def load(self, contact_ids: Iterable[int]) -> None:
        """Load the live consents of these contacts (one query) for the answers to come;
        the consents of the previous chunk are forgotten."""
        ids = list(contact_ids)
        self._consents = {}
        if ids:
            rows = db.session.scalars(select(Consent).where(Consent.contact_id.in_(ids)))
            self._consents = {(c.contact_id, c.purpose_id): c for c in rows}

    def consent(self, contact: Contact, purpose: Purpose) -> Consent | NewConsent | None:
        """The consent of `contact` to `purpose` as the batch knows it (None: none yet)."""
        return self._consents.get((contact.id, purpose.id))

    def grant(self, contact: Contact, purpose: Purpose, when: datetime, *, source: str,
              source_detail: str | None = None, duration_months: Any = None,
              expires_at: Any = None, reason: str | None = None,
              use_default: bool = True) -> EventKind | None:
        """Queue the grant `consents.grant` would record (`when` checked with
        `consents.answered_at`); return its kind, or None when it changes nothing.
        Raises ConsentInputError, queueing nothing."""
        values = grant_fields(self.ctx, contact, purpose, when, source=source,
                              source_detail=source_detail, duration_months=duration_months,
                              expires_at=expires_at, use_default=use_default,
                              sources=self.sources, field_specs=self.field_specs)
        kind = grant_kind(self.ctx, self.consent(contact, purpose), when)
        if kind is not None:
            self._change(contact, purpose, kind, when, reason, values)
        return kind

    def refuse(self, contact: Contact, purpose: Purpose, when: datetime, *, source: str,
               source_detail: str | None = None, reason: str | None = None
               ) -> EventKind | None:
        """Queue the refusal `consents.refuse` would record; return REFUSE, or None when
        it changes nothing. Raises ConsentInputError, queueing nothing."""
        values = refusal_fields(self.ctx, when, source=source, source_detail=source_detail,
                                sources=self.sources)
        if not refusal_changes(self.consent(contact, purpose)):
            return None
        self._change(contact, purpose, EventKind.REFUSE, when, reason, values)
        return EventKind.REFUSE

    def _change(self, contact: Contact, purpose: Purpose, kind: EventKind, when: datetime,
                reason: str | None, values: dict[str, Any]) -> None:
        consent = self.consent(contact, purpose)
        before = None if consent is None else snapshot(consent)
        if consent is None:
            consent = NewConsent(contact.id, purpose.id)
            self._consents[(contact.id, purpose.id)] = consent
            self._codes[purpose.id] = purpose.code
        values.pop("extra_fields", None)  # an import carries no plugin form fields
        notice = values.pop("notice", None)
        if notice is not None and isinstance(consent, NewConsent):
            db.session.flush()  # a notice seen for the first time needs its id
            values["notice_id"] = notice.id
        elif notice is not None:
            values["notice"] = notice
        for key, value in values.items():
            setattr(consent, key, value)
        consent.recorded_by = self.ctx.actor
        consent.recorded_by_id = self.ctx.user_id
        self._changes.append(_Change(consent, kind, before, snapshot(consent), when, reason))

    def flush(self) -> int:
        """Write the queued consents, then their history entries, and call
        `crm_consent_changed` for each entry; return how many entries were written."""
        changes, self._changes = self._changes, []
        if not changes:
            return 0
        new = list({id(c.consent): c.consent for c in changes
                    if isinstance(c.consent, NewConsent)}.values())
        rows = [{k: v for k, v in vars(c).items() if k != "id"} for c in new]
        ids = insert_records(self.ctx, Consent, rows, self._label)
        for consent, new_id in zip(new, ids, strict=True):
            consent.id = new_id
        db.session.flush()  # the loaded consents that changed
        rows = [consent_event(self.ctx, c.consent.id, c.consent.contact_id,
                              c.consent.purpose_id, c.kind, c.before, c.after,
                              effective_at=c.effective_at, reason=c.reason)
                for c in changes]
        event_ids = insert_records(self.ctx, ConsentEvent, rows,
                                   lambda row: event_label(row["kind"], row["consent_id"]))
        if has_listeners("crm_consent_changed", self.ctx):
            self._tell(changes, event_ids)
        return len(event_ids)

    def _label(self, row: dict[str, Any]) -> str:
        return consent_label(self._codes[row["purpose_id"]], row["contact_id"], row["state"])

    def _tell(self, changes: list[_Change], event_ids: list[int]) -> None:
        """Call `crm_consent_changed` per entry with the consent and the entry as stored."""
        consents = {c.id: c for c in db.session.scalars(
            select(Consent).where(Consent.id.in_({c.consent.id for c in changes})))}
        events = {e.id: e for e in db.session.scalars(
            select(ConsentEvent).where(ConsentEvent.id.in_(event_ids)))}
        for change, event_id in zip(changes, event_ids, strict=True):
            emit("crm_consent_changed", self.ctx, consent=consents[change.consent.id],
                 event=events[event_id])
