"""Aggregate figures of an area for a period (the annual work summary reads them): how fast alerts were
acknowledged, per level, and the crisis work — cases, group crises and their follow-ups. Counts and durations only;
nothing here returns a person.

The period is the registry's: ``year`` and ``as_of`` (flows from 1 January to ``as_of`` inclusive)."""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from xinli.core.db import read_alias
from xinli.core.periods import year_dates, year_span

from .models import AffectedPerson, Alert, CrisisCase, CrisisEvent, FollowUp, Level


@dataclass
class Acknowledgement:
    level: str  # "" for all levels together
    raised: int  # alerts raised in the period
    acknowledged: int  # ... acknowledged by the period end
    median_minutes: float | None  # median time from raising to acknowledgement, over those acknowledged


def acknowledgement(unit, year: int, as_of: datetime.date) -> list[Acknowledgement]:
    """Per level (red, orange, yellow), then for all levels together (level ""): alerts about the unit's area raised
    in the period, how many were acknowledged by the period end and the median minutes it took. (Acknowledged *in
    time* — before the first deadline, never escalated — is indicator AL1, by level, in the rollups.)"""
    lo, hi = year_span(year, as_of)
    raised = dict.fromkeys([*Level.values, ""], 0)
    minutes: dict[str, list[float]] = {level: [] for level in raised}
    for level, created, acked in Alert.objects.using(read_alias()).filter(org_path__startswith=unit.path, created_at__gte=lo, created_at__lt=hi).values_list(
            "level", "created_at", "acknowledged_at"):
        for key in (level, ""):
            raised[key] = raised.get(key, 0) + 1
            if acked is not None and acked < hi:
                minutes.setdefault(key, []).append((acked - created).total_seconds() / 60)
    return [Acknowledgement(level, raised[level], len(minutes[level]), statistics.median(minutes[level]) if minutes[level] else None)
            for level in raised]


@dataclass
class CrisisFigures:
    cases_opened: int  # individual crisis cases opened in the period
    cases_closed: int  # ... closed in the period (whenever opened)
    closed_high_risk: int  # ... of them closed as high risk (follow-ups at 7, 30 and 90 days)
    events: int  # group crises (disasters, incidents) that occurred in the period
    affected: int  # people registered as affected by them
    follow_ups_due: int  # follow-ups (after a case or a group crisis) due in the period
    follow_ups_on_time: int  # ... done on or before the due day
    follow_ups_late: int  # ... done after it, by the period end
    follow_ups_missed: int  # ... not done by the period end


def crisis(unit, year: int, as_of: datetime.date) -> CrisisFigures:
    db = read_alias()
    lo, hi = year_span(year, as_of)
    start, end = year_dates(year, as_of)
    cases = CrisisCase.objects.using(db).filter(org_path__startswith=unit.path).aggregate(
        opened=Count("id", filter=Q(opened_at__gte=lo, opened_at__lt=hi)),
        closed=Count("id", filter=Q(closed_at__gte=lo, closed_at__lt=hi)),
        high=Count("id", filter=Q(closed_at__gte=lo, closed_at__lt=hi, high_risk=True)))
    events = CrisisEvent.objects.using(db).filter(org_path__startswith=unit.path, occurred_at__gte=lo, occurred_at__lt=hi)
    affected = AffectedPerson.objects.using(db).filter(event__in=events).count()
    due = on_time = late = missed = 0
    for day, done in FollowUp.objects.using(db).filter(org_path__startswith=unit.path, due__range=(start, end)).values_list("due", "done_at"):
        due += 1
        done_day = timezone.localtime(done).date() if done is not None else None
        if done_day is not None and done_day <= day:
            on_time += 1
        elif done_day is not None and done_day <= end:
            late += 1
        else:
            missed += 1
    return CrisisFigures(cases_opened=cases["opened"], cases_closed=cases["closed"], closed_high_risk=cases["high"],
                         events=events.count(), affected=affected, follow_ups_due=due, follow_ups_on_time=on_time,
                         follow_ups_late=late, follow_ups_missed=missed)
