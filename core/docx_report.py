"""The one small DOCX helper: a titled report with headings, paragraphs and tables.

Every text written goes through `sanitize_text` and `xml_safe`, because python-docx
(lxml) raises on characters XML cannot hold, such as NUL or a vertical tab.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from copy import deepcopy
from datetime import date, datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from lxml import etree

from core.clock import zone
from core.text import sanitize_text, xml_safe

_DATETIME_FORMAT = "%d.%m.%Y %H:%M"
_DATE_FORMAT = "%d.%m.%Y"
_MAX_CORE_PROPERTY = 255  # python-docx refuses longer document properties


def _clean(text: str) -> str:
    return xml_safe(sanitize_text(text))


class DocxReport:
    """A DOCX report that opens with its title, the organisation and the generation time and
    has "Page N of M" in the footer. Datetimes are shown in the time zone `tz`."""

    def __init__(
        self,
        title: str,
        organisation: str,
        generated_at: datetime,
        tz: ZoneInfo | str = "Europe/Ljubljana",
    ) -> None:
        """Start a report; raise ValueError if `generated_at` is a naive datetime."""
        self._tz = tz if isinstance(tz, ZoneInfo) else zone(tz)
        self._document = Document()
        title = _clean(title)
        self._document.core_properties.title = title[:_MAX_CORE_PROPERTY]
        self._document.add_heading(title, level=0)
        self._document.add_paragraph(_clean(organisation))
        self._document.add_paragraph(
            f"Generated on {self._format_datetime(generated_at, 'generated_at')} ({self._tz.key})"
        )
        self._add_page_footer()

    def heading(self, text: str, level: int = 1) -> None:
        """Append a heading of `level` (1-9) with `text`."""
        self._document.add_heading(_clean(text), level=level)

    def paragraph(self, text: str) -> None:
        """Append a paragraph with `text`; newlines become line breaks."""
        self._document.add_paragraph(_clean(text))

    def table(self, header: list[str], rows: Iterable[Sequence[object]]) -> None:
        """Append a "Table Grid" table with a bold, repeated header row and one row per item
        of `rows`. None is empty, bools yes/no, datetimes dd.mm.yyyy HH:MM in the report's
        zone, dates dd.mm.yyyy. Raise ValueError on an empty header, a row longer than the
        header or a naive datetime."""
        if not header:
            raise ValueError("A table needs at least one column.")
        table = self._document.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        header_row = table.rows[0]
        for cell, name in zip(header_row.cells, header, strict=True):
            cell.paragraphs[0].add_run(_clean(str(name))).bold = True
        # Repeat the header row at the top of every page the table spans.
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        header_row._tr.get_or_add_trPr().append(repeat)

        # Data rows are copies of one empty row made by python-docx (cell widths, an empty
        # paragraph per cell) filled with plain lxml: `add_row()` and `cell.text` look the
        # grid up again for every cell, which made a 5,000-row table take seconds.
        template = table.add_row()._tr
        grid = table._tbl
        grid.remove(template)
        for number, row in enumerate(rows, start=1):
            values = list(row)
            if len(values) > len(header):
                raise ValueError(
                    f"Row {number} has {len(values)} values but the table has {len(header)} "
                    "columns."
                )
            tr = deepcopy(template)
            for tc, name, value in zip(tr.iterchildren(_TC), header, values, strict=False):
                _set_text(tc.find(_P), self._format(value, name))
            grid.append(tr)

    def save(self, target: str | os.PathLike[str] | BinaryIO) -> None:
        """Write the document to `target`, a path or a binary stream."""
        self._document.save(target)

    def _format(self, value: object, column: str) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, datetime):
            return self._format_datetime(value, column)
        if isinstance(value, date):
            return value.strftime(_DATE_FORMAT)
        return _clean(str(value))

    def _format_datetime(self, value: datetime, column: str) -> str:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"{column!r} holds a naive datetime ({value.isoformat()}); reports need "
                "aware datetimes."
            )
        return value.astimezone(self._tz).strftime(_DATETIME_FORMAT)

    def _add_page_footer(self) -> None:
        for section in self._document.sections:
            footer = section.footer
            paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.add_run("Page ")
            _add_field(paragraph, "PAGE")
            paragraph.add_run(" of ")
            _add_field(paragraph, "NUMPAGES")


_TC, _P, _R, _T = qn("w:tc"), qn("w:p"), qn("w:r"), qn("w:t")
_BR, _TAB = qn("w:br"), qn("w:tab")
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_BREAKS = re.compile(r"\r\n|[\r\n]")


def _set_text(paragraph: etree._Element, text: str) -> None:
    """Put `text` into an empty table-cell paragraph as one run, as python-docx's
    `cell.text` does: a line break for each newline, a tab element for each tab."""
    if not text:
        return
    run = etree.SubElement(paragraph, _R)
    for index, line in enumerate(_BREAKS.split(text)):
        if index:
            etree.SubElement(run, _BR)
        for part_index, part in enumerate(line.split("\t")):
            if part_index:
                etree.SubElement(run, _TAB)
            if part:
                element = etree.SubElement(run, _T)
                element.text = part
                element.set(_XML_SPACE, "preserve")


def _add_field(paragraph: Paragraph, instruction: str) -> None:
    """Append a simple field (`w:fldSimple`) that Word and LibreOffice compute on render."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), f" {instruction} ")
    # Placeholder result, shown until the viewer updates the field.
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
