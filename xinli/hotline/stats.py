"""Aggregate hotline figures of an area for a period (the annual work summary reads them): the daily KPIs of the
line page (``services.kpis``) summed over the lines run by the unit or a unit under it. Counts only."""

from __future__ import annotations

import datetime

from .models import Line
from .services import DayKpi, kpis


def area_kpis(unit, year: int, as_of: datetime.date) -> DayKpi:
    """From 1 January to ``as_of``: call-detail records offered and answered (speed of answer), calls recorded,
    high-risk calls and their follow-ups, over every line of the unit's area — one ``DayKpi`` whose ``day`` is
    ``as_of``."""
    total = DayKpi(as_of)
    for line in Line.objects.filter(org_path__startswith=unit.path).order_by("pk"):
        for day in kpis(line, datetime.date(year, 1, 1), as_of):
            total.offered += day.offered
            total.answered += day.answered
            total.answer_seconds += day.answer_seconds
            total.calls += day.calls
            total.high_risk += day.high_risk
            total.high_risk_followed_up += day.high_risk_followed_up
    return total
