"""People who log in: tenant users, tenant admins and platform admins."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import Enum, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.clock import utcnow
from core.db import SafeString, db
from core.models.tenant import Tenant
from core.scoping import TenantOwned

MIN_PASSWORD_LENGTH = 10


class Role(enum.StrEnum):
    """What a user may do: `user` works with CRM data, `admin` also manages the tenant's
    users and plugins, `platform_admin` manages tenants and no tenant's CRM data."""

    USER = "user"
    ADMIN = "admin"
    PLATFORM_ADMIN = "platform_admin"


class WeakPassword(ValueError):
    """Raised when a password does not meet the policy."""


def check_password_policy(password: str) -> None:
    """Raise WeakPassword with a plain sentence when `password` is too weak."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() == "" or len(set(password)) < 4:
        raise WeakPassword("the password must not be one repeated character or blank")


class User(TenantOwned, db.Model):
    """A login. The e-mail is unique across the deployment; platform admins have no tenant."""

    __tablename__ = "user_account"
    __secret_fields__ = ("password_hash", "session_token")
    # rotated at every login and logout; those are reported by their own hooks
    __bookkeeping_fields__ = ("session_token", "last_login_at")

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        ForeignKey("tenant.id", ondelete="CASCADE"), index=True, nullable=True
    )
    email: Mapped[str] = mapped_column(SafeString(320), unique=True)
    full_name: Mapped[str] = mapped_column(SafeString(255), default="")
    password_hash: Mapped[str] = mapped_column(SafeString(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=Role.USER,
    )
    active: Mapped[bool] = mapped_column(default=True)
    session_token: Mapped[str] = mapped_column(
        SafeString(64), default=lambda: secrets.token_urlsafe(32)
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)

    tenant: Mapped[Tenant | None] = relationship()

    def set_password(self, password: str) -> None:
        """Check the policy, store a strong (scrypt) hash and end every open session."""
        check_password_policy(password)
        self.password_hash = generate_password_hash(password)
        self.rotate_session_token()

    def check_password(self, password: str) -> bool:
        """Return True when `password` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def rotate_session_token(self) -> None:
        """Invalidate every session and remember-me cookie issued so far."""
        self.session_token = secrets.token_urlsafe(32)

    # --- what Flask-Login asks of a user -------------------------------------------------

    @property
    def is_authenticated(self) -> bool:
        """Always True for a stored user (Flask-Login)."""
        return True

    @property
    def is_active(self) -> bool:
        """False for a disabled login: it cannot log in and its sessions end (Flask-Login)."""
        return bool(self.active)

    @property
    def is_anonymous(self) -> bool:
        """Always False for a stored user (Flask-Login)."""
        return False

    def get_id(self) -> str:
        """The session token, not the row id: sessions and remember-me cookies carry it, so
        rotating it (logout, password change) makes every copy of them useless."""
        return self.session_token

    @property
    def is_platform_admin(self) -> bool:
        """True for platform admins (they belong to no tenant)."""
        return self.role == Role.PLATFORM_ADMIN

    @property
    def is_tenant_admin(self) -> bool:
        """True for a tenant's admin."""
        return self.role == Role.ADMIN

    def __str__(self) -> str:
        return self.email
