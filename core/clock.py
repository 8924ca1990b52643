"""The one clock: aware UTC now, and conversions to a tenant's local time."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIME_ZONE = "Europe/Ljubljana"
# The days a date may name. Every zone is within 14 hours of UTC, so an instant of these days,
# and that instant shown in any other zone, is one Python can hold (years 1 to 9999).
FIRST_DAY, LAST_DAY = date(1, 1, 3), date(9999, 12, 29)


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


def out_of_range(value: object) -> ValueError:
    """The one error for a date or instant outside the range the CRM handles."""
    return ValueError(
        f"'{value}' is out of range; give a date between {FIRST_DAY} and {LAST_DAY}"
    )


def to_utc(moment: datetime, shown: object = None) -> datetime:
    """Return `moment` (aware) in UTC; raise ValueError naming `shown` (default: the moment)
    when its day, where it is given or in UTC, lies outside FIRST_DAY..LAST_DAY (give or
    take the day the zones differ by)."""
    shown = moment.isoformat() if shown is None else shown
    try:
        utc = moment.astimezone(UTC)
    except OverflowError as exc:
        raise out_of_range(shown) from exc
    slack = timedelta(days=1)
    if not (FIRST_DAY <= moment.date() <= LAST_DAY
            and FIRST_DAY - slack <= utc.date() <= LAST_DAY + slack):
        raise out_of_range(shown)
    return utc


def start_of_day(day: date, tz: str | ZoneInfo | None) -> datetime:
    """Return 00:00 of `day` in the zone `tz`, as an aware UTC datetime.

    Raise ValueError (naming the day) for a day outside FIRST_DAY..LAST_DAY."""
    tzinfo = tz if isinstance(tz, ZoneInfo) else zone(tz)
    return to_utc(datetime.combine(day, time(0, 0), tzinfo=tzinfo), day.isoformat())


def parse_as_of(value: str, tz: str | ZoneInfo | None) -> datetime:
    """Parse an `--as-of` argument: a date is the start of that day in `tz`; a date-time with
    an offset is taken as given; a date-time without one is read in `tz`. Returns aware UTC.

    Raise ValueError with one sentence naming `value` when it is not a date or date-time, or
    when it lies outside FIRST_DAY..LAST_DAY."""
    text = value.strip()
    tzinfo = tz if isinstance(tz, ZoneInfo) else zone(tz)
    try:
        moment = (datetime.combine(date.fromisoformat(text), time(0, 0)) if len(text) == 10
                  else datetime.fromisoformat(text))
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a date (YYYY-MM-DD) or an ISO 8601 date-time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tzinfo)
    return to_utc(moment, text)


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
