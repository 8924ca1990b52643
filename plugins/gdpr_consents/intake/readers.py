"""Turning an uploaded file into sheets of rows: XLSX (openpyxl read-only, 1900 and 1904
date systems), CSV (UTF-8 with or without BOM, Windows-1250; `,`, `;` or tab; CRLF) and
ZIP archives of CSVs (a Mailchimp audience export). Limits on the file size, the
uncompressed size (a small ZIP that unpacks to gigabytes is refused) and the rows.

An XLSX cell holding a formula whose result the file does not store (a workbook written by a
program, not saved by Excel) reads as empty; such cells are listed in `Sheet.formulas` so
the importer can say "a formula" instead of "empty"."""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900

FORMULA_MARKS = (b"<f>", b"<f ", b":f>", b":f ")
"""What a formula element (`<f>`, `<f t="shared" .../>`, `<x:f>`) looks like in a worksheet's
XML; a false alarm only costs a second look at the workbook."""


class FileRefused(ValueError):
    """A file that cannot be read as a whole; str() is one sentence naming the file."""


@dataclass(frozen=True)
class Limits:
    """How much an import may read."""

    max_bytes: int = 20 * 1024 * 1024
    max_uncompressed: int = 200 * 1024 * 1024
    max_rows: int = 200_000


@dataclass
class Sheet:
    """One table of a file: its name (file or member name), headers and data rows
    (numbered as a spreadsheet program shows them: the header is row 1). A row is a tuple
    of its values: the garbage collector stops tracking a tuple of plain values, and a
    large sheet stays in memory for the whole import."""

    name: str
    headers: list[str]
    rows: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)
    epoch: datetime = CALENDAR_WINDOWS_1900
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    """{(row, column index): formula} of the cells that hold a formula and no value."""


def _blank(values: Any) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _check_zip(name: str, data: bytes, limits: Limits) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FileRefused(f"{name}: the file is not a readable XLSX or ZIP file.") from None
    total = sum(info.file_size for info in archive.infolist())
    if total > limits.max_uncompressed:
        raise FileRefused(f"{name}: the file unpacks to {total // (1024 * 1024)} MB, more than "
                          f"the limit of {limits.max_uncompressed // (1024 * 1024)} MB.")
    return archive


def _table(name: str, rows: Iterator[Any], limits: Limits, epoch: datetime) -> Sheet:
    headers: list[str] | None = None
    sheet = Sheet(name, [], epoch=epoch)
    for number, values in enumerate(rows, start=1):
        values = tuple(values)
        if _blank(values):
            continue
        if headers is None:
            headers = [str(v).replace("\ufeff", "").strip() if v is not None else ""
                       for v in values]
            sheet.headers = headers
            continue
        if len(sheet.rows) >= limits.max_rows:
            raise FileRefused(f"{name}: more than {limits.max_rows} rows; split the file.")
        sheet.rows.append((number, values))
    if headers is None:
        raise FileRefused(f"{name}: the file is empty; it needs a header row.")
    return sheet


def read_xlsx(name: str, data: bytes, limits: Limits) -> Sheet:
    """Read the first worksheet of an XLSX workbook (date cells come back as datetimes in
    the workbook's own date system)."""
    _check_zip(name, data, limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise FileRefused(f"{name}: the workbook cannot be read ({exc}).") from None
    try:
        sheet = book.worksheets[0]
        # read every row and column there is: many writers leave a stale or one-cell
        # <dimension>, which read-only mode would otherwise take as the sheet's extent
        sheet.reset_dimensions()
        table = _table(name, sheet.iter_rows(values_only=True), limits, book.epoch)
    finally:
        book.close()
    if _has_formulas(data):
        table.formulas = _formulas_without_value(data, table)
    return table


def _has_formulas(data: bytes) -> bool:
    """True when a worksheet of the workbook has a formula (cheap: no workbook parse)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return any(any(mark in xml for mark in FORMULA_MARKS)
                   for xml in (archive.read(info) for info in archive.infolist()
                               if info.filename.startswith("xl/worksheets/") and
                               info.filename.endswith(".xml")))


def _formulas_without_value(data: bytes, table: Sheet) -> dict[tuple[int, int], str]:
    """{(row, column index): formula} of the first worksheet's formula cells that read as
    empty in `table` (the file stores no result for them)."""
    values = dict(table.rows)
    found = {}
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            row = values.get(number)
            for index, cell in enumerate(cells):
                if getattr(cell, "data_type", None) != "f":
                    continue
                if row is None or index >= len(row) or row[index] is None:
                    found[(number, index)] = str(cell.value)
    finally:
        book.close()
    return found


def decode(name: str, data: bytes) -> str:
    """Decode CSV bytes: UTF-8 (a BOM is dropped), else Windows-1250; UTF-16 (Excel's
    "Unicode text", known by its BOM) is refused with what to do."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(f"{name}: the text is UTF-16 (\"Unicode text\"); save it as "
                          "CSV UTF-8.")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1250")
    except UnicodeDecodeError:
        raise FileRefused(f"{name}: the text is neither UTF-8 nor Windows-1250; save it as "
                          "CSV UTF-8.") from None


def sniff_delimiter(text: str) -> str:
    """The separator of a CSV text: whichever of `;`, `,` and tab its first line has most."""
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def read_csv(name: str, data: bytes, limits: Limits) -> Sheet:
    """Read a CSV file (encoding and separator detected; CRLF or LF)."""
    if len(data) > limits.max_uncompressed:
        raise FileRefused(f"{name}: the file is larger than the limit.")
    text = decode(name, data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        sheet = _table(name, reader, limits, CALENDAR_WINDOWS_1900)
    except csv.Error as exc:
        raise FileRefused(f"{name}: the CSV cannot be read ({exc}).") from None
    _refuse_cells_beyond_the_header(sheet)
    return sheet


def _refuse_cells_beyond_the_header(sheet: Sheet) -> None:
    """A CSV row with filled cells beyond the header's columns is a shifted row (a broken
    export or an unquoted separator in a value): refuse the file naming the first one."""
    width = max((i + 1 for i, header in enumerate(sheet.headers) if header), default=0)
    for number, values in sheet.rows:
        extra = [v for v in values[width:] if not _blank((v,))]
        if extra:
            shown = ", ".join(repr(v) for v in extra[:3])
            raise FileRefused(f"{sheet.name}: row {number} has {len(values)} cells, the header "
                              f"row {width} (beyond it: {shown}); a separator inside a value "
                              "needs quotes.")


def read_zip_of_csvs(name: str, data: bytes, limits: Limits) -> list[Sheet]:
    """Read every CSV inside a ZIP archive (e.g. a Mailchimp audience export)."""
    archive = _check_zip(name, data, limits)
    sheets = []
    for info in sorted(archive.infolist(), key=lambda i: i.filename):
        if info.is_dir() or not info.filename.lower().endswith(".csv"):
            continue
        member = info.filename.rsplit("/", 1)[-1]
        try:
            with archive.open(info) as handle:
                content = handle.read(limits.max_uncompressed + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError,
                RuntimeError) as exc:  # damaged, cut, encrypted or oddly compressed
            raise FileRefused(f"{name}: the member {member} cannot be read ({exc}); the ZIP "
                              "file is damaged.") from None
        sheets.append(read_csv(member, content, limits))
    if not sheets:
        raise FileRefused(f"{name}: the ZIP file holds no CSV files.")
    return sheets


TEXT_EXTENSIONS = ("", "csv", "txt", "tsv")
"""The names a CSV is read under (Excel saves "Text" as .txt; a name may have none)."""


def read_file(name: str, data: bytes, limits: Limits | None = None) -> list[Sheet]:
    """Return the sheets of the file `name` with the content `data`, or raise FileRefused."""
    limits = limits or Limits()
    if len(data) > limits.max_bytes:
        raise FileRefused(f"{name}: the file is {len(data) // 1024} KB, more than the limit "
                          f"of {limits.max_bytes // 1024} KB.")
    lower = name.lower()
    if data.startswith(b"PK"):
        archive = _check_zip(name, data, limits)
        names = set(archive.namelist())
        if "[Content_Types].xml" in names or lower.endswith((".xlsx", ".xlsm")):
            return [read_xlsx(name, data, limits)]
        return read_zip_of_csvs(name, data, limits)
    if lower.endswith((".xlsx", ".xls", ".xlsm")):
        raise FileRefused(f"{name}: the file is not an XLSX workbook; save it as .xlsx or "
                          "CSV.")
    extension = lower.rsplit(".", 1)[1] if "." in lower.rsplit("/", 1)[-1] else ""
    if extension not in TEXT_EXTENSIONS:
        raise FileRefused(f"{name}: a .{extension} file is not a sheet to import; give an "
                          "XLSX workbook, a CSV file or a Mailchimp export ZIP.")
    return [read_csv(name, data, limits)]
