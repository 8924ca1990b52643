"""Login throttling state, kept in the database so every worker process sees it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from core.db import SafeString, db


class LoginThrottle(db.Model):
    """Failed logins counted per account or per client address within a time window.

    `key` is a keyed hash of the scope and the value (`account` + e-mail, `address` + IP),
    so the table holds no e-mail address or IP in the clear. While `locked_until` lies in the
    future every login for that key is answered 429.
    """

    __tablename__ = "login_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(SafeString(64), unique=True)
    scope: Mapped[str] = mapped_column(SafeString(16))
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None] = mapped_column(default=None, index=True)
