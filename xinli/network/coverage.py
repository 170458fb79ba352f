"""Coverage of an org unit on a day — the raw material of targets T01–T07 and T18 (DOMAIN.md §4).

Point-in-time rule: the villages and townships are those that existed on the day; a site counts when its status on the day is *active* (suspended or closed do not count). A
year's figure is taken on 31 December of that year (or today for the current year), so a room closed in June does
not count for that year, and a room opened in December does.

| code | denominator | covered when |
|---|---|---|
| T01 | villages/communities in the unit | an active village counselling room or social-work room in the village |
| T02 | universities | an active university centre of the university |
| T03 | universities | full-time psychology teachers × 4000 ≥ students |
| T04 | primary and secondary schools | an active school counselling room of the school |
| T05 | organs, and enterprises above designated size | an active workplace room of the unit (in-house or purchased) |
| T06 | psychiatric hospitals | an active psychology clinic of the hospital |
| T07 | general hospitals of level 2 or 3 | an active psychiatry/psychology clinic of the hospital |
| T18 | psychiatric hospitals | an active family school of the hospital |
| T19 | townships (街道/乡镇) in the unit | a management group established on or before the day and not dissolved by then |
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q

from xinli.regions.models import OrgUnit, valid_on

from .models import Institution, InstitutionKind, ManagementGroup, Site, SiteKind, SiteStatus


@dataclass
class Coverage:
    code: str
    total: int = 0
    covered: int = 0
    gaps: list = field(default_factory=list)  # the uncovered units or institutions

    @property
    def rate(self) -> float | None:
        return self.covered / self.total if self.total else None


def year_day(year: int, today: datetime.date) -> datetime.date:
    return min(datetime.date(year, 12, 31), today)


def active_sites(unit: OrgUnit, day: datetime.date, kinds) -> list[Site]:
    active = SiteStatus.objects.filter(status=SiteStatus.Status.ACTIVE, start__lte=day).filter(Q(end__isnull=True) | Q(end__gte=day))
    return list(Site.objects.filter(org_path__startswith=unit.path, kind__in=kinds, pk__in=active.values("site_id")))


def compute(unit: OrgUnit, day: datetime.date) -> dict[str, Coverage]:
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

    def rule(code, members, kind=None, test=None):
        c = Coverage(code, len(members))
        for inst in members:
            ok = test(inst) if test else inst.pk in by_kind.get(kind, set())
            c.covered += ok
            if not ok:
                c.gaps.append(inst)
        out[code] = c

    universities = [i for i in institutions if i.kind == InstitutionKind.UNIVERSITY]
    rule("T02", universities, SiteKind.UNIVERSITY_CENTRE)
    rule("T03", universities, test=lambda i: (i.psychology_teachers or 0) * 4000 >= (i.students or 0))
    rule("T04", [i for i in institutions if i.kind in (InstitutionKind.PRIMARY_SCHOOL, InstitutionKind.SECONDARY_SCHOOL)], SiteKind.SCHOOL_ROOM)
    rule("T05", [i for i in institutions if i.kind == InstitutionKind.ORGAN or (i.kind == InstitutionKind.ENTERPRISE and i.above_size)],
         SiteKind.WORKPLACE_ROOM)
    psychiatric = [i for i in institutions if i.kind == InstitutionKind.PSYCHIATRIC_HOSPITAL]
    rule("T06", psychiatric, SiteKind.PSYCHIATRIC_CLINIC)
    rule("T07", [i for i in institutions if i.kind == InstitutionKind.GENERAL_HOSPITAL and i.hospital_level in ("2", "3")], SiteKind.GENERAL_CLINIC)
    rule("T18", psychiatric, SiteKind.FAMILY_SCHOOL)
    townships = list(OrgUnit.objects.filter(valid_on(day), path__startswith=unit.path, level="township").order_by("path"))
    grouped = set(ManagementGroup.objects.filter(org_path__startswith=unit.path, established_on__lte=day).filter(
        Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=day)).values_list("org_unit_id", flat=True))
    out["T19"] = Coverage("T19", len(townships), sum(t.pk in grouped for t in townships), [t for t in townships if t.pk not in grouped])
    return out
