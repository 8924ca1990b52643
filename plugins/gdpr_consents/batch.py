"""Recording many consent answers with a few statements (the spreadsheet import).

`ConsentBatch` makes the same checks and decisions as `consents.grant` and
`consents.refuse` one by one (it calls the same `grant_fields`/`grant_kind`,
`refusal_fields`/`refusal_changes`), but it loads the consents of a whole chunk of
contacts in one query, and `flush()` writes the chunk's consents in one flush and then
their history entries in another, calling `crm_consent_changed` for each entry as `grant`
does. A consent answered twice in one chunk gets two entries, in order. Nothing commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.db import db
from core.events import EventContext, emit
from core.models import Contact
from plugins.gdpr_consents.consents import (
    consent_event,
    grant_fields,
    grant_kind,
    known_sources,
    refusal_changes,
    refusal_fields,
    snapshot,
)
from plugins.gdpr_consents.models import Consent, EventKind, Purpose


@dataclass
class _Change:
    consent: Consent
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
        self._consents: dict[tuple[int, int], Consent] = {}
        self._changes: list[_Change] = []

    def load(self, contact_ids: Iterable[int]) -> None:
        """Load the live consents of these contacts (one query) for the answers to come;
        the consents of the previous chunk are forgotten."""
        ids = list(contact_ids)
        self._consents = {}
        if ids:
            rows = db.session.scalars(select(Consent).where(Consent.contact_id.in_(ids)))
            self._consents = {(c.contact_id, c.purpose_id): c for c in rows}

    def consent(self, contact: Contact, purpose: Purpose) -> Consent | None:
        """The consent of `contact` to `purpose` as the batch knows it (None: none yet)."""
        return self._consents.get((contact.id, purpose.id))

    def grant(self, contact: Contact, purpose: Purpose, when: datetime, *, source: str,
              source_detail: str | None = None, duration_months: Any = None,
              expires_at: Any = None, reason: str | None = None,
              use_default: bool = True) -> EventKind | None:
        """Queue the grant `consents.grant` would record (`when` checked with
        `consents.answered_at`); return its kind, or None when it changes nothing.
        Raises ConsentInputError, queueing nothing."""
        fields = grant_fields(self.ctx, contact, purpose, when, source=source,
                              source_detail=source_detail, duration_months=duration_months,
                              expires_at=expires_at, use_default=use_default,
                              sources=self.sources)
        kind = grant_kind(self.ctx, self.consent(contact, purpose), when)
        if kind is not None:
            self._change(contact, purpose, kind, when, reason, fields)
        return kind

    def refuse(self, contact: Contact, purpose: Purpose, when: datetime, *, source: str,
               source_detail: str | None = None, reason: str | None = None
               ) -> EventKind | None:
        """Queue the refusal `consents.refuse` would record; return REFUSE, or None when
        it changes nothing. Raises ConsentInputError, queueing nothing."""
        fields = refusal_fields(self.ctx, when, source=source, source_detail=source_detail,
                                sources=self.sources)
        if not refusal_changes(self.consent(contact, purpose)):
            return None
        self._change(contact, purpose, EventKind.REFUSE, when, reason, fields)
        return EventKind.REFUSE

    def _change(self, contact: Contact, purpose: Purpose, kind: EventKind, when: datetime,
                reason: str | None, fields: dict[str, Any]) -> None:
        consent = self.consent(contact, purpose)
        before = None if consent is None else snapshot(consent)
        if consent is None:
            consent = Consent(contact_id=contact.id, purpose_id=purpose.id,
                              tenant_id=self.ctx.tenant_id)
            self._consents[(contact.id, purpose.id)] = consent
            db.session.add(consent)
        for key, value in fields.items():
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
        db.session.flush()
        events = [consent_event(self.ctx, c.consent.id, c.consent.contact_id,
                                c.consent.purpose_id, c.kind, c.before, c.after,
                                effective_at=c.effective_at, reason=c.reason)
                  for c in changes]
        db.session.add_all(events)
        db.session.flush()
        for change, event in zip(changes, events, strict=True):
            emit("crm_consent_changed", self.ctx, consent=change.consent, event=event)
        return len(events)
