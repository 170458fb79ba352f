"""Aggregate figures of an area for a period (the annual work summary reads them): counselling cases and sessions,
referrals and their turnaround. Counts and durations only; nothing here returns a person.

The period is the registry's: ``year`` and ``as_of`` (flows from 1 January to ``as_of`` inclusive)."""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from xinli.core.db import read_alias
from xinli.core.periods import year_dates, year_span

from .models import Case, Referral, Session, turnaround_hours


@dataclass
class CounsellingFigures:
    cases_opened: int  # counselling cases opened in the period
    cases_closed: int  # ... closed in the period (whenever opened)
    sessions: int  # sessions dated in the period
    session_minutes: int


def counselling(unit, year: int, as_of: datetime.date) -> CounsellingFigures:
    db = read_alias()
    lo, hi = year_span(year, as_of)
    cases = Case.objects.using(db).filter(org_path__startswith=unit.path).aggregate(
        opened=Count("id", filter=Q(opened_at__gte=lo, opened_at__lt=hi)), closed=Count("id", filter=Q(closed_at__gte=lo, closed_at__lt=hi)))
    sessions = Session.objects.using(db).filter(case__org_path__startswith=unit.path, date__range=year_dates(year, as_of)).aggregate(
        n=Count("id"), total_minutes=Sum("minutes"))
    return CounsellingFigures(cases_opened=cases["opened"], cases_closed=cases["closed"], sessions=sessions["n"],
                              session_minutes=sessions["total_minutes"] or 0)


@dataclass
class ReferralFigures:
    sent: int  # referrals of the area's people sent in the period
    urgent: int
    back: int  # back-referrals (green channel)
    received: int  # ... received by the institution by the period end
    replied: int  # ... replied to by the period end
    median_turnaround_hours: float | None  # median hours from sending to the reply (``Referral.turnaround_hours``)


def referrals(unit, year: int, as_of: datetime.date) -> ReferralFigures:
    lo, hi = year_span(year, as_of)
    out = ReferralFigures(0, 0, 0, 0, 0, None)
    hours = []
    for urgency, back, sent, received, replied in Referral.objects.using(read_alias()).filter(
            org_path__startswith=unit.path, sent_at__gte=lo, sent_at__lt=hi).values_list("urgency", "back", "sent_at", "received_at", "replied_at"):
        out.sent += 1
        out.urgent += urgency == Referral.Urgency.URGENT
        out.back += bool(back)
        out.received += received is not None and received < hi
        if replied is not None and replied < hi:
            out.replied += 1
            hours.append(turnaround_hours(sent, replied))
    out.median_turnaround_hours = statistics.median(hours) if hours else None
    return out
