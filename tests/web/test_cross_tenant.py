"""404, never data, across tenants: every admin URL, walked automatically.

The walk takes every rule of `app.url_map` that belongs to a view of the app's Admin (core
and plugin views alike, so a view added later is covered) and calls it, GET and POST, as
tenant beta's admin with the ids of tenant acme's records: in the query string (`id`), in
the form (`id`, `rowid`, `list_form_pk`) and in the URL's own arguments. A URL that names a
record must answer 404; no answer may contain acme's data; acme's records stay as they were.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from flask import url_for
from flask_admin.model import BaseModelView
from sqlalchemy import inspect, select
from werkzeug.routing import IntegerConverter

from core.db import db
from core.events import context
from core.models import Activity, Attachment, Company, Contact, Role, Tag, Tenant, User
from core.scoping import tenant_scope
from tests.support import BUILTIN_PLUGINS, csrf_token, logged_in
from tests.web.conftest import PDF

# values for a URL's text arguments (a plugin name by default)
TEXT_ARGUMENTS = {"export_type": "csv", "file_format": "xlsx"}

ID_ENDPOINTS = {"details_view", "edit_view", "delete_view", "action_view", "upload_view",
                "ajax_update"}


def _acme_snapshot(app, tenant_id: int) -> dict[str, Any]:
    with app.app_context(), tenant_scope(tenant_id):
        snapshot = {}
        for model in (Contact, Company, Activity, Attachment, Tag, User):
            for row in db.session.scalars(select(model)):
                columns = {c.key: getattr(row, c.key) for c in inspect(model).column_attrs
                           if c.key not in ("session_token",)}
                snapshot[f"{model.__name__}:{row.id}"] = columns
        return snapshot


def _enable_all(app, tenant_id: int) -> None:
    with app.app_context():
        tenant = db.session.get(Tenant, tenant_id)
        host = app.extensions["crm"]["plugins"]
        for name in BUILTIN_PLUGINS:
            host.enable(context(tenant=tenant, actor="test"), name)
        db.session.commit()


def _admin_views(app) -> dict[str, Any]:
    (admin,) = app.extensions["admin"]
    return {view.endpoint: view for view in admin._views}


def _acme_ids(app, tenant_id: int, model: Any) -> list[int]:
    with app.app_context(), tenant_scope(tenant_id):
        mapper = inspect(model)
        pk = mapper.get_property_by_column(mapper.primary_key[0]).class_attribute
        return list(db.session.scalars(select(pk)))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.USER])
def test_no_admin_url_shows_or_changes_another_tenants_records(app, tenant_a, tenant_b,
                                                               acme_data, role):
    with app.app_context(), tenant_scope(tenant_a.id):
        for owner_type, owner_id in (("company", acme_data.company_id),
                                     ("activity", acme_data.activity_id)):
            app.extensions["crm"]["attachments"].save(
                owner_type=owner_type, owner_id=owner_id, filename="tajno.pdf",
                stream=io.BytesIO(PDF), tenant_id=tenant_a.id)
        db.session.commit()
    _enable_all(app, tenant_a.id)
    _enable_all(app, tenant_b.id)
    before = _acme_snapshot(app, tenant_a.id)
    every_acme_id = sorted({i for m in (Contact, Company, Activity, Attachment, Tag, User)
                            for i in _acme_ids(app, tenant_a.id, m)})
    client = logged_in(app, tenant_b.admin_email if role == Role.ADMIN else tenant_b.user_email)
    token = csrf_token(client, "/admin/")
    views = _admin_views(app)
    walked: list[str] = []
    for rule in app.url_map.iter_rules():
        blueprint, _, function = rule.endpoint.partition(".")
        if blueprint not in views or function == "static":
            continue
        view = views[blueprint]
        model = getattr(view, "model", None) if isinstance(view, BaseModelView) else None
        ids = _acme_ids(app, tenant_a.id, model) if model is not None else every_acme_id
        names_a_record = function in ID_ENDPOINTS or any(
            _is_int(rule, argument) for argument in rule.arguments)
        for record_id in ids:
            url = _build(app, rule, record_id)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = _call(client, method, url, record_id, token)
                walked.append(f"{method} {url}")
                body = _readable(response.get_data())
                where = f"{method} {url} as beta's {role.value}"
                assert response.status_code < 500, where
                for marker in acme_data.markers:
                    assert marker not in body, f"{where} shows '{marker}'"
                if names_a_record:
                    expected = _expected_status(view, role)
                    assert response.status_code == expected, f"{where}: {response.status_code}"
    assert len(walked) > 60
    assert any("/admin/attachments/" in w for w in walked)
    assert any("/admin/contacts/list-export/xlsx" in w for w in walked)
    assert _acme_snapshot(app, tenant_a.id) == before


def _readable(data: bytes) -> str:
    """The text of an answer; for a ZIP-based download (XLSX, DOCX, ZIP) the text of its
    members, so exported files are searched for the other tenant's data too."""
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace")
                             for name in archive.namelist())
    return data.decode("utf-8", "replace")


def _expected_status(view: Any, role: Role) -> int:
    """404 for a record of another tenant; 403 where the role may not use the page at all
    (core and plugin pages alike: the role is checked first, whatever the id)."""
    if role in view.allowed_roles:
        return 404
    return 403


def test_the_walk_reaches_real_pages(app, tenant_a, tenant_b, acme_data):
    """Control: beta's admin opens beta's own records; acme's answer 404."""
    with app.app_context(), tenant_scope(tenant_b.id):
        own = Contact(first_name="Beta", last_name="Oseba")
        db.session.add(own)
        db.session.commit()
        own_id = own.id
    client = logged_in(app, tenant_b.admin_email)
    assert client.get(f"/admin/contacts/details/?id={own_id}").status_code == 200
    assert client.get(f"/admin/contacts/details/?id={acme_data.contact_id}").status_code == 404
    assert client.get(f"/admin/attachments/{acme_data.attachment_id}/download"
                      ).status_code == 404


def _is_int(rule: Any, argument: str) -> bool:
    return isinstance(rule._converters[argument], IntegerConverter)


def _build(app, rule, record_id: int) -> str:
    values: dict[str, Any] = {}
    for argument in rule.arguments:
        if _is_int(rule, argument):
            values[argument] = record_id
        else:
            values[argument] = TEXT_ARGUMENTS.get(argument, "audit")
    with app.test_request_context():
        return url_for(rule.endpoint, id=record_id, **values)


def _call(client, method: str, url: str, record_id: int, token: str):
    if method == "GET":
        return client.get(url)
    form = {
        "csrf_token": token, "id": str(record_id), "rowid": str(record_id),
        "list_form_pk": str(record_id), "action": "delete", "url": "/admin/",
        "file": (io.BytesIO(PDF), "probe.pdf"),
    }
    return client.post(url, data=form, content_type="multipart/form-data")
