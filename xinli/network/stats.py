"""Aggregate figures of an area for a period (the annual work summary reads them): supervision and its
rectifications, compliance with the qualification rules, the workforce, training and volunteers. Counts only —
nothing here returns a person, a name or an identifier.

Every function takes the unit and the period as the indicator registry does: ``year`` and ``as_of``, the period end
(flows count from 1 January to ``as_of``; stocks are taken on ``as_of``, or now where the register keeps no
history — the staff's and volunteers' ``active`` flag)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum

from xinli.core.db import read_alias
from xinli.core.periods import year_dates

from . import inspection, rules
from .models import (
    Attendance,
    Finding,
    Institution,
    InstitutionKind,
    Profession,
    Rectification,
    Staff,
    Supervision,
    Volunteer,
    VolunteerService,
)


@dataclass
class SupervisionFigures:
    inspections: int = 0
    institutions: int = 0  # institutions inspected
    mean_score: Decimal | None = None  # mean of the institutions' yearly scores (the disclosed evaluations)
    findings: dict[str, int] = field(default_factory=dict)  # severity -> findings
    due: int = 0  # rectifications whose deadline fell in the period
    on_time: int = 0  # ... closed on or before the deadline
    late: int = 0  # ... closed after the deadline, by the period end
    open: int = 0  # ... still open at the period end

    @property
    def on_time_rate(self) -> Decimal | None:
        return Decimal(self.on_time) / Decimal(self.due) if self.due else None


def supervision(unit, year: int, as_of: datetime.date) -> SupervisionFigures:
    """Inspections of the institutions in the unit dated in the period (``inspection.evaluations``: inspections,
    institutions, their yearly scores), their findings by severity, and the rectifications of the unit whose
    deadline fell in the period: closed by the deadline (on time), closed later but by the period end (late), or not
    closed at the period end."""
    start, end = year_dates(year, as_of)
    evaluations = inspection.evaluations(year, unit)
    out = SupervisionFigures(inspections=sum(e.inspections for e in evaluations), institutions=len(evaluations))
    if evaluations:
        out.mean_score = (sum(e.score for e in evaluations) / len(evaluations)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    db = read_alias()
    out.findings = dict(Finding.objects.using(db).filter(inspection__org_path__startswith=unit.path, inspection__date__range=(start, end))
                        .order_by().values_list("severity").annotate(n=Count("id")))
    for deadline, closed in Rectification.objects.using(db).filter(org_path__startswith=unit.path, deadline__range=(start, end)).values_list(
            "deadline", "closed_at"):
        out.due += 1
        if closed is not None and closed <= deadline:
            out.on_time += 1
        elif closed is not None and closed <= end:
            out.late += 1
        else:
            out.open += 1
    return out


@dataclass
class ComplianceFigures:
    counsellors: int  # active psychological counsellors on the staff register
    qualified: int  # ... qualified on the day (rules.counsellor_qualified)
    organisations: int  # active social psychological service organisations
    compliant: int  # ... with at least two active, full-time, qualified counsellors (rules.organisation_compliant)


def compliance(unit, day: datetime.date) -> ComplianceFigures:
    """The network's qualification rules (``rules``) evaluated on ``day`` over the unit's register."""
    counsellors = Staff.objects.filter(org_path__startswith=unit.path, active=True, profession=Profession.COUNSELLOR).prefetch_related("certificates")
    organisations = Institution.objects.filter(org_path__startswith=unit.path, active=True, kind=InstitutionKind.SOCIAL_ORG)
    staff = list(counsellors)
    orgs = list(organisations)
    return ComplianceFigures(counsellors=len(staff), qualified=sum(rules.counsellor_qualified(s, day) for s in staff),
                             organisations=len(orgs), compliant=sum(rules.organisation_compliant(o, day) for o in orgs))


@dataclass
class WorkforceFigures:
    staff: int  # active staff on the register
    full_time: int
    by_profession: dict[str, int]  # profession code -> active staff


def workforce(unit) -> WorkforceFigures:
    """The active staff of the unit's register (the register keeps no history: as it stands now)."""
    rows = dict(Staff.objects.using(read_alias()).filter(org_path__startswith=unit.path, active=True).order_by()
                .values_list("profession").annotate(n=Count("id")))
    full_time = Staff.objects.using(read_alias()).filter(org_path__startswith=unit.path, active=True, full_time=True).count()
    return WorkforceFigures(staff=sum(rows.values()), full_time=full_time, by_profession=rows)


@dataclass
class TrainingFigures:
    courses: int  # courses with a completed attendance in the period
    attendances: int  # completed attendances (person-times)
    hours: Decimal  # their hours
    supervisions: int  # professional supervision sessions of the staff
    supervision_hours: Decimal


def training(unit, year: int, as_of: datetime.date) -> TrainingFigures:
    """Completed training attendances of the unit's staff and their supervision sessions dated in the period."""
    db = read_alias()
    span = year_dates(year, as_of)
    att = Attendance.objects.using(db).filter(org_path__startswith=unit.path, completed=True, date__range=span).aggregate(
        n=Count("id"), n_courses=Count("course", distinct=True), total_hours=Sum("hours"))
    sup = Supervision.objects.using(db).filter(staff__org_path__startswith=unit.path, date__range=span).aggregate(n=Count("id"), total_hours=Sum("hours"))
    return TrainingFigures(courses=att["n_courses"], attendances=att["n"], hours=att["total_hours"] or Decimal(0),
                           supervisions=sup["n"], supervision_hours=sup["total_hours"] or Decimal(0))


@dataclass
class VolunteerFigures:
    active: int  # active volunteers (now)
    trained: int  # ... of them trained
    recruited: int  # volunteers recruited in the period
    services: int  # service records dated in the period
    hours: Decimal  # their hours
    commendations: int  # commendations dated in the period


def volunteers(unit, year: int, as_of: datetime.date) -> VolunteerFigures:
    db = read_alias()
    start, end = year_dates(year, as_of)
    mine = Volunteer.objects.using(db).filter(org_path__startswith=unit.path)
    counts = mine.aggregate(n_active=Count("id", filter=Q(active=True)), n_trained=Count("id", filter=Q(active=True, trained=True)),
                            n_recruited=Count("id", filter=Q(recruited_on__range=(start, end))))
    services = VolunteerService.objects.using(db).filter(volunteer__org_path__startswith=unit.path, date__range=(start, end)).aggregate(
        n=Count("id"), total_hours=Sum("hours"))
    commendations = sum(1 for entries in mine.values_list("commendations", flat=True)
                        for c in entries if start.isoformat() <= str(c.get("date", "")) <= end.isoformat())
    return VolunteerFigures(active=counts["n_active"], trained=counts["n_trained"], recruited=counts["n_recruited"], services=services["n"],
                            hours=services["total_hours"] or Decimal(0), commendations=commendations)
