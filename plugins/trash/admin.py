"""The plugin's admin pages: the trash, and the erasure of a person.

`/admin/trash/` (menu "Trash"): tenant admins see every unit of their tenant (each unit's own
page lists the rows it holds), restore units and empty selected units or all of them (after
a confirmation page); users see the units they deleted themselves and may restore those
(undo), but not empty anything. A unit of another tenant, or another user's for a user, answers 404.

`/admin/trash_erase/<contact id>` (tenant admins; reached from the contact page's "Right to
erasure" panel): a preview of everything the core and the enabled plugins hold about the
person, trashed rows included; then erase or anonymize.

Both are plugin views, so tenants that have not enabled the plugin get 404. Forms carry the
app's one CSRF token (Flask-WTF `CSRFProtect`); a missing token answers 400.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from core.admin import TENANT_ADMINS, TENANT_ROLES, CrmViewMixin
from core.admin.localtime import show_time
from core.db import db
from core.dependants import rows_of_units
from core.events import Panel, context, record_type
from core.ids import parse_page
from core.models import Contact, Role, Tenant, User
from core.scoping import all_tenants, including_deleted
from plugins.trash import PLUGIN, ledger
from plugins.trash.erasure import (
    ANONYMIZE,
    ERASE,
    address_preview,
    erase_subject,
    find_by_contact,
    preview,
)
from plugins.trash.purge import PurgeBusy, purge_units
from plugins.trash.restore import RestoreRefused, restore_unit
from plugins.trash.retention import retention_days
from plugins.trash.units import (
    UnitNotFound,
    adopt_orphans,
    all_unit_ids,
    expiry_of,
    get_unit,
    get_units,
    label_of,
    list_units,
    totals,
)

PAGE_SIZE = 50
CONFIRM_SHOWN = 50
UNIT_ROWS_SHOWN = 200


def _is_admin() -> bool:
    return current_user.is_authenticated and current_user.role == Role.ADMIN


class TrashView(CrmViewMixin, BaseView):
    """The tenant's trash: list, restore, empty (see the module docstring)."""

    allowed_roles = TENANT_ROLES

    def _own_only(self) -> int | None:
        """Users see only their own deletions; admins everything."""
        return None if _is_admin() else current_user.id

    @expose("/")
    def index(self) -> Any:
        """The list, by type and who deleted, newest first."""
        return self._page()

    def _page(self, error: str | None = None, status: int = 200) -> Any:
        record_type = (request.args.get("type") or "").strip() or None
        page_number = parse_page(request.args.get("page"))
        page = list_units(record_type=record_type, deleted_by_id=self._own_only(),
                          page=page_number, page_size=PAGE_SIZE)
        days = retention_days(current_user.tenant_id)
        return self.render(
            "trash/index.html", page=page, record_type=record_type, error=error,
            retention_days=days, expiry_of=expiry_of, show_time=show_time,
            is_admin=_is_admin(),
        ), status

    def _unit(self, unit_id: Any) -> Any:
        try:
            return get_unit(unit_id, deleted_by_id=self._own_only())
        except UnitNotFound:
            abort(404)

    @expose("/<int:unit_id>/")
    def unit(self, unit_id: int) -> Any:
        """One unit: who deleted it, when, when it is purged, and every row it holds."""
        unit = self._unit(unit_id)
        with including_deleted():
            rows = [(record_type(r), r.id, label_of(r)) for r in rows_of_units([unit.unit])]
        return self.render(
            "trash/unit.html", unit=unit, rows=rows[:UNIT_ROWS_SHOWN], total=len(rows),
            purge_after=expiry_of(unit, retention_days(unit.tenant_id)),
            show_time=show_time, is_admin=_is_admin(),
        )

    @expose("/<int:unit_id>/restore", methods=("POST",))
    def restore(self, unit_id: int) -> Any:
        """Restore one unit with its dependants, or refuse with a message (409)."""
        unit = self._unit(unit_id)
        label = f"{unit.record_type} '{unit.label}'"
        try:
            rows = restore_unit(context(), unit)
            db.session.commit()
        except RestoreRefused as exc:
            db.session.rollback()
            return self._page(str(exc), 409)
        flash(f"Restored {label} with {len(rows)} row(s).", "success")
        return redirect(self.get_url(".index"))

    @expose("/empty", methods=("POST",))
    def empty(self) -> Any:
        """Empty the selected units (`unit` fields) or all (`all=1`): first a confirmation
        page, then, with `confirmed=yes`, the purge. Tenant admins only."""
        if not _is_admin():
            abort(403)
        everything = request.form.get("all") == "1"
        confirmed = request.form.get("confirmed") == "yes"
        if everything:
            adopt_orphans(current_user.tenant_id)
            db.session.commit()
            count, rows = totals()
            ids = all_unit_ids() if confirmed else []
            shown = list_units(page_size=CONFIRM_SHOWN).units
        else:
            chosen = request.form.getlist("unit")
            if not chosen:
                return self._page("Select the units to empty, or use 'Empty the trash'.", 400)
            try:
                units = get_units(chosen)
            except UnitNotFound:
                abort(404)
            ids = [u.id for u in units]
            count, rows, shown = len(units), sum(u.rows for u in units), units
        if not confirmed:
            return self.render("trash/confirm_empty.html", units=shown, ids=ids,
                               everything=everything, count=count, rows=rows,
                               shown_max=CONFIRM_SHOWN, show_time=show_time)
        try:
            result = purge_units(context(), ids)
        except PurgeBusy as exc:
            return self._page(f"Emptying stopped: {exc}", 409)
        flash(result.sentence(), "success")
        return redirect(self.get_url(".index"))


class ErasureView(CrmViewMixin, BaseView):
    """Erase or anonymize a person: preview, then act (tenant admins)."""

    allowed_roles = TENANT_ADMINS

    def is_visible(self) -> bool:
        """Reached from a contact's page, never from the menu."""
        return False

    @expose("/")
    def index(self) -> Any:
        """There is no list: erasure starts on a contact's page."""
        abort(404)

    def _contact(self, contact_id: int) -> Contact:
        with including_deleted():
            contact = db.session.scalar(select(Contact).where(Contact.id == contact_id))
        if contact is None:
            abort(404)
        return contact

    @expose("/<int:contact_id>", methods=("GET",))
    def review(self, contact_id: int) -> Any:
        """The preview: everything that will go, per contact with the person's address."""
        contact = self._contact(contact_id)
        return self._review(contact)

    def _review(self, contact: Contact, error: str | None = None, status: int = 200) -> Any:
        subject = find_by_contact(contact)
        previews = preview(context(), subject)
        by_address = address_preview(context(), subject)
        return self.render("trash/erase.html", contact=contact, subject=subject,
                           previews=previews, by_address=by_address, error=error,
                           show_time=show_time), status

    @expose("/<int:contact_id>", methods=("POST",))
    def erase(self, contact_id: int) -> Any:
        """Erase (`mode=erase`) or anonymize (`mode=anonymize`) after `confirm` is ticked."""
        contact = self._contact(contact_id)
        mode = request.form.get("mode", "")
        if mode not in (ERASE, ANONYMIZE):
            return self._review(contact, "Mode: choose erase or anonymize.", 400)
        if request.form.get("confirm") != "yes":
            return self._review(contact, "Confirm: tick the box to confirm the erasure.", 400)
        subject = find_by_contact(contact)
        with all_tenants():
            tenant = db.session.get(Tenant, current_user.tenant_id)
        try:
            lines = erase_subject(context(), tenant, subject, mode)
            db.session.commit()
        except ledger.LedgerError as exc:
            db.session.rollback()
            return self._review(contact, f"Nothing was erased: {exc}.", 409)
        verb = "Erased" if mode == ERASE else "Anonymized"
        flash(f"{verb} {subject.label}: " + "; ".join(lines) + ".", "success")
        if mode == ANONYMIZE and contact.deleted_at is None:
            return redirect(url_for("contacts.details_view", id=contact.id))
        return redirect(url_for("contacts.index_view"))


def erasure_panel(ctx: Any, contact: Contact) -> list[Panel]:
    """The contact page's "Right to erasure" panel with the button to the preview (for
    tenant admins; users cannot erase)."""
    if ctx.user_id is None:
        return []
    with all_tenants():
        user = db.session.get(User, ctx.user_id)
    if user is None or user.role != Role.ADMIN:
        return []
    href = url_for("trash_erase.review", contact_id=contact.id)
    html = Markup(
        '<p class="text-muted">Erase or anonymize this person everywhere (consents, history, '
        'attachments, activities), trashed records included. You see everything that will '
        'go before anything happens.</p>'
        '<a class="btn btn-sm btn-outline-danger" id="erase-person" href="{}">Erase '
        'person…</a>'
    ).format(href)
    return [Panel(title="Right to erasure", html=html, order=900, plugin=PLUGIN)]


def admin_views() -> list[Any]:
    """New view objects for an app's admin."""
    return [
        TrashView(name="Trash", endpoint="trash_units", url="/admin/trash"),
        ErasureView(name="Erase person", endpoint="trash_erase", url="/admin/trash/erase"),
    ]
