"""The CRM data: companies, contacts, tags and activities."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Enum, ForeignKey, Index, Table, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from core.clock import utcnow
from core.db import SafeString, SafeText, db
from core.emails import normalize_email
from core.scoping import SoftDeletable, TenantOwned
from core.text import search_key

contact_tag = Table(
    "contact_tag",
    db.metadata,
    Column("contact_id", ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
)

activity_participant = Table(
    "activity_participant",
    db.metadata,
    Column("activity_id", ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True),
    Column("contact_id", ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_activity_participant_contact_id", "contact_id"),
)


class Timestamped:
    """Creation and last-change times, set by the one clock."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Company(TenantOwned, SoftDeletable, Timestamped, db.Model):
    """An organisation the tenant works with."""

    __tablename__ = "company"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(SafeString(255))
    vat_id: Mapped[str | None] = mapped_column(SafeString(32), default=None)
    website: Mapped[str | None] = mapped_column(SafeString(255), default=None)
    phone: Mapped[str | None] = mapped_column(SafeString(64), default=None)
    address: Mapped[str | None] = mapped_column(SafeText, default=None)
    notes: Mapped[str | None] = mapped_column(SafeText, default=None)
    search_key: Mapped[str] = mapped_column(SafeString(512), default="", index=True)

    contacts: Mapped[list[Contact]] = relationship(back_populates="company")

    @validates("name", "vat_id")
    def _refresh_search_key(self, key: str, value: str | None) -> str | None:
        values = {"name": self.name, "vat_id": self.vat_id, key: value}
        self.search_key = search_key(values["name"], values["vat_id"])
        return value

    def __str__(self) -> str:
        return self.name


class Tag(TenantOwned, db.Model):
    """A label on contacts ("customer", "supplier", "sejem 2024")."""

    __tablename__ = "tag"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(SafeString(64))

    def __str__(self) -> str:
        return self.name


def person_label(first_name: str | None, last_name: str | None, email: str | None,
                 contact_id: int | None) -> str:
    """How a contact is named (its `str()`): first and last name, else the e-mail, else
    `contact #id`."""
    name = f"{first_name or ''} {last_name or ''}".strip()
    return name or (email or f"contact #{contact_id}")


class Contact(TenantOwned, SoftDeletable, Timestamped, db.Model):
    """A person. The e-mail is stored normalized and is unique per tenant among live rows."""

    __tablename__ = "contact"
    __table_args__ = (
        Index(
            "uq_contact_tenant_email_live",
            "tenant_id",
            "email",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_contact_tenant_last_name", "tenant_id", "last_name", "first_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(SafeString(128), default="")
    last_name: Mapped[str] = mapped_column(SafeString(128), default="")
    email: Mapped[str | None] = mapped_column(SafeString(320), default=None)
    phone: Mapped[str | None] = mapped_column(SafeString(64), default=None)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("company.id", ondelete="SET NULL"), index=True, default=None
    )
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True, default=None
    )
    notes: Mapped[str | None] = mapped_column(SafeText, default=None)
    search_key: Mapped[str] = mapped_column(SafeString(768), default="", index=True)

    company: Mapped[Company | None] = relationship(back_populates="contacts")
    owner = relationship("User")
    tags: Mapped[list[Tag]] = relationship(secondary=contact_tag, order_by="Tag.name")
    activities: Mapped[list[Activity]] = relationship(
        secondary=activity_participant,
        back_populates="participants",
        order_by="Activity.occurred_at.desc()",
    )

    @validates("email")
    def _normalize_email(self, key: str, value: str | None) -> str | None:
        value = normalize_email(value) if value and value.strip() else None
        self._refresh_search_key_with(email=value)
        return value

    @validates("first_name", "last_name")
    def _refresh_search_key(self, key: str, value: str | None) -> str:
        value = value or ""
        self._refresh_search_key_with(**{key: value})
        return value

    def _refresh_search_key_with(self, **changed: str | None) -> None:
        values = {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            **changed,
        }
        self.search_key = search_key(values["first_name"], values["last_name"], values["email"])

    @property
    def full_name(self) -> str:
        """First and last name, or the e-mail when both are empty."""
        return person_label(self.first_name, self.last_name, self.email, self.id)

    def __str__(self) -> str:
        return self.full_name


class ActivityKind(enum.StrEnum):
    """What kind of interaction an activity records."""

    MEETING = "meeting"
    CALL = "call"
    EMAIL = "email"
    NOTE = "note"
    TASK = "task"


class Activity(TenantOwned, SoftDeletable, Timestamped, db.Model):
    """A meeting, call, e-mail, note or task with one or more contacts."""

    __tablename__ = "activity"
    __table_args__ = (Index("ix_activity_tenant_occurred_at", "tenant_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ActivityKind] = mapped_column(
        Enum(
            ActivityKind,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=ActivityKind.NOTE,
    )
    subject: Mapped[str] = mapped_column(SafeString(255))
    body: Mapped[str | None] = mapped_column(SafeText, default=None)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("company.id", ondelete="SET NULL"), index=True, default=None
    )
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True, default=None
    )
    search_key: Mapped[str] = mapped_column(SafeString(512), default="")

    company: Mapped[Company | None] = relationship()
    owner = relationship("User")
    participants: Mapped[list[Contact]] = relationship(
        secondary=activity_participant, back_populates="activities"
    )

    @validates("subject")
    def _refresh_search_key(self, key: str, value: str) -> str:
        self.search_key = search_key(value)
        return value

    def __str__(self) -> str:
        return self.subject
