"""Excel files (real .xlsx via xlsxwriter) for tables of aggregates: one helper so every table export looks the same."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]) -> bytes:
    """``sheets``: (name, header, rows). Decimals are written as numbers, None as empty cells."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    bold = wb.add_format({"bold": True})
    for name, header, rows in sheets:
        ws = wb.add_worksheet(name[:31])
        ws.write_row(0, 0, list(header), bold)
        ws.freeze_panes(1, 0)
        for i, row in enumerate(rows, 1):
            ws.write_row(i, 0, [_cell(v) for v in row])
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
