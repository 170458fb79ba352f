"""Excel files (real .xlsx via xlsxwriter). Every workbook the platform writes is opened with ``new_workbook``, so
text is always text: no string becomes a formula, a link or a number, and a text cell starting with ``= + - @``
(or a tab or carriage return) carries Excel's quote prefix — the file's equivalent of a leading apostrophe — so
editing the cell in Excel cannot turn it into a live formula either (spreadsheet formula injection, OWASP "CSV
injection"; docs/hardening.md). ``workbook`` writes tables of aggregates so every table export looks the same."""

from __future__ import annotations

import copy
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import xlsxwriter
from django.http import HttpResponse
from xlsxwriter.worksheet import Worksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters that make a spreadsheet read a cell as a formula (or start one on the next edit).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _TextSheet(Worksheet):
    """A worksheet whose text cells that look like formulas get the quote prefix (keeping their other format)."""

    book: TextWorkbook

    def _write_string(self, row, col, string, cell_format=None):
        if string[:1] in FORMULA_START:
            cell_format = self.book.quoted(cell_format)
        return super()._write_string(row, col, string, cell_format)


class TextWorkbook(xlsxwriter.Workbook):
    """An in-memory workbook in which strings are written as strings (never formulas, links or numbers)."""

    def __init__(self, buf):
        super().__init__(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                               "strings_to_numbers": False})
        self._quoted = {}

    def add_worksheet(self, name=None, worksheet_class=None):
        sheet = super().add_worksheet(name, worksheet_class or _TextSheet)
        sheet.book = self
        return sheet

    def quoted(self, cell_format):
        """``cell_format`` (or none) with the quote prefix added: one new format per format used."""
        key = id(cell_format)
        if key not in self._quoted:
            if cell_format is None:
                self._quoted[key] = self.add_format({"quote_prefix": True})
            else:
                q = copy.copy(cell_format)
                q.set_quote_prefix()
                self.formats.append(q)
                self._quoted[key] = q
        return self._quoted[key]


def new_workbook(buf) -> TextWorkbook:
    """The one way to open a workbook: ``wb = new_workbook(buf)`` … ``wb.close()``; the bytes are in ``buf``."""
    return TextWorkbook(buf)


@dataclass(frozen=True)
class Number:
    """A number shown in its unit by an Excel number format: ``Number(Decimal("0.697"), "0.0%")`` is the number
    0.697 that reads 69.7%; the cell keeps the exact number for calculations."""

    value: object
    num_format: str


def workbook(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]) -> bytes:
    """``sheets``: (name, header, rows). Decimals are written as numbers, ``Number`` with its number format, None as
    empty cells."""
    buf = io.BytesIO()
    wb = new_workbook(buf)
    bold = wb.add_format({"bold": True})
    formats = {}
    for name, header, rows in sheets:
        ws = wb.add_worksheet(name[:31])
        ws.write_row(0, 0, list(header), bold)
        ws.freeze_panes(1, 0)
        for i, row in enumerate(rows, 1):
            for j, v in enumerate(row):
                if isinstance(v, Number):
                    if v.value is None:
                        continue
                    if v.num_format not in formats:
                        formats[v.num_format] = wb.add_format({"num_format": v.num_format})
                    ws.write_number(i, j, float(v.value), formats[v.num_format])
                else:
                    ws.write(i, j, _cell(v))
    wb.close()
    return buf.getvalue()


def _cell(v):
    if v is None:
        return ""
    if hasattr(v, "to_integral") or isinstance(v, int | float):  # Decimal / number
        return float(v)
    return str(v)


def response(data: bytes, filename: str) -> HttpResponse:
    r = HttpResponse(data, content_type=XLSX)
    r["Content-Disposition"] = f'attachment; filename="{filename}"'
    return r
