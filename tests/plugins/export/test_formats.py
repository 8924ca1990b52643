"""The files themselves, opened again with python-docx, openpyxl, json and zipfile: the right
person, the right rows, nothing left out comes back, formulas neutralised, dates as dates."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime

import pytest
from docx.shared import Pt  # noqa: F401  (python-docx is what reads the files back)

from plugins.export.formats import json_document, write
from plugins.export.gather import Item, Pack, PackSection, contact_pack
from plugins.export.service import produce
from tests.plugins.export.conftest import (
    FORMULA,
    INTERNAL_NOTE,
    OTHERS,
    TRASHED,
    contact,
)
from tests.plugins.export.files import all_values, docx_document, docx_text, sheets, workbook


def _without_note(pack):
    activities = next(s for s in pack.sections if s.key == "activities")
    note = next(i for i in activities.items if i.values[2] == INTERNAL_NOTE)
    return pack.choose([s.key for s in pack.sections],
                       [i.id for s in pack.sections for i in s.items if i is not note])


@pytest.fixture
def produced(app, people, in_acme, exports):
    """Ann's export in each format, the internal note left out."""
    chosen, left_out = _without_note(contact_pack(in_acme, contact(people.ann)))
    return {fmt: produce(in_acme, chosen, fmt, left_out).data for fmt in ("docx", "xlsx",
                                                                          "json", "zip")}


def test_docx_is_a_readable_report_about_the_right_person(produced):
    data = produced["docx"]
    document = docx_document(data)
    text = docx_text(data)
    assert document.paragraphs[0].text == "Personal data held about Ann Kos Čšž 😀"
    assert document.paragraphs[0].style.name == "Title"
    assert "Acme d.o.o." in text and "Generated on" in text and "ann@x.si" in text
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[:4] == ["Profile", "Company", "Activities", "Attachments"]
    assert "Data subject requests" in headings
    assert "Klic Ann" in text and "Dogovor o ponudbi" in text and "soglasje ann.pdf" in text
    # 2025-03-31 22:30 UTC is 1 April 00:30 in Ljubljana (summer time)
    assert "01.04.2025 00:30" in text
    assert FORMULA in text  # Word does not evaluate formulas: the text stays as typed
    for absent in (INTERNAL_NOTE, TRASHED, *OTHERS):
        assert absent not in text
    footer = document.sections[0].footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "NUMPAGES" in footer


def test_xlsx_has_a_sheet_per_section_with_headers_dates_and_no_formulas(produced):
    data = produced["xlsx"]
    book = workbook(data)
    assert book.sheetnames[:5] == ["About", "Profile", "Company", "Activities", "Attachments"]
    about = dict((r[0], r[1]) for r in sheets(data)["About"][1:])
    assert about["Subject"] == "Ann Kos Čšž 😀" and about["Organisation"] == "Acme d.o.o."
    activities = book["Activities"]
    header = [c.value for c in activities[1]]
    assert header == ["When", "Kind", "Subject", "Notes", "Company", "Other participants"]
    assert all(c.font.bold for c in activities[1])
    assert activities.column_dimensions["C"].width > 8
    rows = list(activities.iter_rows(min_row=2))
    subjects = [r[2].value for r in rows]
    assert "Klic Ann" in subjects and INTERNAL_NOTE not in subjects
    when = next(r[0] for r in rows if r[2].value == "Klic Ann")
    assert when.is_date and when.value == datetime(2025, 4, 1, 0, 30)  # local wall clock
    formula = next(r for r in rows if "HYPERLINK" in str(r[2].value))
    assert formula[2].data_type == "s" and formula[2].value == "'" + FORMULA
    assert formula[3].value == "'+1-2 @SUM(A1)"
    assert not any(c.data_type == "f" for ws in book.worksheets for row in ws.iter_rows()
                   for c in row)
    text = all_values(data)
    for absent in (INTERNAL_NOTE, TRASHED, *OTHERS):
        assert absent not in text


def test_json_follows_the_documented_shape(produced):
    document = json.loads(produced["json"].decode("utf-8"))
    assert document["schema"] == "crm-gdpr/subject-export" and document["version"] == 1
    assert document["subject"] == {"type": "contact", "id": document["subject"]["id"],
                                   "name": "Ann Kos Čšž 😀", "email": "ann@x.si"}
    assert document["controller"] == {"name": "Acme d.o.o."}
    assert document["time_zone"] == "Europe/Ljubljana"
    assert datetime.fromisoformat(document["generated_at"]).utcoffset() is not None
    sections = {s["key"]: s for s in document["sections"]}
    assert {"Field": "E-mail", "Value": "ann@x.si"} in sections["profile"]["rows"]
    call = next(r for r in sections["activities"]["rows"] if r["Subject"] == "Klic Ann")
    assert call["When"] == "2025-04-01T00:30:00+02:00"
    assert call["Other participants"] == 0
    assert sections["activities"]["source"] == "core"
    assert sections["export.requests"]["source"] == "export"
    text = produced["json"].decode("utf-8")
    assert "Čšž 😀" in text  # kept as they are, not \u escapes
    for absent in (INTERNAL_NOTE, TRASHED, *OTHERS):
        assert absent not in text


def test_zip_holds_the_three_files_and_only_the_persons_attachments(produced):
    archive = zipfile.ZipFile(io.BytesIO(produced["zip"]))
    names = archive.namelist()
    assert sorted(n.rsplit(".", 1)[-1] for n in names if "/" not in n) == ["docx", "json",
                                                                          "xlsx"]
    assert [n for n in names if n.startswith("attachments/")] == [
        "attachments/001-soglasje ann.pdf"]
    assert archive.read("attachments/001-soglasje ann.pdf").startswith(b"%PDF")


def test_every_export_is_reported_with_what_was_left_out(produced, exports, people):
    assert [c["file_format"] for c in exports.calls] == ["docx", "xlsx", "json", "zip"]
    call = exports.calls[0]
    assert call["what"] == "subject data"
    assert call["subject"] == "Ann Kos Čšž 😀 <ann@x.si>"
    assert call["rows"] > 5
    left = call["details"]["left_out"]
    assert len(left) == 1 and left[0]["section"] == "activities"
    assert INTERNAL_NOTE in left[0]["label"]
    assert call["details"]["sections"]["activities"] == 3
    assert call["details"]["record"] == f"contact #{people.ann}"


UNSAFE = ["=1+2", "+x", "-x", "@x", "\tTab", "\rCR", "nul\x00here", "vt\x0bff\x0c",
          "Čšž Đđ 😀"]


def _unsafe_pack() -> Pack:
    when = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    items = [Item(f"x:{n}", [value, when, date(2025, 6, 1), n]) for n, value in
             enumerate(UNSAFE)]
    return Pack("contact", 1, "Ž =cmd|' /C calc'!A0 😀", "z@x.si", "Org \x0b d.o.o.",
                "Europe/Ljubljana",
                [PackSection("x", "Weird = [sheet]: name?", "core", ["=Header", "When", "Day",
                                                                     "N"], items)])


@pytest.mark.parametrize("file_format", ["docx", "xlsx", "json"])
def test_unsafe_text_never_crashes_and_is_neutralised(file_format):
    buffer = io.BytesIO()
    write(_unsafe_pack(), file_format, buffer)
    data = buffer.getvalue()
    if file_format == "docx":
        text = docx_text(data)
        assert "Čšž Đđ 😀" in text and "\x00" not in text and "\x0b" not in text
    elif file_format == "xlsx":
        book = workbook(data)
        sheet = book.worksheets[1]
        values = [c.value for c in next(sheet.iter_cols(min_col=1, max_col=1))]
        assert values[0] == "'=Header"
        assert values[1:5] == ["'=1+2", "'+x", "'-x", "'@x"]
        assert values[5].startswith("'") and values[6].startswith("'")
        assert "Čšž Đđ 😀" in values
        assert all("\x00" not in v and "\x0b" not in v for v in values)
        assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
        day = sheet.cell(row=2, column=3)
        assert day.is_date
    else:
        document = json.loads(data)
        rows = document["sections"][0]["rows"]
        assert [r["=Header"] for r in rows][-1] == "Čšž Đđ 😀"
        assert rows[0]["When"] == "2025-06-01T14:00:00+02:00" and rows[0]["Day"] == "2025-06-01"


def test_json_document_keys_repeated_columns_apart():
    pack = Pack("contact", 1, "A", None, "O", "UTC",
                [PackSection("s", "S", "core", ["Name", "Name"], [Item("s:1", ["a", "b"])])])
    assert json_document(pack)["sections"][0]["rows"] == [{"Name": "a", "Name (2)": "b"}]
