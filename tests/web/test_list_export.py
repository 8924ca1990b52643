"""The CRM lists download the filtered list as CSV and XLSX through the core's safe writer,
and every download is reported through `crm_records_exported`."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest

from core.db import db
from core.models import Activity, Contact
from core.scoping import tenant_scope
from tests.support import ExportRecorder, logged_in, record_exports


@pytest.fixture
def exports(app) -> ExportRecorder:
    """The exports reported from now on."""
    return record_exports(app)


@pytest.fixture
def tricky(app, tenant_a, acme_data) -> int:
    """A contact whose fields look like formulas, with letters and an emoji."""
    with app.app_context(), tenant_scope(tenant_a.id):
        row = Contact(first_name="+Čšž 😀", last_name="=HYPERLINK(\"http://x\")",
                      email="formula@x.si", phone="-1+1", notes="@SUM(A1)")
        db.session.add(row)
        db.session.commit()
        return row.id


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_contacts_csv_follows_the_search_and_is_reported(app, tenant_a, acme_data, tricky,
                                                         exports):
    client = logged_in(app, tenant_a.user_email)
    page = client.get("/admin/contacts/?search=zupancic").get_data(as_text=True)
    assert 'href="/admin/contacts/list-export/csv?search=zupancic"' in page
    response = client.get("/admin/contacts/list-export/csv?search=zupancic")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    rows = _csv(response.data)
    assert rows[0] == ["Last Name", "First Name", "E-mail", "Phone", "Company", "Tags", "Owner"]
    assert rows[1][:3] == ["Zupančič", "Žiga", "ziga.zupancic@skrivnost.si"]
    assert rows[1][4:6] == ["Skrivnost d.o.o.", "vip"] and len(rows) == 2
    (call,) = exports.calls
    assert (call["what"], call["file_format"], call["rows"]) == ("contacts list", "csv", 1)
    assert call["details"]["search"] == "zupancic"
    assert call["ctx"].actor == f"user:{tenant_a.user_email}"


def test_formulas_are_neutralised_in_csv_and_xlsx(app, tenant_a, acme_data, tricky):
    client = logged_in(app, tenant_a.user_email)
    rows = _csv(client.get("/admin/contacts/list-export/csv?search=formula").data)
    assert rows[1][:4] == ["'=HYPERLINK(\"http://x\")", "'+Čšž 😀", "formula@x.si", "'-1+1"]
    data = client.get("/admin/contacts/list-export/xlsx?search=formula").data
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = next(sheet.iter_rows(min_row=2, max_row=2))
    assert [c.value for c in cells[:2]] == ["'=HYPERLINK(\"http://x\")", "'+Čšž 😀"]
    assert all(c.data_type != "f" for c in cells)


def test_activities_xlsx_keeps_filters_and_real_dates(app, tenant_a, acme_data, exports):
    with app.app_context(), tenant_scope(tenant_a.id):
        db.session.add(Activity(subject="Drug sestanek",
                                occurred_at=datetime(2024, 3, 11, 8, 0, tzinfo=UTC)))
        db.session.commit()
    client = logged_in(app, tenant_a.user_email)
    url = f"/admin/activities/list-export/xlsx?flt0_company_equals={acme_data.company_id}"
    response = client.get(url)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == "Activities"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("When", "Kind", "Subject", "Company", "Owner")
    assert len(rows) == 2 and rows[1][2] == "Tajni sestanek"
    assert rows[1][0] == datetime(2024, 3, 10, 9, 30)  # 08:30 UTC shown in Ljubljana
    assert sheet["A2"].is_date and sheet["A1"].font.bold
    assert exports.calls[-1]["details"]["filters"] == {"Company equals": str(
        acme_data.company_id)}


def test_every_row_is_exported_not_just_the_page(app, tenant_a):
    with app.app_context(), tenant_scope(tenant_a.id):
        db.session.add_all([Contact(last_name=f"Oseba {n:03d}") for n in range(60)])
        db.session.commit()
    client = logged_in(app, tenant_a.user_email)
    rows = _csv(client.get("/admin/contacts/list-export/csv?sort=0&desc=1").data)
    assert len(rows) == 61 and rows[1][0] == "Oseba 059"


def test_only_the_tenants_rows_and_only_the_crm_lists(app, tenant_a, tenant_b, acme_data):
    beta = logged_in(app, tenant_b.admin_email)
    rows = _csv(beta.get("/admin/contacts/list-export/csv").data)
    assert rows[1:] == []
    assert beta.get("/admin/companies/list-export/xlsx").status_code == 200
    assert beta.get("/admin/users/list-export/csv").status_code == 404
    assert beta.get("/admin/contacts/list-export/pdf").status_code == 404
    assert "list-export" not in beta.get("/admin/users/").get_data(as_text=True)
    anonymous = app.test_client().get("/admin/contacts/list-export/csv")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
