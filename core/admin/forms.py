"""Form checks shared by the admin pages; every message names its field."""

from __future__ import annotations

from typing import Any

from wtforms.validators import ValidationError

from core.clock import zone
from core.emails import InvalidEmail, normalize_email


def valid_email(form: Any, field: Any) -> None:
    """An empty value passes (use DataRequired to require one); anything else must be an
    e-mail address."""
    if field.data is None or not str(field.data).strip():
        return
    try:
        normalize_email(str(field.data))
    except InvalidEmail as exc:
        raise ValidationError(f"{field.label.text}: {exc}") from None


def valid_time_zone(form: Any, field: Any) -> None:
    """The value must be a known time zone name such as Europe/Ljubljana."""
    try:
        zone(str(field.data or "").strip())
    except ValueError as exc:
        raise ValidationError(f"{field.label.text}: {exc}") from None
