"""Coverage of an org unit on a day: the one home of the rules of targets T01–T07, T18 and T19 (DOMAIN.md §4, the
pilot plan, issue 16). The indicator registry points at ``compute``; the pages, the API and the reports read these
figures (or the rollups made from them) and compute nothing of their own.

Point-in-time rule: the villages and townships are those that existed on the day; a site counts when its status on
the day is *active* (suspended or closed do not count). A year's figure is taken on 31 December of that year (or
today for the current year), so a room closed in June does not count for that year, and a room opened in December
does. Staff carry no dates on the register: a teacher counts while recorded as active.

| code | denominator (active institutions of the unit) | covered when |
|---|---|---|
| T01 | villages/communities in the unit | an active village counselling room or social-work room in the village |
| T02 | universities | an active university centre of the university |
| T03 | universities | full-time psychology teachers × 4000 ≥ students |
| T04 | primary and secondary schools | an active school counselling room **and** an active full- or part-time mental-health teacher employed by the school (试点方案 二.2: 设立心理辅导室，并配备专职或兼职教师) |
| T05 | party and government organs, public institutions, enterprises, factories and mines, new economic organisations (试点方案 二.3) — all of them, unless the region sets a size cut (``t05_min_employees``) | an active workplace room of the unit, in-house or a purchased service (``Site.purchased``) in force on the day |
| T06 | psychiatric hospitals | an active psychology clinic of the hospital |
| T07 | general hospitals of level 2 or 3 | an active psychiatry/psychology clinic of the hospital |
| T18 | mental-health institutions (精神卫生医疗机构): psychiatric hospitals, and general hospitals recorded with a psychiatric department or with an active psychiatry/psychology clinic on the day | an active family school of the institution |
| T19 | townships (街道/乡镇) in the unit | a management group established on or before the day and not dissolved by then |

Choices where the plan is silent (docs/network.md): a teacher is a staff member with the profession full- or
part-time mental-health teacher whose employer is the school (a counsellor employed by the school is not one); with a
size cut, a unit whose employee count is not recorded stays in the denominator (leaving a count blank never removes
a unit), and the cut applies to every kind of T05 unit.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinli.core.policy import INDICATORS_MANAGE
from xinli.regions import parameters
from xinli.regions.models import OrgUnit, valid_on

from .models import (
    SCHOOLS,
    WORKPLACES,
    Institution,
    InstitutionKind,
    ManagementGroup,
    Profession,
    Site,
    SiteKind,
    SiteStatus,
    Staff,
)

PSYCH_TEACHERS = (Profession.TEACHER_FULL, Profession.TEACHER_PART)
_DEFAULT = object()


@dataclass
class Coverage:
    code: str
    total: int = 0
    covered: int = 0
    gaps: list = field(default_factory=list)  # the uncovered units or institutions
    rule: dict = field(default_factory=dict)  # the parameters in force, e.g. T05 {"min_employees": None}

    @property
    def rate(self) -> float | None:
        return self.covered / self.total if self.total else None


def workplace_size_cut(unit: OrgUnit) -> int | None:
    """The region parameter ``t05_min_employees``: T05 counts only the units with at least this many employees;
    None (the default, and the plan's rule) counts every unit on the register."""
    return parameters.parameter(unit, "t05_min_employees")


parameters.register(parameters.Known(
    "t05_min_employees", int, lambda: None, 1, 1_000_000, INDICATORS_MANAGE, _("T05 minimum employees"),
    _("T05 counts only organs and enterprises with at least this many employees (none by default: the pilot plan's rule)."),
    none_label=_("no size cut: every unit on the register counts")))


def year_day(year: int, today: datetime.date) -> datetime.date:
    return min(datetime.date(year, 12, 31), today)


def active_sites(unit: OrgUnit, day: datetime.date, kinds) -> list[Site]:
    active = SiteStatus.objects.filter(status=SiteStatus.Status.ACTIVE, start__lte=day).filter(Q(end__isnull=True) | Q(end__gte=day))
    return list(Site.objects.filter(org_path__startswith=unit.path, kind__in=kinds, pk__in=active.values("site_id")))


def compute(unit: OrgUnit, day: datetime.date, *, t05_min_employees=_DEFAULT) -> dict[str, Coverage]:
    """Every coverage figure of ``unit`` on ``day``. ``t05_min_employees`` overrides the region's size cut of T05
    (default: ``workplace_size_cut(unit)``)."""
    min_employees = workplace_size_cut(unit) if t05_min_employees is _DEFAULT else t05_min_employees
    out = {}
    # T01 villages
    villages = list(OrgUnit.objects.filter(valid_on(day), path__startswith=unit.path, level="village").order_by("path"))
    rooms = active_sites(unit, day, [SiteKind.VILLAGE_ROOM, SiteKind.SOCIAL_WORK_ROOM])
    covered_villages = {s.org_unit_id for s in rooms}
    out["T01"] = Coverage("T01", len(villages), sum(v.pk in covered_villages for v in villages),
                          [v for v in villages if v.pk not in covered_villages])
    institutions = list(Institution.objects.filter(org_path__startswith=unit.path, active=True))
    by_kind = {}
    for site in active_sites(unit, day, [SiteKind.UNIVERSITY_CENTRE, SiteKind.SCHOOL_ROOM, SiteKind.WORKPLACE_ROOM,
                                         SiteKind.PSYCHIATRIC_CLINIC, SiteKind.GENERAL_CLINIC, SiteKind.FAMILY_SCHOOL]):
        if site.institution_id:
            by_kind.setdefault(site.kind, set()).add(site.institution_id)

    def rule(code, members, kind=None, test=None, **params):
        c = Coverage(code, len(members), rule=params)
        for inst in members:
            ok = test(inst) if test else inst.pk in by_kind.get(kind, set())
            c.covered += ok
            if not ok:
                c.gaps.append(inst)
        out[code] = c

    universities = [i for i in institutions if i.kind == InstitutionKind.UNIVERSITY]
    rule("T02", universities, SiteKind.UNIVERSITY_CENTRE)
    rule("T03", universities, test=lambda i: (i.psychology_teachers or 0) * 4000 >= (i.students or 0))
    schools = [i for i in institutions if i.kind in SCHOOLS]
    with_teacher = set(Staff.objects.filter(employer__in=[i.pk for i in schools], active=True, profession__in=PSYCH_TEACHERS)
                       .values_list("employer_id", flat=True)) if schools else set()
    rule("T04", schools, test=lambda i: i.pk in by_kind.get(SiteKind.SCHOOL_ROOM, set()) and i.pk in with_teacher)
    workplaces = [i for i in institutions if i.kind in WORKPLACES
                  and (min_employees is None or i.employees is None or i.employees >= min_employees)]
    rule("T05", workplaces, SiteKind.WORKPLACE_ROOM, min_employees=min_employees)
    psychiatric = [i for i in institutions if i.kind == InstitutionKind.PSYCHIATRIC_HOSPITAL]
    rule("T06", psychiatric, SiteKind.PSYCHIATRIC_CLINIC)
    general = [i for i in institutions if i.kind == InstitutionKind.GENERAL_HOSPITAL]
    rule("T07", [i for i in general if i.hospital_level in ("2", "3")], SiteKind.GENERAL_CLINIC)
    clinics = by_kind.get(SiteKind.GENERAL_CLINIC, set())
    mental_health = psychiatric + [i for i in general if i.psychiatric_department or i.pk in clinics]
    rule("T18", sorted(mental_health, key=lambda i: (i.org_path, i.name)), SiteKind.FAMILY_SCHOOL)
    townships = list(OrgUnit.objects.filter(valid_on(day), path__startswith=unit.path, level="township").order_by("path"))
    grouped = set(ManagementGroup.objects.filter(org_path__startswith=unit.path, established_on__lte=day).filter(
        Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=day)).values_list("org_unit_id", flat=True))
    out["T19"] = Coverage("T19", len(townships), sum(t.pk in grouped for t in townships), [t for t in townships if t.pk not in grouped])
    return out


MANY_CODES = ("T02", "T03", "T04", "T05", "T06", "T07", "T18", "T19")


def many(units, day: datetime.date) -> dict[int, dict[str, tuple[int, int]]]:
    """``(covered, total)`` of T02–T07, T18 and T19 as :func:`compute` gives them, for many units at once:
    ``{unit.pk: {code: (covered, total)}}``. One read of the institutions, active sites, psychology teachers,
    townships and management groups under the units' common root (and of the T05 size cut of every unit); each
    institution or township is then added to every requested unit on its path. A site or a group counts for a unit
    only when it lies under that unit, as in :func:`compute`."""
    from collections import defaultdict

    from xinli.regions.models import common_path, path_prefixes

    units = list(units)
    if not units:
        return {}
    by_path = {u.path: u for u in units}
    root = common_path(list(by_path))
    cuts = parameters.parameters(list(by_path), "t05_min_employees")
    institutions = list(Institution.objects.filter(org_path__startswith=root, active=True).values_list(
        "pk", "kind", "org_path", "psychology_teachers", "students", "employees", "hospital_level", "psychiatric_department"))
    site_paths = defaultdict(list)  # (site kind, institution) -> the paths of its active sites of that kind
    for site in active_sites(OrgUnit(path=root), day, [SiteKind.UNIVERSITY_CENTRE, SiteKind.SCHOOL_ROOM, SiteKind.WORKPLACE_ROOM,
                                                       SiteKind.PSYCHIATRIC_CLINIC, SiteKind.GENERAL_CLINIC, SiteKind.FAMILY_SCHOOL]):
        if site.institution_id:
            site_paths[(site.kind, site.institution_id)].append(site.org_path)
    schools = [i[0] for i in institutions if i[1] in SCHOOLS]
    with_teacher = set(Staff.objects.filter(employer__in=schools, active=True, profession__in=PSYCH_TEACHERS)
                       .values_list("employer_id", flat=True)) if schools else set()
    acc = {u.pk: {code: [0, 0] for code in MANY_CODES} for u in units}

    def add(cells, code, ok):
        cells[code][0] += bool(ok)
        cells[code][1] += 1

    for pk, kind, org_path, teachers, students, employees, level, psych_dept in institutions:
        for prefix in path_prefixes(org_path):
            unit = by_path.get(prefix)
            if unit is None:
                continue
            cells = acc[unit.pk]

            def has(site_kind, pk=pk, prefix=prefix):
                return any(p.startswith(prefix) for p in site_paths.get((site_kind, pk), ()))

            if kind == InstitutionKind.UNIVERSITY:
                add(cells, "T02", has(SiteKind.UNIVERSITY_CENTRE))
                add(cells, "T03", (teachers or 0) * 4000 >= (students or 0))
            elif kind in SCHOOLS:
                add(cells, "T04", has(SiteKind.SCHOOL_ROOM) and pk in with_teacher)
            elif kind == InstitutionKind.PSYCHIATRIC_HOSPITAL:
                add(cells, "T06", has(SiteKind.PSYCHIATRIC_CLINIC))
                add(cells, "T18", has(SiteKind.FAMILY_SCHOOL))
            elif kind == InstitutionKind.GENERAL_HOSPITAL:
                clinic = has(SiteKind.GENERAL_CLINIC)
                if level in ("2", "3"):
                    add(cells, "T07", clinic)
                if psych_dept or clinic:
                    add(cells, "T18", has(SiteKind.FAMILY_SCHOOL))
            if kind in WORKPLACES:
                cut = cuts[unit.path]
                if cut is None or employees is None or employees >= cut:
                    add(cells, "T05", has(SiteKind.WORKPLACE_ROOM))
    group_paths = defaultdict(list)  # township -> the paths of its groups in force on the day
    for unit_id, path in ManagementGroup.objects.filter(org_path__startswith=root, established_on__lte=day).filter(
            Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=day)).values_list("org_unit_id", "org_path"):
        group_paths[unit_id].append(path)
    for pk, path in OrgUnit.objects.filter(valid_on(day), path__startswith=root, level="township").values_list("pk", "path"):
        for prefix in path_prefixes(path):
            unit = by_path.get(prefix)
            if unit is not None:
                add(acc[unit.pk], "T19", any(p.startswith(prefix) for p in group_paths.get(pk, ())))
    return {pk: {code: (c[0], c[1]) for code, c in cells.items()} for pk, cells in acc.items()}
