"""Writing a `Pack` as Word, Excel, JSON or a ZIP with the attachments.

Word and Excel go through the core's one DOCX helper and one XLSX writer (formulas
neutralised, characters XML cannot hold replaced, times in the tenant's zone). The JSON
shape is documented in `docs/export.md` (data portability, GDPR Art. 20).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any, BinaryIO

from core.attachments import attachment_store
from core.clock import to_local
from core.docx_report import DocxReport
from core.models import Attachment
from core.spreadsheets import Sheet, write_xlsx
from core.text import sanitize_text, search_key
from plugins.export.gather import Pack, PackSection, show

FORMATS = ("docx", "xlsx", "json", "zip")
MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "zip": "application/zip",
}
JSON_SCHEMA = "crm-gdpr/subject-export"
JSON_VERSION = 1
WIDE_SECTION = 7  # more columns than this: one small Field/Value table per item in Word


def title_of(pack: Pack) -> str:
    """The report's title."""
    if pack.kind == "contact":
        return f"Personal data held about {pack.label}"
    return f"Data held about {pack.label}"


def file_name(pack: Pack, file_format: str) -> str:
    """A download name such as `personal-data-ziga-zupancic-2025-06-15.docx` (ASCII)."""
    slug = re.sub(r"[^a-z0-9]+", "-", search_key(pack.label)).strip("-")[:60] or "record"
    day = to_local(pack.generated_at, pack.time_zone).date().isoformat()
    prefix = "personal-data" if pack.kind == "contact" else "company-data"
    return f"{prefix}-{slug}-{day}.{file_format}"


def write(pack: Pack, file_format: str, target: BinaryIO,
          attachments: list[Attachment] | None = None) -> None:
    """Write `pack` as `file_format` (docx, xlsx, json or zip) to the binary stream
    `target`; raise ValueError for another format."""
    if file_format == "docx":
        write_docx(pack, target)
    elif file_format == "xlsx":
        write_xlsx_pack(pack, target)
    elif file_format == "json":
        target.write(json_bytes(pack))
    elif file_format == "zip":
        write_zip(pack, target, attachments or [])
    else:
        raise ValueError(f"'{file_format}' is not an export format; use "
                         f"{', '.join(FORMATS[:-1])} or {FORMATS[-1]}")


# --- Word ------------------------------------------------------------------------------------


def write_docx(pack: Pack, target: BinaryIO) -> None:
    """A readable report: title, organisation, date, an introduction, a heading and a table
    per section, page numbers in the footer."""
    report = DocxReport(title_of(pack), pack.organisation, pack.generated_at, pack.time_zone)
    who = f"{pack.label} ({pack.email})" if pack.email else pack.label
    report.paragraph(
        f"This report lists the data {pack.organisation} holds about {who}, as recorded on "
        f"the date above. Times are shown in the time zone {pack.time_zone}."
    )
    for section in pack.sections:
        report.heading(section.title, level=1)
        if not section.items:
            report.paragraph("Nothing is held in this part.")
        elif section.is_record or len(section.columns) <= WIDE_SECTION:
            report.table(section.columns, section.rows)
        else:
            _docx_records(report, pack, section)
    report.save(target)


def _docx_records(report: DocxReport, pack: Pack, section: PackSection) -> None:
    """A wide section (many columns) as one Field/Value table per item."""
    for number, item in enumerate(section.items, start=1):
        report.heading(f"{number}. {pack.item_label(section, item)}", level=2)
        report.table(["Field", "Value"],
                     [[name, value] for name, value in zip(section.columns, item.values,
                                                            strict=False)])


# --- Excel -----------------------------------------------------------------------------------


def write_xlsx_pack(pack: Pack, target: BinaryIO) -> None:
    """An `About` sheet (who, for whom, when, what is in it), then one sheet per section
    with a bold header row, column widths and dates as real date cells."""
    about = [
        ["Title", title_of(pack)],
        ["Organisation", pack.organisation],
        ["Subject", pack.label],
        ["E-mail", pack.email],
        ["Generated at", pack.generated_at],
        ["Time zone", pack.time_zone],
        *[[f"Sheet: {s.title}", f"{len(s.items)} row(s)"] for s in pack.sections],
    ]
    sheets = [Sheet("About", ["Field", "Value"], about)]
    sheets += [Sheet(s.title, s.columns, s.rows) for s in pack.sections]
    write_xlsx(target, sheets, tz=pack.time_zone)


# --- JSON ------------------------------------------------------------------------------------


def json_value(value: Any, time_zone: str) -> Any:
    """A plain value as JSON: times ISO 8601 with the offset of `time_zone`, dates
    `YYYY-MM-DD`, decimals as numbers, text sanitized."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return to_local(value, time_zone).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return sanitize_text(str(value))


def _keys(columns: list[str]) -> list[str]:
    """Column names as unique object keys (a repeated name gets ` (2)`, ...)."""
    seen: dict[str, int] = {}
    keys = []
    for column in columns:
        seen[column] = seen.get(column, 0) + 1
        keys.append(column if seen[column] == 1 else f"{column} ({seen[column]})")
    return keys


def json_document(pack: Pack) -> dict[str, Any]:
    """The export as the documented JSON shape (see `docs/export.md`)."""
    tz = pack.time_zone
    sections = []
    for section in pack.sections:
        keys = _keys(section.columns)
        sections.append({
            "key": section.key,
            "title": section.title,
            "source": section.plugin,
            "columns": keys,
            "rows": [
                {key: json_value(value, tz) for key, value in zip(keys, item.values,
                                                                   strict=False)}
                for item in section.items
            ],
        })
    return {
        "schema": JSON_SCHEMA,
        "version": JSON_VERSION,
        "generated_at": json_value(pack.generated_at, tz),
        "time_zone": tz,
        "controller": {"name": pack.organisation},
        "subject": {"type": pack.kind, "id": pack.record_id, "name": pack.label,
                    "email": pack.email},
        "sections": sections,
    }


def json_bytes(pack: Pack) -> bytes:
    """The JSON document as indented UTF-8 (letters such as č and emoji kept as they are)."""
    return json.dumps(json_document(pack), ensure_ascii=False, indent=2).encode("utf-8")


# --- ZIP -------------------------------------------------------------------------------------


def write_zip(pack: Pack, target: BinaryIO, attachments: list[Attachment]) -> None:
    """A ZIP with the report (`.docx`), the workbook (`.xlsx`), the JSON and the files of
    the ticked attachments under `attachments/` (names made safe and unique)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file_format, writer in (("docx", write_docx), ("xlsx", write_xlsx_pack)):
            buffer = io.BytesIO()
            writer(pack, buffer)
            archive.writestr(file_name(pack, file_format), buffer.getvalue())
        archive.writestr(file_name(pack, "json"), json_bytes(pack))
        store = attachment_store()
        for number, attachment in enumerate(attachments, start=1):
            path = store.path(attachment)
            if path.is_file():
                archive.write(path, f"attachments/{number:03d}-{_safe_name(attachment)}")


def _safe_name(attachment: Attachment) -> str:
    name = show(attachment.filename, "UTC").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f<>:\"|?*]", "_", name).strip(" .")
    return name[:120] or f"file-{attachment.id}"
