"""Behaviour of the project's one DOCX helper, checked by reopening the document."""

import io
from datetime import UTC, date, datetime

import pytest
from docx import Document
from docx.oxml.ns import qn

from core.docx_report import DocxReport

GENERATED = datetime(2024, 3, 31, 1, 30, tzinfo=UTC)  # 03:30 in Ljubljana (summer time)


def report(**overrides):
    arguments = {
        "title": "Izvoz podatkov",
        "organisation": "Čebelica d.o.o.",
        "generated_at": GENERATED,
    }
    arguments.update(overrides)
    return DocxReport(**arguments)


def reopen(doc_report, tmp_path):
    path = tmp_path / "report.docx"
    doc_report.save(path)
    return Document(path)


def body_texts(document):
    return [paragraph.text for paragraph in document.paragraphs]


def test_document_starts_with_title_organisation_and_generation_time(tmp_path):
    document = reopen(report(), tmp_path)
    title, organisation, generated = document.paragraphs[:3]
    assert (title.text, title.style.name) == ("Izvoz podatkov", "Title")
    assert organisation.text == "Čebelica d.o.o."
    assert generated.text == "Generated on 31.03.2024 03:30 (Europe/Ljubljana)"
    assert document.core_properties.title == "Izvoz podatkov"


def test_generation_time_uses_the_given_zone(tmp_path):
    document = reopen(report(tz="UTC"), tmp_path)
    assert document.paragraphs[2].text == "Generated on 31.03.2024 01:30 (UTC)"


def test_naive_generation_time_is_rejected():
    with pytest.raises(ValueError, match="naive"):
        report(generated_at=datetime(2024, 3, 31, 1, 30))


def test_footer_has_page_n_of_m_with_real_fields(tmp_path):
    document = reopen(report(), tmp_path)
    footer = document.sections[0].footer
    assert not footer.is_linked_to_previous
    paragraph = footer.paragraphs[0]._p
    instructions = [i.strip() for i in paragraph.xpath("./w:fldSimple/@w:instr")]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert "".join(paragraph.xpath(".//w:t/text()")) == "Page 1 of 1"


def test_headings_and_paragraphs_are_added_in_order(tmp_path):
    doc_report = report()
    doc_report.heading("Osebni podatki")
    doc_report.heading("Podrobnosti", level=2)
    doc_report.paragraph("Prva vrstica\ndruga vrstica")
    document = reopen(doc_report, tmp_path)
    heading, subheading, paragraph = document.paragraphs[3:]
    assert (heading.text, heading.style.name) == ("Osebni podatki", "Heading 1")
    assert (subheading.text, subheading.style.name) == ("Podrobnosti", "Heading 2")
    assert paragraph.text == "Prva vrstica\ndruga vrstica"


def test_table_has_a_bold_header_grid_style_and_formatted_values(tmp_path):
    doc_report = report()
    doc_report.table(
        ["Ime", "Rojen", "Ustvarjeno", "Aktiven", "Znesek", "Opomba"],
        [
            ["Žiga Černe 😀", date(1990, 5, 4), GENERATED, True, 12.5, None],
            ("Ana", None, None, False, -2),
        ],
    )
    document = reopen(doc_report, tmp_path)
    (table,) = document.tables
    assert table.style.name == "Table Grid"
    header = table.rows[0]
    assert [cell.text for cell in header.cells] == [
        "Ime",
        "Rojen",
        "Ustvarjeno",
        "Aktiven",
        "Znesek",
        "Opomba",
    ]
    assert all(run.bold for cell in header.cells for run in cell.paragraphs[0].runs)
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None
    assert [cell.text for cell in table.rows[1].cells] == [
        "Žiga Černe 😀",
        "04.05.1990",
        "31.03.2024 03:30",
        "yes",
        "12.5",
        "",
    ]
    assert [cell.text for cell in table.rows[2].cells] == ["Ana", "", "", "no", "-2", ""]


def test_table_rejects_naive_datetimes_and_rows_longer_than_the_header():
    doc_report = report()
    with pytest.raises(ValueError, match=r"'At'.*naive"):
        doc_report.table(["At"], [[datetime(2024, 1, 1)]])
    with pytest.raises(ValueError, match="Row 1 has 2 values"):
        doc_report.table(["A"], [[1, 2]])
    with pytest.raises(ValueError, match="at least one column"):
        doc_report.table([], [])


def test_control_characters_never_crash_and_letters_and_emoji_survive(tmp_path):
    dirty = "Žiga\x00 Černe\x0b\x0c 😀\ud800\uffff"
    doc_report = report(title=dirty, organisation=dirty)
    doc_report.heading(dirty)
    doc_report.paragraph(dirty)
    doc_report.table([dirty], [[dirty]])
    document = reopen(doc_report, tmp_path)
    assert (
        body_texts(document)
        == ["Žiga Černe 😀"] * 2
        + ["Generated on 31.03.2024 03:30 (Europe/Ljubljana)"]
        + ["Žiga Černe 😀"] * 2
    )
    assert [cell.text for row in document.tables[0].rows for cell in row.cells] == [
        "Žiga Černe 😀",
        "Žiga Černe 😀",
    ]


def test_save_writes_to_a_binary_stream():
    stream = io.BytesIO()
    report().save(stream)
    document = Document(io.BytesIO(stream.getvalue()))
    assert document.paragraphs[0].text == "Izvoz podatkov"


def test_table_cells_keep_line_breaks_tabs_and_spaces_of_many_rows(tmp_path):
    doc_report = report()
    rows = [[f"vrstica {n}\nnova  vrstica\r\nše\tena ", n] for n in range(3000)]
    doc_report.table(["Besedilo", "Št."], rows)
    (table,) = reopen(doc_report, tmp_path).tables
    assert len(table.rows) == 3001
    assert [cell.text for cell in table.rows[3000].cells] == [
        "vrstica 2999\nnova  vrstica\nše\tena ", "2999"]
    assert table.rows[1].cells[0].width == table.rows[0].cells[0].width
