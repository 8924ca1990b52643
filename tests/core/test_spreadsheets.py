"""Behaviour of the project's one CSV/XLSX writer, checked by reopening the files."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook

from core.spreadsheets import Sheet, _text_cell, neutralize, write_csv, write_xlsx

FORMULAS = ['=HYPERLINK("http://evil","x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
LJUBLJANA = "Europe/Ljubljana"
# The EU switches to summer time at 01:00 UTC on the last Sunday of March.
BEFORE_DST = datetime(2024, 3, 31, 0, 30, tzinfo=UTC)  # 01:30 CET (+01:00)
AFTER_DST = datetime(2024, 3, 31, 1, 30, tzinfo=UTC)  # 03:30 CEST (+02:00)


# --- neutralize -------------------------------------------------------------------------


@pytest.mark.parametrize("value", FORMULAS)
def test_neutralize_prefixes_a_quote_to_formula_like_strings(value):
    assert neutralize(value) == "'" + value


@pytest.mark.parametrize("value", ["", "Ana", "1+1", "a=b", "'=x", " =1"])
def test_neutralize_leaves_other_strings_alone(value):
    assert neutralize(value) == value


# --- CSV --------------------------------------------------------------------------------


def read_csv(path, delimiter=","):
    data = path.read_bytes()
    return data, list(
        csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter)
    )


def test_csv_starts_with_a_bom_and_uses_crlf(tmp_path):
    path = tmp_path / "out.csv"
    write_csv(path, ["a", "b"], [[1, 2], [3, 4]])
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data[3:] == b"a,b\r\n1,2\r\n3,4\r\n"


def test_csv_returns_the_number_of_data_rows(tmp_path):
    assert write_csv(tmp_path / "out.csv", ["n"], ([i] for i in range(7))) == 7
    assert write_csv(tmp_path / "empty.csv", ["n"], []) == 0


def test_csv_neutralises_formulas_in_header_and_values(tmp_path):
    path = tmp_path / "out.csv"
    write_csv(path, FORMULAS, [FORMULAS])
    _, rows = read_csv(path)
    expected = ["'" + value for value in FORMULAS]
    assert rows == [expected, expected]


def test_csv_writes_values_in_their_export_form(tmp_path):
    path = tmp_path / "out.csv"
    row = [None, True, False, -2, 1.5, Decimal("10.20"), date(2024, 3, 31), AFTER_DST, "Ana"]
    write_csv(path, ["h"] * len(row), [row], tz=LJUBLJANA)
    _, rows = read_csv(path)
    assert rows[1] == [
        "",
        "yes",
        "no",
        "-2",
        "1.5",
        "10.20",
        "2024-03-31",
        "2024-03-31T03:30:00+02:00",
        "Ana",
    ]


def test_csv_shows_aware_datetimes_in_the_tenant_zone_across_dst(tmp_path):
    path = tmp_path / "out.csv"
    write_csv(path, ["at"], [[BEFORE_DST], [AFTER_DST]], tz=ZoneInfo(LJUBLJANA))
    _, rows = read_csv(path)
    assert rows[1:] == [["2024-03-31T01:30:00+01:00"], ["2024-03-31T03:30:00+02:00"]]


def test_csv_defaults_to_utc(tmp_path):
    path = tmp_path / "out.csv"
    write_csv(path, ["at"], [[AFTER_DST]])
    assert read_csv(path)[1][1] == ["2024-03-31T01:30:00+00:00"]


def test_csv_sanitizes_text_and_keeps_slovenian_letters_and_emoji(tmp_path):
    path = tmp_path / "out.csv"
    write_csv(path, ["Ime\x00"], [["Žiga Černe 😀\x00\x0b"]])
    _, rows = read_csv(path)
    assert rows == [["Ime"], ["Žiga Černe 😀"]]


def test_csv_honours_the_delimiter(tmp_path):
    path = tmp_path / "out.csv"
    write_csv(path, ["a", "b"], [["x;y", 2]], delimiter=";")
    data, rows = read_csv(path, delimiter=";")
    assert data[3:] == b'a;b\r\n"x;y";2\r\n'
    assert rows == [["a", "b"], ["x;y", "2"]]


def test_csv_writes_to_a_binary_stream_and_leaves_it_open():
    stream = io.BytesIO()
    assert write_csv(stream, ["a"], [["b"]]) == 1
    assert not stream.closed
    assert stream.getvalue() == b"\xef\xbb\xbfa\r\nb\r\n"


def test_csv_rejects_a_naive_datetime_naming_the_column_and_removes_the_partial_file(tmp_path):
    path = tmp_path / "out.csv"
    rows = [["Ana", AFTER_DST], ["Bor", datetime(2024, 1, 1)]]
    with pytest.raises(ValueError, match="'Created'"):
        write_csv(path, ["Name", "Created"], rows)
    assert not path.exists()


# --- XLSX -------------------------------------------------------------------------------


def reopen(path):
    return load_workbook(path)


def test_xlsx_neutralises_formulas_in_header_and_values_as_string_cells(tmp_path):
    path = tmp_path / "out.xlsx"
    write_xlsx(path, [Sheet("Data", FORMULAS, [FORMULAS])])
    ws = reopen(path)["Data"]
    for row in ws.iter_rows(min_row=1, max_row=2):
        for cell, original in zip(row, FORMULAS, strict=True):
            assert cell.data_type == "s"
            assert cell.value.startswith("'")
            # XML turns a stored CR into LF on reading, so compare from the third character.
            assert cell.value[2:] == original[1:]
            assert cell.value[1] in (original[0], "\n")


def test_xlsx_text_cells_are_never_formulas_even_without_the_quote(tmp_path):
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("S")
    ws.append([_text_cell(ws, "=1+1")])
    path = tmp_path / "raw.xlsx"
    workbook.save(path)
    cell = load_workbook(path)["S"]["A1"]
    assert cell.value == "=1+1"
    assert cell.data_type == "s"


def test_xlsx_replaces_illegal_characters_instead_of_crashing(tmp_path):
    path = tmp_path / "out.xlsx"
    write_xlsx(path, [Sheet("S", ["Ime\x00\x1b"], [["a\x00b\x0bc\x0cd\x1fe\ud800f\uffff"]])])
    ws = reopen(path)["S"]
    assert ws["A1"].value == "Ime"
    assert ws["A2"].value == "abcdef"


def test_xlsx_keeps_slovenian_letters_and_emoji(tmp_path):
    path = tmp_path / "out.xlsx"
    write_xlsx(path, [Sheet("Žiga 😀", ["Žiga Černe 😀"], [["Žiga Černe 😀"]])])
    workbook = reopen(path)
    assert workbook.sheetnames == ["Žiga 😀"]
    ws = workbook["Žiga 😀"]
    assert ws["A1"].value == ws["A2"].value == "Žiga Černe 😀"


def test_xlsx_shows_aware_datetimes_in_the_tenant_zone(tmp_path):
    path = tmp_path / "out.xlsx"
    write_xlsx(path, [Sheet("S", ["at"], [[BEFORE_DST], [AFTER_DST]])], tz=LJUBLJANA)
    ws = reopen(path)["S"]
    assert ws["A2"].value == datetime(2024, 3, 31, 1, 30)
    assert ws["A3"].value == datetime(2024, 3, 31, 3, 30)
    assert ws["A3"].number_format == "yyyy-mm-dd hh:mm"


def test_xlsx_writes_dates_numbers_bools_and_none(tmp_path):
    path = tmp_path / "out.xlsx"
    write_xlsx(
        path, [Sheet("S", ["d", "n", "f", "b", "x"], [[date(2024, 5, 1), -2, 1.5, True, None]])]
    )
    ws = reopen(path)["S"]
    day, number, fraction, flag, empty = ws[2]
    assert day.value == datetime(2024, 5, 1)  # openpyxl reads date cells back as datetimes
    assert day.number_format == "yyyy-mm-dd"
    assert (number.value, number.data_type) == (-2, "n")
    assert fraction.value == 1.5
    assert flag.value == "yes"
    assert empty.value is None


def test_xlsx_rejects_a_naive_datetime_naming_the_column(tmp_path):
    sheet = Sheet("S", ["Name", "Created"], [["Ana", datetime(2024, 1, 1)]])
    with pytest.raises(ValueError, match="'Created'"):
        write_xlsx(tmp_path / "out.xlsx", [sheet])


def test_xlsx_header_is_bold_and_frozen(tmp_path):
    path = tmp_path / "out.xlsx"
    write_xlsx(path, [Sheet("S", ["Name"], [["Ana"]])])
    ws = reopen(path)["S"]
    assert ws["A1"].font.bold is True
    assert not ws["A2"].font.bold
    assert ws.freeze_panes == "A2"


def test_xlsx_uses_the_given_widths(tmp_path):
    path = tmp_path / "out.xlsx"
    write_xlsx(path, [Sheet("S", ["a", "b"], [["x", "y"]], widths=[12, 30])])
    ws = reopen(path)["S"]
    assert ws.column_dimensions["A"].width == 12
    assert ws.column_dimensions["B"].width == 30


def test_xlsx_estimates_widths_from_header_and_first_rows_capped_at_60(tmp_path):
    path = tmp_path / "out.xlsx"
    rows = [["Ana", "x" * 200, AFTER_DST]]
    write_xlsx(path, [Sheet("S", ["A rather long header", "Notes", "At"], rows)])
    ws = reopen(path)["S"]
    assert ws.column_dimensions["A"].width == len("A rather long header") + 2
    assert ws.column_dimensions["B"].width == 60
    assert ws.column_dimensions["C"].width == len("yyyy-mm-dd hh:mm") + 2


def test_xlsx_makes_sheet_titles_valid_and_unique(tmp_path):
    path = tmp_path / "out.xlsx"
    titles = [
        "Kontakti: 2024/Q1 [osnutek]*?\\",
        "Data",
        "data",
        "DATA",
        "A very long sheet title that goes on and on",
        "A very long sheet title that goes on and on",
        "",
        "History",
        "'quoted'",
    ]
    write_xlsx(path, [Sheet(title, ["h"], []) for title in titles])
    names = reopen(path).sheetnames
    assert names == [
        "Kontakti_ 2024_Q1 _osnutek____",
        "Data",
        "data (2)",
        "DATA (3)",
        "A very long sheet title that go",
        "A very long sheet title tha (2)",
        "Sheet",
        "History (2)",
        "quoted",
    ]
    assert all(len(name) <= 31 for name in names)


def test_xlsx_returns_the_total_rows_of_all_sheets_and_writes_to_a_stream():
    stream = io.BytesIO()
    sheets = [Sheet("A", ["n"], [[1], [2]]), Sheet("B", ["n"], [[3]]), Sheet("C", ["n"], [])]
    assert write_xlsx(stream, sheets) == 3
    workbook = load_workbook(io.BytesIO(stream.getvalue()))
    assert [ws.max_row for ws in workbook.worksheets] == [3, 2, 1]


def test_xlsx_without_sheets_is_still_a_valid_workbook(tmp_path):
    path = tmp_path / "out.xlsx"
    assert write_xlsx(path, []) == 0
    assert reopen(path).sheetnames == ["Sheet"]


def test_xlsx_streams_50000_rows_from_a_generator(tmp_path):
    path = tmp_path / "big.xlsx"
    rows = ((i, f"Stranka {i}", "=cmd", AFTER_DST) for i in range(50_000))
    assert write_xlsx(path, [Sheet("Big", ["id", "name", "note", "at"], rows)]) == 50_000
    assert path.stat().st_size > 0


def test_xlsx_failure_leaves_no_temporary_files(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    rows = [["Ana", AFTER_DST]] * 10 + [["Bor", datetime(2024, 1, 1)]]
    with pytest.raises(ValueError, match="'Created'"):
        write_xlsx(tmp_path / "out.xlsx", [Sheet("S", ["Name", "Created"], rows)])
    assert list(tmp_path.glob("openpyxl.*")) == []
