"""Reading produced files back, as a person's Word or Excel would: python-docx, openpyxl."""

from __future__ import annotations

import io
from typing import Any

import docx
import openpyxl


def docx_document(data: bytes) -> Any:
    """The python-docx Document of `data`."""
    return docx.Document(io.BytesIO(data))


def docx_text(data: bytes) -> str:
    """Every paragraph and table cell of a .docx, one per line."""
    document = docx_document(data)
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.extend(cell.text for cell in row.cells)
    return "\n".join(lines)


def docx_tables(data: bytes) -> list[list[list[str]]]:
    """Each table of a .docx as rows of cell texts."""
    return [[[cell.text for cell in row.cells] for row in table.rows]
            for table in docx_document(data).tables]


def workbook(data: bytes) -> Any:
    """The openpyxl workbook of `data`."""
    return openpyxl.load_workbook(io.BytesIO(data))


def sheets(data: bytes) -> dict[str, list[list[Any]]]:
    """{sheet title: rows of cell values} of a .xlsx."""
    book = workbook(data)
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)]
            for ws in book.worksheets}


def all_values(data: bytes) -> str:
    """Every cell value of a .xlsx as text, one per line."""
    return "\n".join(str(v) for rows in sheets(data).values() for row in rows for v in row
                     if v is not None)
