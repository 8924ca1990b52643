"""The tables of the `gdpr_consents` plugin (all named `gdpr_consents_...`).

- `Purpose`: what personal data is used for, per tenant, with its legal basis (GDPR Art. 6(1)
  a to f), a default duration and whether it is marketing.
- `Consent`: the one current state of a contact's consent to a purpose (granted, withdrawn,
  expired, refused, pending), with its source, times and proof. Trashed rows vanish through
  the core's soft-delete filter.
- `ConsentEvent`: the append-only history of every change of a consent (grant,
  rectification, withdrawal, expiry, refusal, ...) with who, when, and the before/after.
- `Notice`: the exact notice text a person was shown, stored once per text (hash).
- `Undeliverable`: an address marked undeliverable (bounce, cleaned, by hand) with when and
  why; an active mark keeps the address out of segments.
- `Segment`: a saved segment definition (purposes, options, filters).
- `ImportMapping`: a saved column mapping of spreadsheet imports, per tenant by name.
- `ListMapping`: (mailing system, list or audience id) -> purpose, shared by webhooks and
  the Mailchimp-export import; the empty list id is the provider's default purpose.
- `WebhookEndpoint`: the secret of a tenant's webhook URL per mailing system.
- `WebhookEvent`: every accepted webhook event with its digest (replays change nothing),
  its raw payload and what came of it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import SafeJSON, SafeString, SafeText, db
from core.models import Contact
from core.scoping import SoftDeletable, TenantOwned

OWNER_TYPE = "gdpr_consents.consent"
"""The `owner_type` of proof attachments in the core's attachment store (declared on
`Consent` as `__attachment_owner_type__`, so `core.attachments.owner_type_of` finds it)."""


def _enum(cls: type[enum.Enum], length: int) -> Enum:
    return Enum(cls, native_enum=False, length=length,
                values_callable=lambda e: [m.value for m in e])


class LegalBasis(enum.StrEnum):
    """GDPR Art. 6(1): the legal basis of a processing purpose, points a to f."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"

    @property
    def article(self) -> str:
        """The point of Art. 6(1) GDPR, e.g. `Art. 6(1)(a)`."""
        letter = "abcdef"[list(LegalBasis).index(self)]
        return f"Art. 6(1)({letter})"


class ConsentState(enum.StrEnum):
    """The current state of a consent."""

    GRANTED = "granted"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    REFUSED = "refused"
    PENDING = "pending"


class EventKind(enum.StrEnum):
    """What a consent event records."""

    GRANT = "grant"
    RENEW = "renew"
    RECTIFY = "rectify"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"
    REFUSE = "refuse"
    REQUEST = "request"
    ANONYMIZE = "anonymize"


class Timestamps:
    """Creation and last-change times from the one clock."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Purpose(TenantOwned, Timestamps, db.Model):
    """A purpose personal data is processed for (`newsletter`, `events`, `sms`)."""

    __tablename__ = "gdpr_consents_purpose"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(SafeString(64))
    name: Mapped[str] = mapped_column(SafeString(255))
    description: Mapped[str | None] = mapped_column(SafeText, default=None)
    legal_basis: Mapped[LegalBasis] = mapped_column(
        _enum(LegalBasis, 32), default=LegalBasis.CONSENT
    )
    default_months: Mapped[int | None] = mapped_column(default=None)
    marketing: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def needs_consent(self) -> bool:
        """True when processing for this purpose needs the person's consent (basis a)."""
        return self.legal_basis == LegalBasis.CONSENT

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Notice(TenantOwned, db.Model):
    """The exact privacy notice text shown when a consent was asked, kept once per text."""

    __tablename__ = "gdpr_consents_notice"
    __table_args__ = (UniqueConstraint("tenant_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str | None] = mapped_column(SafeString(64), default=None)
    sha256: Mapped[str] = mapped_column(SafeString(64))
    body: Mapped[str] = mapped_column(SafeText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __str__(self) -> str:
        return f"notice {self.version or self.sha256[:12]}"


def consent_label(purpose: Any, contact_id: int, state: ConsentState) -> str:
    """How a consent is named (its `str()`): purpose code, contact and state."""
    return f"consent {purpose} of contact #{contact_id}: {state.value}"


def event_label(kind: EventKind, consent_id: int) -> str:
    """How a consent event is named (its `str()`)."""
    return f"{kind.value} of consent #{consent_id}"


class Consent(TenantOwned, SoftDeletable, Timestamps, db.Model):
    """The current state of one contact's consent to one purpose (one live row per pair).

    `given_at` is when the consent was given (granted, and still set after a withdrawal or
    expiry), `expires_at` when it ends by itself (None: until withdrawn), `withdrawn_at` when
    it was withdrawn, `refused_at` when the person said no, `requested_at` when a
    confirmation was asked (double opt-in). Validity is defined once, in `validity.py`.
    """

    __tablename__ = "gdpr_consents_consent"
    __attachment_owner_type__ = OWNER_TYPE
    __table_args__ = (
        Index(
            "uq_gdpr_consents_consent_live",
            "tenant_id", "contact_id", "purpose_id",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        # segments: "which contacts hold a consent to purpose P valid at t"
        Index(
            "ix_gdpr_consents_consent_segment",
            "tenant_id", "purpose_id", "contact_id", "state", "given_at", "expires_at",
            "withdrawn_at", "deleted_at",
        ),
        Index("ix_gdpr_consents_consent_expiry", "tenant_id", "state", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    purpose_id: Mapped[int] = mapped_column(
        ForeignKey("gdpr_consents_purpose.id")
    )
    state: Mapped[ConsentState] = mapped_column(_enum(ConsentState, 16))
    source: Mapped[str] = mapped_column(SafeString(32), default="manual")
    source_detail: Mapped[str | None] = mapped_column(SafeString(255), default=None)
    given_at: Mapped[datetime | None] = mapped_column(default=None)
    duration_months: Mapped[int | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawal_reason: Mapped[str | None] = mapped_column(SafeText, default=None)
    refused_at: Mapped[datetime | None] = mapped_column(default=None)
    requested_at: Mapped[datetime | None] = mapped_column(default=None)
    recorded_by: Mapped[str] = mapped_column(SafeString(255), default="system")
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    ip: Mapped[str | None] = mapped_column(SafeString(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(SafeString(512), default=None)
    notice_id: Mapped[int | None] = mapped_column(
        ForeignKey("gdpr_consents_notice.id", ondelete="SET NULL"), default=None
    )
    notice_version: Mapped[str | None] = mapped_column(SafeString(64), default=None)
    notice_hash: Mapped[str | None] = mapped_column(SafeString(64), default=None)

    contact: Mapped[Contact] = relationship()
    purpose: Mapped[Purpose] = relationship()
    notice: Mapped[Notice | None] = relationship()

    def __str__(self) -> str:
        purpose = self.purpose.code if self.purpose is not None else self.purpose_id
        return consent_label(purpose, self.contact_id, self.state)


class ConsentEvent(TenantOwned, db.Model):
    """One change of a consent, never changed afterwards (append-only history).

    `at` is when it was recorded, `effective_at` when it took effect for the person (the
    date a paper form was signed, the instant of a withdrawal); `before`/`after` are
    snapshots of the consent's fields; `payload` keeps what an intake channel received.
    """

    __tablename__ = "gdpr_consents_event"
    __table_args__ = (
        Index("ix_gdpr_consents_event_consent", "tenant_id", "consent_id", "at"),
        Index("ix_gdpr_consents_event_contact", "tenant_id", "contact_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(
        ForeignKey("gdpr_consents_consent.id", ondelete="CASCADE")
    )
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"))
    purpose_id: Mapped[int] = mapped_column(
        ForeignKey("gdpr_consents_purpose.id")
    )
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, 16))
    state_before: Mapped[str | None] = mapped_column(SafeString(16), default=None)
    state_after: Mapped[str] = mapped_column(SafeString(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    effective_at: Mapped[datetime | None] = mapped_column(default=None)
    actor: Mapped[str] = mapped_column(SafeString(255))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    source: Mapped[str | None] = mapped_column(SafeString(32), default=None)
    reason: Mapped[str | None] = mapped_column(SafeText, default=None)
    before: Mapped[dict[str, Any] | None] = mapped_column(SafeJSON(), default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(SafeJSON(), default=None)
    ip: Mapped[str | None] = mapped_column(SafeString(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(SafeString(512), default=None)
    payload_ref: Mapped[str | None] = mapped_column(SafeString(255), default=None)
    payload: Mapped[dict[str, Any] | None] = mapped_column(SafeJSON(), default=None)

    consent: Mapped[Consent] = relationship()
    purpose: Mapped[Purpose] = relationship()

    def __str__(self) -> str:
        return event_label(self.kind, self.consent_id)


class Undeliverable(TenantOwned, db.Model):
    """An address marked undeliverable (hard bounce, cleaned, by hand) with when and why.

    Keyed by the normalized address, since that is what bounced; `cleared_at` set means the
    mark was lifted. An active mark keeps the address out of every segment.
    """

    __tablename__ = "gdpr_consents_undeliverable"
    __table_args__ = (
        Index("ix_gdpr_consents_undeliverable_email", "tenant_id", "email", "cleared_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(SafeString(320))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact.id", ondelete="SET NULL"), default=None
    )
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(SafeString(255))
    source: Mapped[str] = mapped_column(SafeString(32), default="manual")
    detail: Mapped[str | None] = mapped_column(SafeText, default=None)
    marked_by: Mapped[str] = mapped_column(SafeString(255), default="system")
    cleared_at: Mapped[datetime | None] = mapped_column(default=None)
    cleared_by: Mapped[str | None] = mapped_column(SafeString(255), default=None)

    def __str__(self) -> str:
        return f"{self.email} undeliverable ({self.reason})"


class Segment(TenantOwned, Timestamps, db.Model):
    """A saved segment: contacts with a valid consent to its purposes, with its options."""

    __tablename__ = "gdpr_consents_segment"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(SafeString(128))
    purposes: Mapped[list[str]] = mapped_column(SafeJSON())
    match_all: Mapped[bool] = mapped_column(default=True)
    include_role_addresses: Mapped[bool] = mapped_column(default=False)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("company.id", ondelete="SET NULL"), default=None
    )
    tag_id: Mapped[int | None] = mapped_column(
        ForeignKey("tag.id", ondelete="SET NULL"), default=None
    )
    filters: Mapped[list[str]] = mapped_column(SafeJSON(), default=list)
    created_by: Mapped[str] = mapped_column(SafeString(255), default="system")

    def __str__(self) -> str:
        return self.name


class ImportMapping(TenantOwned, Timestamps, db.Model):
    """A saved column mapping for spreadsheet imports: {field: header} and options."""

    __tablename__ = "gdpr_consents_import_mapping"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(SafeString(128))
    columns: Mapped[dict[str, Any]] = mapped_column(SafeJSON(), default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(SafeJSON(), default=dict)
    created_by: Mapped[str] = mapped_column(SafeString(255), default="system")

    def __str__(self) -> str:
        return self.name


class ListMapping(TenantOwned, Timestamps, db.Model):
    """Which purpose a mailing system's list (audience, campaign list) stands for."""

    __tablename__ = "gdpr_consents_list_mapping"
    __table_args__ = (UniqueConstraint("tenant_id", "provider", "list_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(SafeString(32))
    list_id: Mapped[str] = mapped_column(SafeString(128), default="")
    purpose_id: Mapped[int] = mapped_column(
        ForeignKey("gdpr_consents_purpose.id", ondelete="CASCADE")
    )

    purpose: Mapped[Purpose] = relationship()

    def __str__(self) -> str:
        return f"{self.provider} list {self.list_id or '(default)'}"


class WebhookEndpoint(TenantOwned, Timestamps, db.Model):
    """The secret part of a tenant's webhook URL for one mailing system."""

    __tablename__ = "gdpr_consents_webhook"
    __table_args__ = (UniqueConstraint("tenant_id", "provider"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(SafeString(32))
    secret: Mapped[str] = mapped_column(SafeString(64))

    __secret_fields__ = ("secret",)

    def __str__(self) -> str:
        return f"{self.provider} webhook"


class WebhookEvent(TenantOwned, db.Model):
    """One accepted event of a mailing system (deduplicated on its canonical digest)."""

    __tablename__ = "gdpr_consents_webhook_event"
    __table_args__ = (
        UniqueConstraint("tenant_id", "provider", "digest"),
        Index("ix_gdpr_consents_webhook_event_email", "tenant_id", "email", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(SafeString(32))
    digest: Mapped[str] = mapped_column(SafeString(64))
    kind: Mapped[str] = mapped_column(SafeString(32))
    email: Mapped[str | None] = mapped_column(SafeString(320), default=None)
    list_id: Mapped[str | None] = mapped_column(SafeString(128), default=None)
    occurred_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(SafeString(255), default="")
    payload: Mapped[dict[str, Any] | None] = mapped_column(SafeJSON(), default=None)

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} {self.email}"


MODELS = [Purpose, Notice, Consent, ConsentEvent, Undeliverable, Segment, ImportMapping,
          ListMapping, WebhookEndpoint, WebhookEvent]
