"""Exporting the trail to CSV or XLSX through the core's writer; the export is logged."""

from __future__ import annotations

from typing import Any

from core.events import EventContext, emit
from core.spreadsheets import Sheet, write_csv, write_xlsx
from plugins.audit.present import EXPORT_HEADER, export_row
from plugins.audit.queries import EntryFilter, stream_entries

FORMATS = ("csv", "xlsx")
WHAT = "audit log"


def export_log(
    ctx: EventContext,
    tenant_id: int | None,
    criteria: EntryFilter,
    file_format: str,
    target: Any,
    time_zone: str,
) -> int:
    """Write the chain's entries matching `criteria` (oldest first) to `target` (a path or
    a binary stream) as `csv` or `xlsx`, times in `time_zone`; report the export through
    `crm_records_exported` (so it is itself logged). Returns the number of rows. The caller
    commits."""
    if file_format not in FORMATS:
        raise ValueError(f"unknown format '{file_format}'; use csv or xlsx")
    rows = (export_row(entry) for entry in stream_entries(tenant_id, criteria))
    if file_format == "csv":
        count = write_csv(target, EXPORT_HEADER, rows, tz=time_zone)
    else:
        count = write_xlsx(target, [Sheet("Audit log", EXPORT_HEADER, rows)], tz=time_zone)
    emit("crm_records_exported", ctx, what=WHAT, file_format=file_format, subject=None,
         rows=count, details={"filters": criteria.as_dict()})
    return count
