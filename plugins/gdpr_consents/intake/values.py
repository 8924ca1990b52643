"""Reading cells: dates (Excel cells, ISO 8601, day-first text), yes/no, whole months.

Every reader raises `CellError` with a sentence; the importer adds the row and column.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from typing import Any

from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900, from_excel

from core.clock import start_of_day, to_utc, zone


class CellError(ValueError):
    """A cell that cannot be read; str() is one sentence."""


DAY_FIRST = re.compile(
    r"^(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)
SLASHED = re.compile(r"^\d{1,2}/\d{1,2}/\d{2,4}(?:\s.*)?$")

DATE_FORMATS = {
    "auto": None,
    "dmy": "%d/%m/%Y",
    "mdy": "%m/%d/%Y",
}
"""Explicit formats for a column whose dates are ambiguous (`1/2/2020`)."""

_YES = {"da", "yes", "y", "1", "x", "true", "ja", "d", "oui"}
_NO = {"ne", "no", "n", "0", "", "false", "nein", "non"}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).strip().lower()


def is_blank(value: Any) -> bool:
    """True for an empty cell (None or only spaces)."""
    return value is None or (isinstance(value, str) and not value.strip())


def read_when(value: Any, tz: Any, *, date_format: str = "auto", epoch: datetime | None = None,
              naive_zone: Any = None) -> datetime | None:
    """Return the aware UTC instant of a date cell, or None for an empty one.

    Accepted: an Excel date cell (a naive datetime or date), an Excel serial number (read
    with the workbook's `epoch`, 1900 or 1904 system), ISO 8601 text with or without zone,
    day-first `d.m.yyyy [HH:MM]`, and with `date_format` `dmy`/`mdy` slashed dates. Times
    without a zone are read in `naive_zone` (default: `tz`, the tenant's zone); a date
    alone is 00:00 in `tz`.

    A date outside the clock's range (`core.clock.FIRST_DAY`..`LAST_DAY`) is a CellError too."""
    try:
        return _read_when(value, tz, date_format=date_format, epoch=epoch,
                          naive_zone=naive_zone)
    except CellError:
        raise
    except ValueError as exc:  # out of the clock's range
        raise CellError(f"{exc}.") from None


def _read_when(value: Any, tz: Any, *, date_format: str, epoch: datetime | None,
               naive_zone: Any) -> datetime | None:
    tzinfo = zone(tz) if isinstance(tz, str) or tz is None else tz
    naive = tzinfo if naive_zone is None else naive_zone
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        if value.utcoffset() is not None:
            return to_utc(value)
        if value.time() == time(0) and naive is tzinfo:
            return start_of_day(value.date(), tzinfo)
        return to_utc(value.replace(tzinfo=naive))
    if isinstance(value, date):
        return start_of_day(value, tzinfo)
    if isinstance(value, bool):
        raise CellError(f"'{value}' is not a date.")
    if isinstance(value, int | float):
        if value < 1:  # before the first day (-5 would read 1899-12-25), or a bare time
            raise CellError(f"'{value}' is not an Excel date number (a date is a positive "
                            "number of days).")
        try:
            converted = from_excel(value, epoch or CALENDAR_WINDOWS_1900)
        except (ValueError, OverflowError, TypeError):
            raise CellError(f"'{value}' is not an Excel date number.") from None
        return read_when(converted, tz, naive_zone=naive_zone)
    text = str(value).strip()
    match = DAY_FIRST.match(text)
    if match:
        day, month, year, hour, minute, second = match.groups()
        try:
            moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                              int(second or 0), tzinfo=naive)
        except ValueError:
            raise CellError(f"'{text}' is not a real date (day.month.year).") from None
        if hour is None:
            return start_of_day(moment.date(), tzinfo)
        return to_utc(moment)
    fmt = DATE_FORMATS.get(date_format)
    if SLASHED.match(text):
        if fmt is None:
            raise CellError(f"'{text}' is ambiguous (day/month or month/day); choose the "
                            "column's date format (dmy or mdy).")
        try:
            day_only = datetime.strptime(text.split()[0], fmt).date()  # noqa: DTZ007
        except ValueError:
            raise CellError(f"'{text}' does not match the date format {date_format}.") from None
        return start_of_day(day_only, tzinfo)
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if len(text) > 10 else text)
    except ValueError:
        raise CellError(f"'{text}' is not a date; use d.m.yyyy or YYYY-MM-DD.") from None
    if len(text) <= 10:
        return start_of_day(parsed.date(), tzinfo)
    return read_when(parsed, tz, naive_zone=naive_zone)


def read_yes_no(value: Any) -> bool:
    """Return True/False for `Da/Ne`, `Yes/No`, `1/0`, `x`/empty, `TRUE/FALSE`; anything
    else raises CellError (never a guess)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    folded = _fold(str(value))
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise CellError(f"'{value}' is not yes or no; use Da/Ne, Yes/No, 1/0, x or TRUE/FALSE.")


def read_months(value: Any) -> int | None:
    """Return a whole number of months from 1 to 1200, or None for an empty cell."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        months = int(str(value).strip())
    except ValueError:
        raise CellError(f"'{value}' is not a whole number of months.") from None
    if not 1 <= months <= 1200:
        raise CellError(f"{months} months is out of range (1 to 1200).")
    return months


def read_text(value: Any, limit: int) -> str | None:
    """Return the cell as trimmed text (None when empty); CellError when it is longer than
    `limit` characters (never cut: the column it goes to holds no more)."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if len(text) > limit:
        raise CellError(f"at most {limit} characters (the cell has {len(text)}).")
    return text
