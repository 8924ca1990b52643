"""List exports: the CRM lists (contacts, companies, activities) download what they show, with
the current search, filters and sort, as CSV or XLSX through the core's one safe writer.

Flask-Admin's own export (`can_export`) stays off: it writes CSV itself, without neutralising
formulas, and reports nothing. This is the replacement, mixed into `CrmModelView`:
- `GET <list>/list-export/<csv|xlsx>?<the list's own arguments>`: every matching row (not just
  the page), the list's columns, values typed (times in the tenant's zone, real date cells in
  XLSX), through `core.spreadsheets` (formula-like text neutralised, illegal characters
  replaced); a download, never shown inline;
- each export is reported through `crm_records_exported` (`what`: `<list> list`, with the
  search, filters, sort and columns in `details`), so the audit log records it;
- the list page shows the two download links (template `crm/list.html`).

A view opts in with `can_list_export = True`; by default only the core's CRM lists do.
"""

from __future__ import annotations

import enum
import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import abort, g, send_file
from flask_admin import expose
from flask_admin.tools import rec_getattr
from markupsafe import Markup

from core.clock import to_local, utcnow
from core.db import db
from core.events import context, emit
from core.spreadsheets import Sheet, write_csv, write_xlsx

from .localtime import tenant_time_zone

CORE_LISTS = ("contacts", "companies", "activities")
MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ListExportMixin:
    """Adds the CSV/XLSX download of the filtered list to a model view (see the module)."""

    list_template = "crm/list.html"
    list_export_formats: tuple[str, ...] = ("csv", "xlsx")
    can_list_export: bool | None = None  # None: only the core's CRM lists (CORE_LISTS)

    def list_export_enabled(self) -> bool:
        """True when this list offers its downloads."""
        if self.can_list_export is None:
            return self.endpoint in CORE_LISTS
        return bool(self.can_list_export)

    @expose("/list-export/<file_format>")
    def list_export(self, file_format: str) -> Any:
        """Download every row matching the list's search and filters, in its sort order."""
        if not self.list_export_enabled() or file_format not in self.list_export_formats:
            abort(404)
        args = self._get_list_extra_args()
        sort = self._get_column_by_idx(args.sort)
        sort_column = sort[0] if sort is not None else None
        count, records = self.get_list(0, sort_column, args.sort_desc, args.search,
                                       args.filters, page_size=0)
        g.pop("crm_list_shown", None)  # a download is not a list view
        columns = list(self._export_columns)
        header = [str(label) for _name, label in columns]
        rows = self._export_rows(records, [name for name, _label in columns])
        zone = tenant_time_zone()
        buffer = io.BytesIO()
        if file_format == "csv":
            written = write_csv(buffer, header, rows, tz=zone)
        else:
            title = str(self.name or self.endpoint)
            written = write_xlsx(buffer, [Sheet(title, header, rows)], tz=zone)
        emit("crm_records_exported", context(), what=f"{self.endpoint} list",
             file_format=file_format, subject=None, rows=written, details={
                 "search": args.search or None,
                 "filters": self._describe_filters(args.filters),
                 "sort": None if sort_column is None else (
                     f"{sort[1]} {'descending' if args.sort_desc else 'ascending'}"),
                 "columns": header,
                 "matched": count,
             })
        db.session.commit()
        day = to_local(utcnow(), zone).date().isoformat()
        buffer.seek(0)
        return send_file(buffer, mimetype=MEDIA_TYPES[file_format],
                         as_attachment=True, download_name=f"{self.endpoint}-{day}.{file_format}",
                         max_age=0)

    def _export_rows(self, records: list[Any], names: list[str]) -> Iterator[list[Any]]:
        for record in records:
            yield [self._export_value(record, name) for name in names]

    def _export_value(self, record: Any, name: str) -> Any:
        """A cell's value: the view's formatter's text if it has one, else the attribute,
        typed for the writer (numbers, dates and times stay what they are)."""
        formatter = self.column_formatters_export.get(name) or self.column_formatters.get(name)
        value = (formatter(self, None, record, name) if formatter is not None
                 else rec_getattr(record, name))
        if isinstance(value, Markup):
            return value.striptags()
        return plain_value(value)


def plain_value(value: Any) -> Any:
    """`value` as something the core's writers take: None, bool, a number, a date or an
    aware datetime as they are, an enum's value, a list joined by commas, else its text."""
    if value is None or isinstance(value, bool | int | float | Decimal | datetime | date):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple | set):
        return ", ".join(str(plain_value(item)) for item in value)
    return str(value)
