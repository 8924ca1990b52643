"""The tables of the web form (all `gdpr_consents_...`, migration `gdpr_consents_0003`).

- `WebForm`: a tenant's public consent form: the purposes it offers, the notice shown (text,
  version and SHA-256), the thank-you text, and whether it takes submissions.
- `FormSubmission`: one submission waiting for (or past) its confirmation: the address and
  names typed, the purposes chosen, where it came from and the notice shown then. Its id is
  what the signed confirmation link carries.
- `FormThrottle`: one row per accepted submission, keyed by a keyed hash of the address or
  the client IP, for the rate limits (no address or IP in the clear; rows older than the
  window are dropped).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import SafeJSON, SafeString, SafeText, db
from core.scoping import TenantOwned
from plugins.gdpr_consents.models import Purpose, Timestamps

form_purpose = Table(
    "gdpr_consents_web_form_purpose",
    db.metadata,
    Column("form_id", ForeignKey("gdpr_consents_web_form.id", ondelete="CASCADE"),
           primary_key=True),
    Column("purpose_id", ForeignKey("gdpr_consents_purpose.id", ondelete="CASCADE"),
           primary_key=True),
)


class WebForm(TenantOwned, Timestamps, db.Model):
    """A public consent form of a tenant, reached at `/f/<tenant>/<slug>`."""

    __tablename__ = "gdpr_consents_web_form"
    __table_args__ = (UniqueConstraint("tenant_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(SafeString(64))
    title: Mapped[str] = mapped_column(SafeString(255))
    notice_text: Mapped[str] = mapped_column(SafeText)
    notice_version: Mapped[str] = mapped_column(SafeString(64))
    notice_hash: Mapped[str] = mapped_column(SafeString(64), default="")
    thank_you_text: Mapped[str] = mapped_column(SafeText, default="")
    active: Mapped[bool] = mapped_column(default=True)

    purposes: Mapped[list[Purpose]] = relationship(secondary=form_purpose,
                                                   order_by=Purpose.code)

    def __str__(self) -> str:
        return f"web form {self.slug}"


class FormSubmission(TenantOwned, db.Model):
    """A submission of a web form; the consent is recorded only when it is confirmed."""

    __tablename__ = "gdpr_consents_form_submission"
    __table_args__ = (
        Index("ix_gdpr_consents_form_submission_email", "tenant_id", "form_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(
        ForeignKey("gdpr_consents_web_form.id", ondelete="CASCADE"))
    email: Mapped[str | None] = mapped_column(SafeString(320), default=None)
    first_name: Mapped[str] = mapped_column(SafeString(128), default="")
    last_name: Mapped[str] = mapped_column(SafeString(128), default="")
    purpose_ids: Mapped[list[int]] = mapped_column(SafeJSON(), default=list)
    ip: Mapped[str | None] = mapped_column(SafeString(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(SafeString(512), default=None)
    notice_text: Mapped[str] = mapped_column(SafeText, default="")
    notice_version: Mapped[str] = mapped_column(SafeString(64), default="")
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact.id", ondelete="SET NULL"), default=None)

    form: Mapped[WebForm] = relationship()

    def __str__(self) -> str:
        return f"submission #{self.id} of {self.form.slug if self.form else self.form_id}"


class FormThrottle(TenantOwned, db.Model):
    """One accepted submission counted against a rate-limit key (address or IP)."""

    __tablename__ = "gdpr_consents_form_throttle"
    __table_args__ = (Index("ix_gdpr_consents_form_throttle_key", "tenant_id", "key", "at"),)
    __crm_events__ = False  # a counter, not a record: the submission itself is reported

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(SafeString(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


WEBFORM_MODELS = [WebForm, FormSubmission, FormThrottle]
