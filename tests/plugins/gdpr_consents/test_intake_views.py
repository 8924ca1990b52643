"""The admin import page: preview stores nothing, import stores all, errors shown with row
and column, columns chosen on upload, template download, access rules."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select

from core.db import db
from core.scoping import tenant_scope
from plugins.gdpr_consents.models import Consent, ImportMapping
from tests.support import csrf_token, logged_in

from .conftest import enable_consents

FIXTURES = Path(__file__).parent / "fixtures"
PAGE = "/admin/gdpr_consents_import/"


def consents(app, tenant_id):
    with app.app_context(), tenant_scope(tenant_id):
        return db.session.scalar(select(func.count(Consent.id)))


def upload(client, action, name="consents.xlsx", data=None, **fields):
    content = data if data is not None else (FIXTURES / name).read_bytes()
    return client.post(PAGE, data={"csrf_token": csrf_token(client, PAGE), "action": action,
                                   "file": (io.BytesIO(content), name), **fields},
                       content_type="multipart/form-data")


def test_preview_then_import(app, tenant_a):
    enable_consents(app, tenant_a.slug)
    client = logged_in(app, tenant_a.admin_email)
    preview = upload(client, "preview")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page
    assert ("Preview of consents.xlsx: 4 rows read; nothing was stored. The import would "
            "create 4, update 0, leave 0 unchanged and skip 0.") in page
    assert "grant newsletter given 2018-05-25 10:00" in page
    assert consents(app, tenant_a.id) == 0
    done = upload(client, "import")
    assert "Imported" in done.get_data(as_text=True)
    assert consents(app, tenant_a.id) == 4


def test_errors_and_columns_chosen_on_upload(app, tenant_a):
    enable_consents(app, tenant_a.slug)
    client = logged_in(app, tenant_a.admin_email)
    bad = upload(client, "import", "bad.csv", b"Email,Purpose,Given at\nx@example.si,nope,"
                 b"2024-01-01\n")
    assert bad.status_code == 422
    assert "column Purpose: &#39;nope&#39; is not a purpose" in bad.get_data(as_text=True)
    assert ("Not imported: bad.csv: 1 rows read, 1 with errors; nothing was stored."
            in bad.get_data(as_text=True))
    assert consents(app, tenant_a.id) == 0
    unknown = upload(client, "import", date_format="xyz", save_as="broken",
                     col_email="Email")
    assert unknown.status_code == 400
    assert ("date_format: &#39;xyz&#39; is not a date format; choose one of auto, dmy, mdy."
            in unknown.get_data(as_text=True))
    with app.app_context(), tenant_scope(tenant_a.id):
        assert db.session.scalar(select(func.count(ImportMapping.id))) == 0
    chosen = upload(client, "import", "c.csv", b"Naslov;Kdaj\nmia@example.si;3.4.2024\n",
                    col_email="Naslov", col_given_at="Kdaj", purpose="events",
                    save_as="sejem")
    assert chosen.status_code == 200, chosen.get_data(as_text=True)
    assert consents(app, tenant_a.id) == 1
    with app.app_context(), tenant_scope(tenant_a.id):
        saved = db.session.scalar(select(ImportMapping))
        assert (saved.name, saved.columns) == ("sejem", {"email": "Naslov",
                                                         "given_at": "Kdaj"})


def test_template_and_access(app, tenant_a, tenant_b):
    enable_consents(app, tenant_a.slug)
    client = logged_in(app, tenant_a.admin_email)
    response = client.get(PAGE + "template/consent-import.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    header = next(book.worksheets[0].iter_rows(values_only=True))
    assert header[:4] == ("Email", "First name", "Last name", "Purpose")
    assert client.get(PAGE + "template/other.xlsx").status_code == 404
    assert client.post(PAGE, data={"action": "import"}).status_code == 400  # no CSRF token
    assert logged_in(app, tenant_a.user_email).get(PAGE).status_code == 403  # admins only
    assert logged_in(app, tenant_b.admin_email).get(PAGE).status_code == 404


def damaged_zip() -> bytes:
    """A Mailchimp export whose member no longer matches its CRC (a damaged download)."""
    stream = io.BytesIO()
    member = "subscribed_members_export_a1b2c3d4e5.csv"
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(member, b"Email Address,MEMBER_RATING\nana@example.si,2\n")
    data = stream.getvalue()
    return data.replace(b"ana@example.si", b"bor@example.si", 1)


def test_a_damaged_mailchimp_zip_is_named_on_the_page_and_stores_nothing(app, tenant_a):
    enable_consents(app, tenant_a.slug)
    client = logged_in(app, tenant_a.admin_email)
    for action in ("preview", "import"):
        answer = upload(client, action, "lie.zip", damaged_zip(), purpose="newsletter")
        page = answer.get_data(as_text=True)
        assert answer.status_code == 400, page
        assert ("lie.zip: the member subscribed_members_export_a1b2c3d4e5.csv cannot be read "
                "(Bad CRC-32 for file") in page
        assert "the ZIP file is damaged." in page
    assert consents(app, tenant_a.id) == 0


def test_a_damaged_mailchimp_zip_is_one_sentence_in_the_command(app, tenant_a, cli, tmp_path):
    enable_consents(app, tenant_a.slug)
    path = tmp_path / "lie.zip"
    path.write_bytes(damaged_zip())
    result = cli.invoke(args=["consents", "import", str(path), "--tenant", tenant_a.slug,
                              "--purpose", "newsletter", "--dry-run"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "lie.zip: the member subscribed_members_export_a1b2c3d4e5.csv cannot be read" \
        in result.output
    assert consents(app, tenant_a.id) == 0


def mappings(app, tenant_id) -> list[tuple[str, dict, dict]]:
    with app.app_context(), tenant_scope(tenant_id):
        return [(m.name, m.columns, m.options)
                for m in db.session.scalars(select(ImportMapping).order_by(ImportMapping.name))]


def test_a_mapping_is_saved_only_with_a_committed_import(app, tenant_a):
    enable_consents(app, tenant_a.slug)
    client = logged_in(app, tenant_a.admin_email)
    good = b"Naslov;Kdaj\nmia@example.si;3.4.2024\n"
    preview = upload(client, "preview", "c.csv", good, col_email="Naslov", col_given_at="Kdaj",
                     purpose="events", save_as="sejem")
    assert preview.status_code == 200
    rejected = upload(client, "import", "bad.csv", b"Naslov;Kdaj\nmia@example.si;31.02.2024\n",
                      col_email="Naslov", col_given_at="Kdaj", purpose="events",
                      save_as="sejem")
    assert rejected.status_code == 422
    unreadable = upload(client, "import", "x.xlsx", b"not a workbook", col_email="Naslov",
                        save_as="sejem")
    assert unreadable.status_code == 400
    assert mappings(app, tenant_a.id) == []
    assert "Saved the columns" not in preview.get_data(as_text=True)
    done = upload(client, "import", "c.csv", good, col_email="Naslov", col_given_at="Kdaj",
                  purpose="events", save_as="sejem")
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "Saved the columns as the mapping &#39;sejem&#39;." in done.get_data(as_text=True)
    assert mappings(app, tenant_a.id) == [
        ("sejem", {"email": "Naslov", "given_at": "Kdaj"},
         {"date_format": "auto", "purpose": "events"})]


def test_an_over_long_mapping_name_is_refused_naming_the_field(app, tenant_a):
    enable_consents(app, tenant_a.slug)
    client = logged_in(app, tenant_a.admin_email)
    answer = upload(client, "import", "c.csv", b"Naslov\nmia@example.si\n",
                    col_email="Naslov", purpose="events", save_as="m" * 300)
    assert answer.status_code == 400
    assert ("save_as: the mapping name is 300 characters long; at most 128."
            in answer.get_data(as_text=True))
    assert mappings(app, tenant_a.id) == [] and consents(app, tenant_a.id) == 0
