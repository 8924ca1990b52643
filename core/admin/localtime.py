"""Times on the admin pages: shown and typed in the tenant's time zone, stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import g
from wtforms import DateTimeLocalField
from wtforms.validators import ValidationError

from core.clock import DEFAULT_TIME_ZONE, start_of_day, to_local, zone

SHOWN_FORMAT = "%Y-%m-%d %H:%M"


def tenant_time_zone() -> str:
    """The time zone of the request's tenant (the default zone without one)."""
    tenant = g.get("crm_tenant")
    return tenant.time_zone if tenant is not None else DEFAULT_TIME_ZONE


def show_time(moment: datetime | None) -> str:
    """`moment` as the tenant's local wall-clock time (empty for None)."""
    local = to_local(moment, tenant_time_zone())
    return "" if local is None else local.strftime(SHOWN_FORMAT)


def day_start(day: date) -> datetime:
    """00:00 of `day` in the tenant's zone, as aware UTC."""
    return start_of_day(day, tenant_time_zone())


def format_datetime(view: Any, value: datetime, name: str | None = None) -> str:
    """Flask-Admin type formatter: aware datetimes in the tenant's zone."""
    return show_time(value)


class LocalDateTimeField(DateTimeLocalField):
    """A date-time typed in the tenant's local time and stored as aware UTC."""

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        """Read the typed local time and keep it as aware UTC."""
        super().process_formdata(valuelist)
        if self.data is not None and self.data.tzinfo is None:
            try:
                self.data = self.data.replace(tzinfo=zone(tenant_time_zone())).astimezone(UTC)
            except (OverflowError, ValueError):
                self.data = None  # e.g. year 1 before UTC: pre_validate names the field

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        local = to_local(self.data, tenant_time_zone()) if self.data else None
        return local.strftime("%Y-%m-%dT%H:%M") if local else ""

    def pre_validate(self, form: Any) -> None:
        """A value that is not a date and time names the field in its message."""
        if self.raw_data and self.raw_data[0].strip() and self.data is None:
            raise ValidationError(f"{self.label.text}: enter a date and time (YYYY-MM-DD HH:MM).")
