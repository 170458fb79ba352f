"""The personal report of an assessment as PDF (WeasyPrint, CJK font from Debian's fonts-noto-cjk)."""

from __future__ import annotations

from django.template.loader import render_to_string


def report_pdf(context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string("screening/report.html", context)
    return HTML(string=html).write_pdf()
