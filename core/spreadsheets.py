"""The one CSV/XLSX writer of the project: every export goes through here.

Both writers stream (rows are consumed one at a time from any iterable), sanitize every
string with `core.text.sanitize_text`, and neutralise spreadsheet formulas (OWASP CSV
injection) so that exported user data is never executed by Excel or LibreOffice.
Datetimes must be aware; they are shown in the tenant's time zone.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, islice
from typing import BinaryIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from core.clock import zone
from core.text import sanitize_text, xml_safe

Target = str | os.PathLike[str] | BinaryIO

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_TYPES = (int, float, Decimal)  # bool is excluded explicitly where it matters
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
_DATE_FORMAT = "yyyy-mm-dd"
_BOLD = Font(bold=True)

_WIDTH_SAMPLE_ROWS = 100
_MAX_WIDTH = 60
_MIN_WIDTH = 8

_MAX_TITLE = 31
_INVALID_TITLE_RE = re.compile(r"[\[\]:*?/\\]")


@dataclass
class Sheet:
    """One worksheet of an XLSX export: its title, header, data rows and optional widths."""

    title: str
    header: list[str]
    rows: Iterable[Sequence[object]]
    widths: list[int] | None = None


def neutralize(value: str) -> str:
    """Return `value` with a leading single quote if it starts with = + - @ tab or CR, so a
    spreadsheet program shows it as text instead of evaluating it; otherwise unchanged."""
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value


def write_csv(
    target: Target,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    tz: ZoneInfo | str = "UTC",
    delimiter: str = ",",
) -> int:
    """Stream `header` and `rows` to `target` (a path or a binary stream) as UTF-8 CSV with a
    BOM and CRLF line endings. Strings are sanitized and neutralised, None is empty, aware
    datetimes are ISO 8601 in `tz` with offset, dates ISO, bools yes/no, numbers unchanged.
    Returns the number of data rows written; raises ValueError on a naive datetime."""
    tzinfo = _zone(tz)
    header = list(header)
    count = 0
    with _open_binary(target) as stream:
        # Excel needs the BOM to read the file as UTF-8 rather than the ANSI code page.
        stream.write(b"\xef\xbb\xbf")
        writer = csv.writer(_Utf8Writer(stream), delimiter=delimiter, lineterminator="\r\n")
        writer.writerow([neutralize(sanitize_text(str(name))) for name in header])
        for row in rows:
            writer.writerow(
                [_csv_value(value, tzinfo, header, index) for index, value in enumerate(row)]
            )
            count += 1
    return count


def write_xlsx(target: Target, sheets: Iterable[Sheet], *, tz: ZoneInfo | str = "UTC") -> int:
    """Stream `sheets` into an XLSX workbook at `target` (a path or a binary stream) using
    openpyxl's write-only mode. Every string is sanitized, neutralised and written as a text
    cell (never a formula); aware datetimes are shown in `tz`; the header row is bold and
    frozen; sheet titles are made valid and unique. Returns the total number of data rows
    written; raises ValueError on a naive datetime."""
    tzinfo = _zone(tz)
    workbook = Workbook(write_only=True)
    # Excel reserves "History"; names compare case-insensitively.
    taken = {"history"}
    count = 0
    try:
        for sheet in sheets:
            worksheet = workbook.create_sheet(title=_sheet_title(sheet.title, taken))
            count += _write_sheet(worksheet, sheet, tzinfo)
        if not workbook.worksheets:
            # A workbook without any sheet is not a valid XLSX file.
            workbook.create_sheet(title="Sheet")
        workbook.save(target)
    except BaseException:
        _discard(workbook)
        raise
    return count


def _discard(workbook: Workbook) -> None:
    """Close and delete the temporary files of an unfinished write-only workbook.

    openpyxl streams each write-only sheet into a temporary file that only a successful
    save removes; after an error they would stay on disk (large for big exports), and
    their half-closed XML writers would raise when garbage-collected.
    """
    for worksheet in workbook.worksheets:
        writer = worksheet._writer
        if writer is None:
            continue
        with suppress(Exception):
            worksheet.close()
        with suppress(OSError, ValueError):
            writer.cleanup()


class _Utf8Writer:
    """Minimal text sink for csv.writer that encodes each row onto a binary stream."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(text.encode("utf-8"))


@contextmanager
def _open_binary(target: Target) -> Iterator[BinaryIO]:
    if isinstance(target, str | os.PathLike):
        try:
            with open(target, "wb") as stream:
                yield stream
        except BaseException:
            # Do not leave a truncated export behind that looks complete.
            with suppress(OSError):
                os.remove(target)
            raise
    else:
        # A caller's stream stays open: the caller owns it.
        yield target


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else zone(tz)


def _column_name(header: Sequence[str], index: int) -> str:
    if index < len(header):
        return repr(header[index])
    return f"{index + 1} ({get_column_letter(index + 1)})"


def _in_zone(value: datetime, tzinfo: ZoneInfo, header: Sequence[str], index: int) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"Column {_column_name(header, index)} holds a naive datetime ({value.isoformat()}); "
            "exports need aware datetimes."
        )
    return value.astimezone(tzinfo)


def _csv_value(value: object, tzinfo: ZoneInfo, header: Sequence[str], index: int) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, _NUMBER_TYPES):
        return value
    if isinstance(value, datetime):
        return _in_zone(value, tzinfo, header, index).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return neutralize(sanitize_text(str(value)))


def _xlsx_text(value: str) -> str:
    text = sanitize_text(value)
    # Both replacements are defensive: sanitize_text already removes what they match.
    text = xml_safe(ILLEGAL_CHARACTERS_RE.sub("\ufffd", text))
    return neutralize(text)


def _text_cell(worksheet: WriteOnlyWorksheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(worksheet, value=text)
    # openpyxl marks any string starting with "=" as a formula; force a plain string.
    cell.data_type = "s"
    return cell


def _xlsx_cell(
    worksheet: WriteOnlyWorksheet,
    value: object,
    tzinfo: ZoneInfo,
    header: Sequence[str],
    index: int,
) -> object:
    if value is None:
        return None
    if isinstance(value, bool):
        return _text_cell(worksheet, "yes" if value else "no")
    if isinstance(value, _NUMBER_TYPES):
        return value
    if isinstance(value, datetime):
        # openpyxl cannot write aware datetimes: convert to the zone, then drop the tzinfo.
        local = _in_zone(value, tzinfo, header, index).replace(tzinfo=None)
        cell = WriteOnlyCell(worksheet, value=local)
        cell.number_format = _DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = _DATE_FORMAT
        return cell
    return _text_cell(worksheet, _xlsx_text(str(value)))


def _write_sheet(worksheet: WriteOnlyWorksheet, sheet: Sheet, tzinfo: ZoneInfo) -> int:
    rows = iter(sheet.rows)
    # Buffer only the rows needed to estimate widths; the rest are streamed.
    sample = list(islice(rows, _WIDTH_SAMPLE_ROWS))
    # In write-only mode, column widths and panes must be set before the first row.
    for index, width in enumerate(_column_widths(sheet, sample), start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = width
    worksheet.freeze_panes = "A2"

    header_cells = []
    for name in sheet.header:
        cell = _text_cell(worksheet, _xlsx_text(str(name)))
        cell.font = _BOLD
        header_cells.append(cell)
    worksheet.append(header_cells)

    count = 0
    for row in chain(sample, rows):
        worksheet.append(
            [
                _xlsx_cell(worksheet, value, tzinfo, sheet.header, index)
                for index, value in enumerate(row)
            ]
        )
        count += 1
    return count


def _column_widths(sheet: Sheet, sample: Sequence[Sequence[object]]) -> list[float]:
    given = list(sheet.widths or [])
    columns = max([len(sheet.header), len(given), *(len(row) for row in sample)], default=0)
    widths: list[float] = []
    for index in range(columns):
        if index < len(given):
            widths.append(given[index])
            continue
        longest = _display_length(sheet.header[index]) if index < len(sheet.header) else 0
        for row in sample:
            if index < len(row):
                longest = max(longest, _display_length(row[index]))
        widths.append(min(_MAX_WIDTH, max(_MIN_WIDTH, longest + 2)))
    return widths


def _display_length(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, bool):
        return 3
    if isinstance(value, datetime):
        return len("yyyy-mm-dd hh:mm")
    if isinstance(value, date):
        return len("yyyy-mm-dd")
    return max((len(line) for line in str(value).splitlines()), default=0)


def _sheet_title(title: str, taken: set[str]) -> str:
    """Return a valid, unique sheet title for `title` and record it (casefolded) in `taken`."""
    text = _INVALID_TITLE_RE.sub("_", xml_safe(sanitize_text(title)))
    text = " ".join(text.split())
    # Excel rejects titles that start or end with an apostrophe.
    base = text[:_MAX_TITLE].strip("'").strip() or "Sheet"
    candidate = base
    number = 2
    while candidate.casefold() in taken:
        suffix = f" ({number})"
        candidate = base[: _MAX_TITLE - len(suffix)].rstrip("' ") + suffix
        number += 1
    taken.add(candidate.casefold())
    return candidate
