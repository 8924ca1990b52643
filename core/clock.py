"""The one clock: aware UTC now, and conversions to a tenant's local time."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIME_ZONE = "Europe/Ljubljana"


def utcnow() -> datetime:
    """Return the current instant as an aware UTC datetime."""
    return datetime.now(UTC)


def zone(name: str | None) -> ZoneInfo:
    """Return the ZoneInfo for `name` (the default zone when empty); raise ValueError if unknown."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"'{name}' is not a known time zone (use a name like Europe/Ljubljana)"
        ) from exc


def start_of_day(day: date, tz: str | ZoneInfo | None) -> datetime:
    """Return 00:00 of `day` in the zone `tz`, as an aware UTC datetime."""
    tzinfo = tz if isinstance(tz, ZoneInfo) else zone(tz)
    return datetime.combine(day, time(0, 0), tzinfo=tzinfo).astimezone(UTC)


def parse_as_of(value: str, tz: str | ZoneInfo | None) -> datetime:
    """Parse an `--as-of` argument: a date is the start of that day in `tz`; a date-time with
    an offset is taken as given; a date-time without one is read in `tz`. Returns aware UTC."""
    text = value.strip()
    tzinfo = tz if isinstance(tz, ZoneInfo) else zone(tz)
    try:
        if len(text) == 10:
            return start_of_day(date.fromisoformat(text), tzinfo)
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a date (YYYY-MM-DD) or an ISO 8601 date-time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tzinfo)
    return moment.astimezone(UTC)


def add_months(moment: datetime, months: int, tz: str | ZoneInfo | None) -> datetime:
    """Add `months` in the local calendar of `tz`, clamping to the month's last day.

    31 January + 1 month is 28 (or 29) February at the same local wall-clock time.
    Returns aware UTC.
    """
    tzinfo = tz if isinstance(tz, ZoneInfo) else zone(tz)
    local = moment.astimezone(tzinfo)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    shifted = datetime.combine(date(year, month, day), local.timetz().replace(tzinfo=None))
    return shifted.replace(tzinfo=tzinfo).astimezone(UTC)


def to_local(moment: datetime | None, tz: str | ZoneInfo | None) -> datetime | None:
    """Return `moment` shown in the zone `tz` (None stays None)."""
    if moment is None:
        return None
    tzinfo = tz if isinstance(tz, ZoneInfo) else zone(tz)
    return moment.astimezone(tzinfo)
