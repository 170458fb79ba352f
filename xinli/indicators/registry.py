"""The indicator registry: each indicator declared once — code, names, definition, numerator and denominator, the
period rule, the org levels where it applies, its breakdowns, its default target and how to compute it.

Periods: a year ("2026") or a month ("2026-03"). Every computation receives ``as_of``, the last day of the period
(capped at today): *flows* count the events from 1 January of the year to ``as_of`` (a month is the year to date at
its end), *stocks* are taken on ``as_of`` (coverage, tags, plans, staff). The hierarchy is the one of ``as_of``.

Two ways to compute, both returning ``{breakdown: (numerator, denominator)}`` per unit (breakdown "" = all):

* ``compute(unit, year, as_of)`` → ``(numerator, denominator)`` for one unit — the hand-checked functions of the
  modules (network coverage, hotline line/team, workforce per population);
* ``many(units, year, as_of, memo)`` for all units at once — one scan of the fact rows, each row added to every
  unit on its ``org_path`` (and to its breakdown categories), so a rebuild reads each fact table once however many
  units it fills. Tests check these scans against the modules' per-unit functions on the same data.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from xinli.alerts.deadlines import team_unit
from xinli.alerts.models import Alert, Level
from xinli.archives.models import Person, PopulationTag, Sex
from xinli.core.policy import (
    ALERTS_WORK,
    ASSESSMENT_READ_CAPABILITIES,
    COUNSELLING_WORK,
    HOTLINE_OPERATE,
    HOTLINE_SUPERVISE,
    SCREENING_CAMPAIGN,
    SMD_VIEW,
)
from xinli.counselling.models import Plan
from xinli.hotline.models import HIGH_RISKS, Call, CallDetailRecord, Line
from xinli.network import coverage
from xinli.network.coverage import active_sites
from xinli.network.models import Attendance, SatisfactionResponse, SiteKind, Staff
from xinli.outreach.models import AwarenessResponse
from xinli.regions.models import OrgUnit, common_path, valid_on
from xinli.screening.models import Assessment, Campaign, Participant
from xinli.smd import indicators
from xinli.smd.indicators import populations


@dataclass(frozen=True)
class Indicator:
    code: str
    zh: str
    en: str
    definition: str  # (lazily translated) what is counted, "active"/"this year" spelled out
    numerator: str
    denominator: str  # "" for a plain count or a yes/no
    period: str  # "flow" (1 Jan → period end) or "stock" (on the period end)
    levels: tuple[str, ...]
    target: Decimal | None  # default; a rate as a fraction, or a count / per-mille where stated
    higher_is_better: bool
    kind: str = "rate"  # rate | permille | per10k | count | flag
    compute: Callable | None = None
    many: Callable | None = None
    breakdowns: tuple[str, ...] = field(default=())  # "sex", "age", "area", "kind"
    group: str = ""
    target_rule: str = ""  # "decrease": the default target is last year's value
    # Small cells (docs/indicators.md "Small cells"): the capabilities that read the persons this indicator counts
    # (a reader holding one of them over the unit sees exact numbers; everyone else gets small cells suppressed);
    # empty = not a count of persons (sites, villages, staff, anonymous answers, calls, incidents: never suppressed).
    readers: frozenset[str] = field(default=frozenset())
    counted: tuple[str, ...] = ("numerator", "denominator")  # the parts that count persons
    scale: int = 1  # the numerator is persons × scale (T11: patients × 1000)

    @property
    def counts_persons(self) -> bool:
        return bool(self.readers)

    @property
    def name(self) -> str:
        """The name in the active language (the Chinese name is the official one)."""
        return self.en if (get_language() or "").startswith("en") else self.zh


def _day(year: int) -> datetime.date:
    return min(datetime.date(year, 12, 31), timezone.localdate())


def period_end(period: str) -> datetime.date:
    """The last day of a period ("2026" or "2026-03"), capped at today."""
    if len(period) == 4:
        return _day(int(period))
    y, m = int(period[:4]), int(period[5:7])
    nxt = datetime.date(y + (m == 12), m % 12 + 1, 1)
    return min(nxt - datetime.timedelta(days=1), timezone.localdate())


def _span(year: int, as_of: datetime.date):
    """Aware datetimes [1 January 00:00, the day after ``as_of`` 00:00)."""
    lo = timezone.make_aware(datetime.datetime(year, 1, 1))
    hi = timezone.make_aware(datetime.datetime.combine(as_of + datetime.timedelta(days=1), datetime.time.min))
    return lo, hi


def aggregate(units, rows: Iterable[tuple], *, counts: bool = False) -> dict:
    """Add fact rows ``(org_path, numerator, denominator, breakdown keys)`` to every unit on each row's path.
    Returns ``{unit.pk: {breakdown: (numerator, denominator)}}``; a count indicator has denominator None."""
    by_path = {u.path: u.pk for u in units}
    acc = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for org_path, num, den, keys in rows:
        if not org_path:
            continue
        prefix = "/"
        for part in org_path.strip("/").split("/"):
            prefix += part + "/"
            pk = by_path.get(prefix)
            if pk is None:
                continue
            for key in ("", *keys):
                cell = acc[pk][key]
                cell[0] += num
                cell[1] += den or 0
    out = {}
    for u in units:
        cells = acc.get(u.pk) or {"": [0, 0]}
        out[u.pk] = {k: (n, None if counts else d) for k, (n, d) in cells.items()}
    return out


def _scan(rows_fn, counts=False):
    def many(units, year, as_of, memo):
        root = _root(units)
        return aggregate(units, rows_fn(root, year, as_of), counts=counts)
    return many


def _root(units) -> str:
    return common_path([u.path for u in units])


AGE_BANDS = ((0, 13, "0-13"), (14, 17, "14-17"), (18, 34, "18-34"), (35, 59, "35-59"), (60, 200, "60+"))


def breakdown_label(key: str) -> str:
    """A breakdown key as people read it: ``level=red`` → 预警级别：红色, ``sex=F`` → 性别：女 (the page's language)."""

    dimension, _sep, value = key.partition("=")
    names = {"sex": (_("sex"), dict(Sex.choices)), "level": (_("alert level"), dict(Level.choices)),
             "kind": (_("campaign kind"), dict(Campaign.Kind.choices)),
             "age": (_("age band"), {"U": Sex.UNKNOWN.label})}
    if dimension not in names:
        return key
    label, values = names[dimension]
    return f"{label}：{values.get(value, value)}" if get_language() != "en" else f"{label}: {values.get(value, value)}"


def age_band(year: int, birth_year: int | None) -> str:
    if not birth_year:
        return "U"
    age = year - birth_year
    return next((label for lo, hi, label in AGE_BANDS if lo <= age <= hi), "U")


# --- per-unit computations (module functions) -------------------------------------------------------------------

def _coverage(code):
    def compute(unit, year, as_of, memo):
        key = ("coverage", unit.pk, as_of)
        if key not in memo:
            memo[key] = coverage.compute(unit, as_of)
        c = memo[key][code]
        return c.covered, c.total
    return compute


def _hotline_t08(unit, year, as_of, memo):
    """1 when a line of the unit (or above) serves ≥ 18 h a day and the unit has a crisis team at or above it."""

    ok = Line.objects.filter(org_unit_id__in=unit.ancestor_ids, hours_per_day__gte=18).exists() and team_unit(unit) is not None
    return (1 if ok else 0), None


def _workforce(units, year, as_of, memo):
    """Active service staff × 10,000 ÷ resident population of the year (one grouped count of the staff, one query
    for the populations)."""
    from django.db.models import Count

    staff = Staff.objects.filter(org_path__startswith=_root(units), active=True).order_by().values_list("org_path").annotate(n=Count("id"))
    counts = aggregate(units, ((path, n * 10000, 0, ()) for path, n in staff), counts=True)
    pops = populations(units, year)
    return {u.pk: {"": (counts[u.pk][""][0], pops[u.pk])} for u in units}


# --- set-based scans -------------------------------------------------------------------------------------------

def _smd(num_field, den_field, scale=1):
    def many(units, year, as_of, memo):
        key = ("smd", tuple(u.pk for u in units), as_of)
        if key not in memo:
            memo[key] = {k.unit.pk: k for k in indicators.compute(units, year, today=as_of)}
        out = {}
        for u in units:
            k = memo[key][u.pk]
            num = getattr(k, num_field)
            den = k.population if den_field == "population" else getattr(k, den_field)
            out[u.pk] = {"": ((num * scale if num is not None else None), den)}
        return out
    return many


def _t01_rows(root, year, as_of):
    """Villages that existed on the day; covered when an active village or social-work room is in the village."""

    root_unit = OrgUnit(path=root)
    covered = {s.org_unit_id for s in active_sites(root_unit, as_of, [SiteKind.VILLAGE_ROOM, SiteKind.SOCIAL_WORK_ROOM])}
    for pk, path in OrgUnit.objects.filter(valid_on(as_of), path__startswith=root, level="village").values_list("pk", "path"):
        yield path, int(pk in covered), 1, ()


def _t09_rows(root, year, as_of):
    """Persons with a special-population tag active on the day; covered with a plan active on the day. Counted in
    SQL per (org_path, sex): a few thousand groups instead of every tagged person."""
    from django.db.models import Count

    _, hi = _span(year, as_of)
    tags = PopulationTag.objects.filter(since__lte=as_of).filter(Q(until__isnull=True) | Q(until__gt=as_of))
    planned = Plan.objects.filter(org_path__startswith=root, created_at__lt=hi).filter(
        Q(state=Plan.State.ACTIVE, closed_at__isnull=True) | Q(closed_at__gte=hi)).values("person_id")
    groups = Person.objects.filter(org_path__startswith=root, pk__in=tags.values("person_id")).order_by().values_list(
        "org_path", "sex").annotate(n=Count("id"), covered=Count("id", filter=Q(pk__in=planned)))
    for path, sex, n, covered in groups:
        yield path, covered, n, (f"sex={sex}",)


def _awareness_rows(rural):
    def rows(root, year, as_of):
        for path, passed in AwarenessResponse.objects.filter(org_path__startswith=root, rural=rural, answered_on__year=year,
                                                             answered_on__lte=as_of).values_list("org_path", "passed"):
            yield path, int(passed), 1, ()
    return rows


def _satisfaction_rows(root, year, as_of):
    for path, score in SatisfactionResponse.objects.filter(org_path__startswith=root, date__year=year, date__lte=as_of).values_list("org_path", "score"):
        yield path, int(score >= 4), 1, ()


def _training_rows(root, year, as_of):
    trained = set(Attendance.objects.filter(staff__org_path__startswith=root, completed=True, date__year=year, date__lte=as_of)
                  .values_list("staff_id", flat=True))
    for pk, path in Staff.objects.filter(org_path__startswith=root, active=True).values_list("pk", "org_path"):
        yield path, int(pk in trained), 1, ()


def _alert_rows(root, year, as_of):
    lo, hi = _span(year, as_of)
    for path, ack, esc, level in Alert.objects.filter(org_path__startswith=root, created_at__gte=lo, created_at__lt=hi).values_list(
            "org_path", "acknowledged_at", "escalations", "level"):
        yield path, int(ack is not None and esc == 0), 1, (f"level={level}",)


def _campaign_rows(root, year, as_of):
    """Participants of the campaigns that opened in the year; covered when they completed by the period end."""

    lo, hi = _span(year, as_of)
    for path, done, kind in Participant.objects.filter(org_path__startswith=root, campaign__opens_at__gte=lo, campaign__opens_at__lt=hi).values_list(
            "org_path", "completed_at", "campaign__kind"):
        yield path, int(done is not None and done < hi), 1, (f"kind={kind}",)


def _positive_rows(root, year, as_of):
    """Assessments of the year with severity ≥ 2 (moderate or worse) ÷ assessments; by the person's sex and age band
    (anonymous assessments count in the total and as sex/age "U")."""

    lo, hi = _span(year, as_of)
    for path, severity, sex, birth_year in Assessment.objects.filter(org_path__startswith=root, taken_at__gte=lo, taken_at__lt=hi).values_list(
            "org_path", "severity", "person__sex", "person__birth_year"):
        yield path, int(severity >= 2), 1, (f"sex={sex or 'U'}", f"age={age_band(year, birth_year)}")


def _answer_rows(root, year, as_of):
    lo, hi = _span(year, as_of)
    for path, answered in CallDetailRecord.objects.filter(org_path__startswith=root, offered_at__gte=lo, offered_at__lt=hi).values_list(
            "org_path", "answered_at"):
        yield path, int(answered is not None), 1, ()


def _followup_rows(root, year, as_of):
    lo, hi = _span(year, as_of)
    for path, done in Call.objects.filter(org_path__startswith=root, risk__in=HIGH_RISKS, started_at__gte=lo, started_at__lt=hi).values_list(
            "org_path", "follow_up_done_at"):
        yield path, int(done is not None and done < hi), 1, ()


def _incident_rows(root, year, as_of):
    from .models import ExtremeIncident

    for (path,) in ExtremeIncident.objects.filter(org_path__startswith=root, date__year=year, date__lte=as_of).values_list("org_path"):
        yield path, 1, None, ()


# What each group of indicators is computed from, as audit object types (app label or "app.model" prefixes): the
# periodic refresh recomputes a group when the audit log shows a write to one of these since the last refresh.
SOURCES = {
    "network": ("network.", "regions."),
    "counselling": ("counselling.", "archives."),
    "outreach": ("outreach.",),
    "smd": ("smd.", "regions.", "archives."),
    "crisis": ("alerts.", "hotline.", "indicators.extremeincident"),
    "workforce": ("network.", "regions."),
    "screening": ("screening.", "archives."),
}

D = Decimal
SMD = frozenset({SMD_VIEW})
ALL = ("city", "county", "township")
DOWN = ("city", "county", "township", "village")
I = Indicator  # noqa: E741 — a short alias keeps the table readable
REGISTRY: dict[str, Indicator] = {i.code: i for i in [
    I("T01", "村(社区)心理咨询室或社会工作室建成率", "villages/communities with a room",
      _("villages/communities existing on the period end with an active village counselling room or social-work room ÷ those villages"),
      _("villages with an active room"), _("villages"), "stock", DOWN, D("0.8"), True, many=_scan(_t01_rows), group="network"),
    I("T02", "高校心理健康教育与咨询中心设置率", "universities with a centre", _("active universities with an active centre on the period end ÷ universities"),
      _("universities with a centre"), _("universities"), "stock", ("city", "county"), D("1"), True, compute=_coverage("T02"), group="network"),
    I("T03", "高校专职心理教师师生比达标率", "universities meeting 1:4000", _("universities with full-time psychology teachers × 4000 ≥ students ÷ universities"),
      _("universities meeting 1:4000"), _("universities"), "stock", ("city", "county"), D("1"), True, compute=_coverage("T03"), group="network"),
    I("T04", "中小学心理辅导室设置率", "schools with a counselling room", _("primary and secondary schools with an active counselling room on the period end ÷ schools"),
      _("schools with a room"), _("schools"), "stock", ALL, D("1"), True, compute=_coverage("T04"), group="network"),
    I("T05", "机关企事业单位心理服务覆盖率", "workplaces with a service", _("organs and enterprises above designated size with an active room or purchased service ÷ those units"),
      _("units with a service"), _("organs and enterprises above size"), "stock", ALL, D("1"), True, compute=_coverage("T05"), group="network"),
    I("T06", "精神专科医院心理门诊开设率", "psychiatric hospitals with a psychology clinic", _("psychiatric hospitals with an active psychology clinic ÷ psychiatric hospitals"),
      _("hospitals with a clinic"), _("psychiatric hospitals"), "stock", ("city", "county"), D("1"), True, compute=_coverage("T06"), group="network"),
    I("T07", "二级以上综合医院精神(心理)门诊开设率", "level-2+ general hospitals with a clinic", _("level-2 and level-3 general hospitals with an active psychiatry/psychology clinic ÷ those hospitals"),
      _("hospitals with a clinic"), _("level-2+ general hospitals"), "stock", ("city", "county"), D("0.4"), True, compute=_coverage("T07"), group="network"),
    I("T08", "24小时心理援助热线 / 心理危机干预队伍", "hotline ≥ 18 h and a crisis team", _("1 when a hotline of the unit or above serves ≥ 18 h a day and a crisis team covers the unit, on the period end"),
      _("1 = both exist"), "", "stock", ("city", "county"), D("1"), True, kind="flag", compute=_hotline_t08, group="crisis"),
    I("T09", "特殊人群个性化心理疏导覆盖率", "special populations with a plan", _("persons with a special-population tag active on the period end who have a plan active then ÷ those persons"),
      _("tagged persons with an active plan"), _("tagged persons"), "stock", DOWN, D("0.6"), True, many=_scan(_t09_rows), breakdowns=("sex",), group="counselling",
      readers=frozenset({COUNSELLING_WORK})),
    I("T10U", "心理健康核心知识知晓率（城市）", "awareness rate, urban", _("urban survey respondents from 1 January to the period end passing ÷ urban respondents"),
      _("respondents passing"), _("respondents"), "flow", DOWN, D("0.5"), True, many=_scan(_awareness_rows(False)), group="outreach"),
    I("T10R", "心理健康核心知识知晓率（农村）", "awareness rate, rural", _("rural survey respondents from 1 January to the period end passing ÷ rural respondents"),
      _("respondents passing"), _("respondents"), "flow", DOWN, D("0.5"), True, many=_scan(_awareness_rows(True)), group="outreach"),
    I("T11", "严重精神障碍报告患病率（‰）", "SMD reported prevalence (‰)", _("patients in register on the period end ÷ resident population of the year × 1000"),
      _("in register × 1000"), _("population"), "stock", DOWN, D("4.5"), True, kind="permille", many=_smd("in_register", "population", 1000), group="smd",
      readers=SMD, counted=("numerator",), scale=1000),
    I("T12", "在册患者规范管理率", "SMD standardised management", _("in register and followed up with no gap over 92 days from 1 January to the period end ÷ in register"),
      _("standardised"), _("in register"), "stock", DOWN, D("0.8"), True, many=_smd("standardised", "in_register"), group="smd", readers=SMD),
    I("T13", "在册患者治疗率(服药率)", "SMD medication rate", _("in register whose last complete follow-up of the year records regular or intermittent medication, or in hospital ÷ in register"),
      _("taking medication"), _("in register"), "stock", DOWN, D("0.8"), True, many=_smd("medicated", "in_register"), group="smd", readers=SMD),
    I("T14", "精神分裂症治疗率", "schizophrenia medication rate", _("F20 patients taking medication ÷ F20 patients in register"),
      _("F20 taking medication"), _("F20 in register"), "stock", DOWN, D("0.8"), True, many=_smd("schizophrenia_medicated", "schizophrenia"), group="smd", readers=SMD),
    I("T15", "规律服药率", "regular medication rate", _("in register whose last complete follow-up of the year records regular medication ÷ in register"),
      _("patients on regular medication"), _("in register"), "stock", DOWN, D("0.6"), True, many=_smd("regular", "in_register"), group="smd", readers=SMD),
    I("T16", "居家患者社区康复参与率", "community rehabilitation", _("home-dwelling in register with a rehabilitation record overlapping the year to date ÷ home-dwelling in register"),
      _("in rehabilitation"), _("home-dwelling in register"), "stock", DOWN, D("0.6"), True, many=_smd("rehab", "home"), group="smd", readers=SMD),
    I("T17", "居家患者及家属心理疏导率", "family counselling", _("home-dwelling in register whose family had counselling or a family-school session from 1 January to the period end ÷ home-dwelling in register"),
      _("families counselled"), _("home-dwelling in register"), "stock", DOWN, D("0.5"), True, many=_smd("family", "home"), group="smd", readers=SMD),
    I("T18", "精神卫生医疗机构家属学校开设率", "family schools", _("psychiatric hospitals with an active family school ÷ psychiatric hospitals"),
      _("hospitals with a family school"), _("psychiatric hospitals"), "stock", ("city", "county"), D("1"), True, compute=_coverage("T18"), group="network"),
    I("T19", "乡镇(街道)精神卫生综合管理小组建成率", "township management groups", _("townships existing on the period end with a management group established and not dissolved ÷ townships"),
      _("townships with a group"), _("townships"), "stock", ("city", "county"), D("1"), True, compute=_coverage("T19"), group="network"),
    I("T20", "因心理问题导致的极端案(事)件", "extreme incidents", _("extreme incidents caused by psychological problems recorded from 1 January to the period end (target: fewer than last year)"),
      _("incidents"), "", "flow", DOWN, None, False, kind="count", many=_scan(_incident_rows, counts=True), group="crisis", target_rule="decrease"),
    I("T21", "心理健康服务满意度", "service satisfaction", _("satisfaction answers of 4–5 from 1 January to the period end ÷ answers"),
      _("answers of 4–5"), _("answers"), "flow", DOWN, D("0.85"), True, many=_scan(_satisfaction_rows), group="network"),
    I("T22", "从业人员培训覆盖率", "staff trained", _("active staff with a training completed from 1 January to the period end ÷ active staff"),
      _("staff trained"), _("active staff"), "flow", DOWN, D("1"), True, many=_scan(_training_rows), group="workforce"),
    I("WF1", "每万常住人口心理服务从业人员数", "service staff per 10,000 residents", _("active service staff ÷ resident population of the year × 10,000"),
      _("active staff × 10,000"), _("population"), "stock", ALL, None, True, kind="per10k", many=_workforce, group="workforce"),
    I("AL1", "预警按时确认率", "alerts acknowledged in time", _("alerts raised from 1 January to the period end acknowledged before their first deadline (never escalated) ÷ those alerts"),
      _("acknowledged in time"), _("alerts"), "flow", DOWN, D("0.9"), True, many=_scan(_alert_rows), breakdowns=("level",), group="crisis",
      readers=frozenset({ALERTS_WORK})),
    I("SC1", "心理普查完成率", "screening campaign completion", _("participants of the campaigns opened from 1 January to the period end who completed ÷ participants"),
      _("participants completed"), _("participants"), "flow", ALL, D("0.9"), True, many=_scan(_campaign_rows), breakdowns=("kind",), group="screening",
      readers=frozenset({SCREENING_CAMPAIGN})),
    I("SC2", "测评阳性率（中度及以上）", "screening positive rate (moderate or worse)", _("assessments from 1 January to the period end with a moderate or worse result ÷ assessments"),
      _("moderate or worse"), _("assessments"), "flow", DOWN, None, False, many=_scan(_positive_rows), breakdowns=("sex", "age"), group="screening",
      readers=ASSESSMENT_READ_CAPABILITIES),
    I("HL1", "心理援助热线接通率", "hotline answer rate", _("calls offered to the unit's lines from 1 January to the period end that were answered ÷ calls offered"),
      _("answered"), _("offered"), "flow", ALL, D("0.9"), True, many=_scan(_answer_rows), group="crisis"),
    I("HL2", "高危来电回访完成率", "high-risk callers followed up", _("high- and imminent-risk calls from 1 January to the period end with the follow-up done ÷ those calls"),
      _("followed up"), _("high-risk calls"), "flow", ALL, D("1"), True, many=_scan(_followup_rows), group="crisis",
      readers=frozenset({HOTLINE_OPERATE, HOTLINE_SUPERVISE})),
]}
