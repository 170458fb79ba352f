"""Excel files (real .xlsx via xlsxwriter): the ONE writer every export uses, so every workbook treats text as text.

Formula injection (CSV/spreadsheet injection, OWASP): a value typed by a user such as ``=HYPERLINK("http://x", "Click")``
must never become a live formula in a file another official opens. Every workbook is therefore created by
:func:`new_workbook` with ``strings_to_formulas``/``strings_to_urls``/``strings_to_numbers`` off, and every cell is
written by :func:`write_row` / :func:`write_cell`: numbers as numbers, everything else with ``write_string``; text that
starts with ``= + - @``, a tab or a carriage return additionally gets Excel's quote prefix (the cell shows exactly what
was typed, and editing it in Excel does not turn it into a formula)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def new_workbook(buf: io.BytesIO):
    """An xlsxwriter Workbook writing into ``buf`` with text-is-text options (the only way to create one)."""
    import xlsxwriter

    return xlsxwriter.Workbook(buf, OPTIONS)


def is_risky(text: str) -> bool:
    return text.startswith(FORMULA_START)


def write_cell(ws, row: int, col: int, value, fmt=None) -> None:
    """One cell: None → blank, bool/number/Decimal → number, anything else → string (quote-prefixed when risky)."""
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, str(value), fmt)
    elif hasattr(value, "to_integral") or isinstance(value, int | float):
        ws.write_number(row, col, float(value), fmt)
    else:
        text = str(value)
        if is_risky(text):
            ws.write_string(row, col, text, _quote_format(ws, fmt))
        else:
            ws.write_string(row, col, text, fmt)


def write_row(ws, row: int, values: Sequence, fmt=None) -> None:
    for col, value in enumerate(values):
        write_cell(ws, row, col, value, fmt)


def _quote_format(ws, fmt):
    """A quote-prefix format, cached on the workbook (with a base format: a copy of its look plus the prefix)."""
    wb = ws._xinli_workbook
    cache = wb.__dict__.setdefault("_xinli_quote", {})
    if id(fmt) not in cache:
        props = {"quote_prefix": True}
        if fmt is not None:
            props.update({k: v for k, v in {"bold": fmt.bold, "font_color": fmt.font_color, "bg_color": fmt.bg_color}.items() if v})
        cache[id(fmt)] = wb.add_format(props)
    return cache[id(fmt)]


def add_worksheet(wb, name: str):
    ws = wb.add_worksheet(name[:31])
    ws._xinli_workbook = wb
    return ws


def workbook(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]) -> bytes:
    """``sheets``: (name, header, rows). Decimals are written as numbers, None as empty cells."""
    buf = io.BytesIO()
    wb = new_workbook(buf)
    bold = wb.add_format({"bold": True})
    for name, header, rows in sheets:
        ws = add_worksheet(wb, name)
        write_row(ws, 0, list(header), bold)
        ws.freeze_panes(1, 0)
        for i, row in enumerate(rows, 1):
            write_row(ws, i, row)
    wb.close()
    return buf.getvalue()


def response(data: bytes, filename: str) -> HttpResponse:
    r = HttpResponse(data, content_type=XLSX)
    r["Content-Disposition"] = f'attachment; filename="{filename}"'
    return r
