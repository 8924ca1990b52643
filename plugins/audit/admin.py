"""The audit log's admin pages: read-only lists with filters, detail pages and downloads.

* `audit_entries` (tenant admins): the tenant's chain; filters by user, action, target,
  contact and day (on, on or after, before: a date range), search in the labels (case and
  accents ignored); newest first, paged without counting millions of rows; CSV/XLSX
  download of what the list shows, streamed through the core's writer and itself logged.
* `audit_platform` (platform admins): the platform chain (events without a tenant).

Nothing can be created, edited or deleted here.
"""

from __future__ import annotations

import io
import json
from typing import Any

from flask import abort, g, send_file
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual, IntEqualFilter
from markupsafe import Markup, escape
from sqlalchemy import select

from core.admin import PLATFORM_ADMINS, TENANT_ADMINS, CrmModelView
from core.admin.filters import TenantOptions, by_day
from core.admin.localtime import tenant_time_zone
from core.clock import to_local, utcnow
from core.db import db
from core.events import context, emit
from core.models import Role, User
from core.scoping import all_tenants
from core.spreadsheets import Sheet, write_csv, write_xlsx
from plugins.audit.actions import ACTIONS
from plugins.audit.exporting import WHAT
from plugins.audit.models import AuditEntry
from plugins.audit.present import EXPORT_HEADER, export_row, parsed, summary, target_text

PAGE_SIZE = 50
STREAM_BATCH = 1_000
# routes every model page has that could write: the log answers 404 on each of them
WRITING_ROUTES = ("action_view", "ajax_update", "upload_view")
MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _summary(view: Any, ctx: Any, entry: AuditEntry, name: str) -> str:
    return summary(entry)


def _target(view: Any, ctx: Any, entry: AuditEntry, name: str) -> str:
    return target_text(entry)


def _json(view: Any, ctx: Any, entry: AuditEntry, name: str) -> Any:
    value = parsed(getattr(entry, name))
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
    return Markup("<pre class='mb-0'>{}</pre>").format(escape(text))


def tenant_users() -> list[tuple[int, str]]:
    """(id, e-mail) of the users of the tenant in scope."""
    return [(u.id, u.email) for u in db.session.scalars(select(User).order_by(User.email))]


def platform_admins() -> list[tuple[int, str]]:
    """(id, e-mail) of the platform admins."""
    with all_tenants():
        users = db.session.scalars(
            select(User).where(User.role == Role.PLATFORM_ADMIN).order_by(User.email))
        return [(u.id, u.email) for u in users]


class AuditLogView(CrmModelView):
    """The tenant's audit log for its admins (read-only)."""

    allowed_roles = TENANT_ADMINS
    can_create = False
    can_edit = False
    can_delete = False
    list_template = "audit/list.html"
    download_formats = ("csv", "xlsx")
    simple_list_pager = True  # no COUNT(*) over millions of entries
    page_size = PAGE_SIZE
    search_by_key = True
    column_searchable_list = ("label_key",)
    column_list = ("at", "actor", "action", "target", "summary", "ip")
    column_labels = {"at": "Time", "ip": "IP address", "seq": "Seq", "label": "Label",
                     "info": "Facts", "details": "Details", "user_agent": "User agent",
                     "request_id": "Request id", "contact_id": "Contact id"}
    column_sortable_list = ("at",)
    column_default_sort = [("at", True), ("id", True)]
    column_formatters = {"summary": _summary, "target": _target}
    column_formatters_detail = {"info": _json, "details": _json, "summary": _summary}
    column_details_list = (
        "seq", "at", "actor", "user_id", "action", "summary", "target_type", "target_id",
        "label", "contact_id", "info", "details", "ip", "user_agent", "request_id",
        "redacted_at", "digest", "hash",
    )
    user_options = staticmethod(tenant_users)

    def make_filters(self) -> list[Any]:
        """User, action, target, contact and day (a range: on or after + before)."""
        return [
            IntEqualFilter(AuditEntry.user_id, "User", options=TenantOptions(self.user_options)),
            FilterEqual(AuditEntry.action, "Action", options=[(a, a) for a in ACTIONS]),
            FilterEqual(AuditEntry.target_type, "Target type"),
            IntEqualFilter(AuditEntry.target_id, "Target id"),
            IntEqualFilter(AuditEntry.contact_id, "Contact id"),
            *by_day(AuditEntry.at, "Day"),
        ]

    def is_action_allowed(self, name: str) -> bool:
        """No bulk action changes the log."""
        return False

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        """Access first; then 404 for the bulk-action, inline-edit and upload routes (create,
        edit and delete already answer 404: their switches are off)."""
        response = super()._handle_view(name, **kwargs)
        if response is None and name in WRITING_ROUTES:
            abort(404)
        return response

    @expose("/download/<file_format>")
    def download(self, file_format: str) -> Any:
        """Download every entry the list shows (its search and filters), oldest first, as
        CSV or XLSX through the core's writer, streamed in batches; logged as an export."""
        if file_format not in self.download_formats:
            abort(404)
        args = self._get_list_extra_args()
        _count, query = self.get_list(0, None, False, args.search, args.filters,
                                      execute=False, page_size=0)
        query = query.order_by(None).order_by(AuditEntry.seq)
        rows = (export_row(entry) for entry in query.yield_per(STREAM_BATCH))
        zone = tenant_time_zone()
        buffer = io.BytesIO()
        if file_format == "csv":
            written = write_csv(buffer, EXPORT_HEADER, rows, tz=zone)
        else:
            written = write_xlsx(buffer, [Sheet("Audit log", EXPORT_HEADER, rows)], tz=zone)
        g.pop("crm_list_shown", None)
        emit("crm_records_exported", context(), what=WHAT, file_format=file_format,
             subject=None, rows=written, details={
                 "search": args.search or None,
                 "filters": self._describe_filters(args.filters),
             })
        db.session.commit()
        buffer.seek(0)
        day = to_local(utcnow(), zone).date().isoformat()
        return send_file(buffer, mimetype=MEDIA_TYPES[file_format], as_attachment=True,
                         download_name=f"audit-log-{day}.{file_format}", max_age=0)


class PlatformAuditLogView(AuditLogView):
    """The platform chain (failed logins of unknown addresses, platform admins' own events)
    for platform admins. It belongs to no tenant, so it is there whenever the plugin is
    installed, and it reads across tenants with `all_tenants()` narrowed to no tenant."""

    allowed_roles = PLATFORM_ADMINS
    user_options = staticmethod(platform_admins)

    def exists_for_user(self) -> bool:
        """There whenever the plugin is installed (no tenant has to enable anything): other
        roles get 403."""
        return True

    def get_query(self) -> Any:
        """Only the entries without a tenant."""
        return super().get_query().filter(AuditEntry.tenant_id.is_(None))

    def get_count_query(self) -> Any:
        """Only the entries without a tenant."""
        return super().get_count_query().filter(AuditEntry.tenant_id.is_(None))

    def _run_view(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        with all_tenants():
            return super()._run_view(fn, *args, **kwargs)


def admin_views() -> list[Any]:
    """New view objects for an app's admin (a view serves one app only)."""
    return [
        AuditLogView(AuditEntry, db, name="Audit log", endpoint="audit_entries"),
        PlatformAuditLogView(AuditEntry, db, name="Platform audit log",
                             endpoint="audit_platform"),
    ]
