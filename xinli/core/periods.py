"""A reporting period as the domain apps' aggregates read it: the year to date, from 1 January to ``as_of`` (the
period end, a date), inclusive — the same rule as the indicator registry's flows."""

from __future__ import annotations

import datetime

from django.utils import timezone


def year_span(year: int, as_of: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Aware datetimes [1 January 00:00, the day after ``as_of`` 00:00) in the current time zone: filter a
    date-time column with ``__gte=lo, __lt=hi``."""
    lo = timezone.make_aware(datetime.datetime(year, 1, 1))
    hi = timezone.make_aware(datetime.datetime.combine(as_of + datetime.timedelta(days=1), datetime.time.min))
    return lo, hi


def year_dates(year: int, as_of: datetime.date) -> tuple[datetime.date, datetime.date]:
    """1 January and ``as_of``: filter a date column with ``__range``."""
    return datetime.date(year, 1, 1), as_of
