"""The indicator registry: each indicator declared once — code, names, definition, numerator and denominator, the
period rule, the org levels where it applies, its breakdowns, its default target and how to compute it.

Periods: a year ("2026") or a month ("2026-03"). Every computation receives ``as_of``, the last day of the period
(capped at today): *flows* count the events from 1 January of the year to ``as_of`` (a month is the year to date at
its end), *stocks* are taken on ``as_of`` (coverage, tags, plans, staff). The hierarchy is the one of ``as_of``.

Two ways to compute, both returning ``{breakdown: (numerator, denominator)}`` per unit (breakdown "" = all):

* ``compute(unit, year, as_of)`` → ``(numerator, denominator)`` for one unit (every indicator now has the form
  below; the modules keep their hand-checked per-unit functions, which the tests compare with it);
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

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from xinli.alerts import indicators as crisis_indicators
from xinli.alerts.models import Alert, Level
from xinli.archives.models import Sex
from xinli.core.policy import (
    ALERTS_WORK,
    ASSESSMENT_READ_CAPABILITIES,
    COUNSELLING_WORK,
    HOTLINE_OPERATE,
    HOTLINE_SUPERVISE,
    SCREENING_CAMPAIGN,
    SMD_VIEW,
)
from xinli.counselling import indicators as counselling_indicators
from xinli.governance import indicators as wo
from xinli.hotline.models import HIGH_RISKS, Call, CallDetailRecord
from xinli.network import coverage
from xinli.network.coverage import active_sites
from xinli.network.models import Attendance, SatisfactionResponse, SiteKind, Staff
from xinli.outreach import indicators as awareness
from xinli.regions.models import Department, OrgUnit, common_path, valid_on
from xinli.screening.models import Assessment, Campaign, Participant
from xinli.smd import indicators
from xinli.smd.indicators import populations

UNIT_OF_KIND = {"rate": "percent", "permille": "per_mille", "per10k": "per_10000", "count": "count", "flag": "yes_no"}
SCALE_OF_KIND = {"permille": 1000, "per10k": 10000}


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
    # Where the rule comes from: the pilot plan's section (试点方案 二.1 = §二 item 1, 三(八) = §三 part 八; seed 001),
    # a national norm, or "platform" for an indicator the plan does not name (docs/indicators.md).
    source: str = ""
    # Small cells (docs/indicators.md "Small cells"): the capabilities that read the persons this indicator counts
    # (a reader holding one of them over the unit sees exact numbers; everyone else gets small cells suppressed);
    # empty = not a count of persons (sites, villages, staff, anonymous answers, calls, incidents: never suppressed).
    readers: frozenset[str] = field(default=frozenset())
    counted: tuple[str, ...] = ("numerator", "denominator")  # the parts that count persons
    # The region parameters (``xinli.regions.parameters``) the rule reads: the indicator page shows the value in force.
    parameters: tuple[str, ...] = ()
    # ``explain(unit, as_of) -> [text]``: what the figure of a unit was decided on, in the reader's language (T08).
    explain: Callable | None = None

    @property
    def unit(self) -> str:
        """The unit every output shows the value in: percent, per_mille, per_10000, count or yes_no."""
        return UNIT_OF_KIND[self.kind]

    @property
    def scale(self) -> int:
        """value = numerator ÷ denominator × scale (1000 for ‰, 10,000 for per 10,000 people, else 1). Numerators
        and denominators are stored and shown unscaled (213 patients / 50,000 residents)."""
        return SCALE_OF_KIND.get(self.kind, 1)

    @property
    def platform(self) -> bool:
        """Not one of the pilot plan's targets: an indicator the platform adds."""
        return self.source == "platform"

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
    if dimension == "dept":  # work orders by department (the departments are data)
        names = {"dept": (_("department"), {d.code: d.label for d in Department.objects.all()})}
    else:
        names = {}
    names = names or {"sex": (_("sex"), dict(Sex.choices)), "level": (_("alert level"), dict(Level.choices)),
             "kind": (_("campaign kind"), dict(Campaign.Kind.choices)),
             "age": (_("age band"), {"U": Sex.UNKNOWN.label}), "sample": (_("sample"), awareness.SAMPLE_KINDS)}
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
    """T02–T07, T18, T19 (the network's rule, ``coverage.compute``) for all units of the rebuild at once
    (``coverage.many``); the units of the indicators that share it are computed once per period end."""
    def many(units, year, as_of, memo):
        done = memo.setdefault(("coverage", as_of), {})
        missing = [u for u in units if u.pk not in done]
        if missing:
            done.update(coverage.many(missing, as_of))
        return {u.pk: {"": done[u.pk][code]} for u in units}
    return many


def _workforce(units, year, as_of, memo):
    """Active service staff ÷ resident population of the year (× 10,000 in the value: ``Indicator.scale``); one
    grouped count of the staff, one query for the populations."""
    from django.db.models import Count

    staff = Staff.objects.filter(org_path__startswith=_root(units), active=True).order_by().values_list("org_path").annotate(n=Count("id"))
    counts = aggregate(units, ((path, n, 0, ()) for path, n in staff), counts=True)
    pops = populations(units, year)
    return {u.pk: {"": (counts[u.pk][""][0], pops[u.pk])} for u in units}


# --- set-based scans -------------------------------------------------------------------------------------------

def _smd(num_field, den_field):
    def many(units, year, as_of, memo):
        key = ("smd", tuple(u.pk for u in units), as_of)
        if key not in memo:
            memo[key] = {k.unit.pk: k for k in indicators.compute(units, year, today=as_of)}
        by_pk = memo[key]  # once: the key holds every unit's pk, and hashing it is not free
        out = {}
        for u in units:
            k = by_pk[u.pk]
            num = getattr(k, num_field)
            den = k.population if den_field == "population" else getattr(k, den_field)
            out[u.pk] = {"": (num, den)}
        return out
    return many


def _t01_rows(root, year, as_of):
    """Villages that existed on the day; covered when an active village or social-work room is in the village."""

    root_unit = OrgUnit(path=root)
    covered = {s.org_unit_id for s in active_sites(root_unit, as_of, [SiteKind.VILLAGE_ROOM, SiteKind.SOCIAL_WORK_ROOM])}
    for pk, path in OrgUnit.objects.filter(valid_on(as_of), path__startswith=root, level="village").values_list("pk", "path"):
        yield path, int(pk in covered), 1, ()




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
    "governance": ("governance.",),
}

D = Decimal
SMD = frozenset({SMD_VIEW})
ALL = ("city", "county", "township")
DOWN = ("city", "county", "township", "village")
I = Indicator  # noqa: E741 — a short alias keeps the table readable
REGISTRY: dict[str, Indicator] = {i.code: i for i in [
    I("T01", "村(社区)心理咨询室或社会工作室建成率", "villages/communities with a room",
      _("villages/communities existing on the period end with an active village counselling room or social-work room ÷ those villages"),
      _("villages with an active room"), _("villages"), "stock", DOWN, D("0.8"), True, many=_scan(_t01_rows), group="network", source="试点方案 二.1、三(一)"),
    I("T02", "高校心理健康教育与咨询中心设置率", "universities with a centre", _("active universities with an active centre on the period end ÷ universities"),
      _("universities with a centre"), _("universities"), "stock", ("city", "county"), D("1"), True, many=_coverage("T02"), group="network", source="试点方案 二.2、三(二)"),
    I("T03", "高校专职心理教师师生比达标率", "universities meeting 1:4000", _("universities with full-time psychology teachers × 4000 ≥ students ÷ universities"),
      _("universities meeting 1:4000"), _("universities"), "stock", ("city", "county"), D("1"), True, many=_coverage("T03"), group="network", source="试点方案 三(二)"),
    I("T04", "中小学心理辅导室设置率", "schools with a counselling room", _("primary and secondary schools with, on the period end, an active counselling room and an active full- or part-time "
        "mental-health teacher on their staff register ÷ primary and secondary schools"),
      _("schools with a room and a teacher"), _("primary and secondary schools"), "stock", ALL, D("1"), True, many=_coverage("T04"), group="network", source="试点方案 二.2、三(二)"),
    I("T05", "机关企事业单位心理服务覆盖率", "workplaces with a service", _("party and government organs, public institutions, enterprises, factories and mines and new economic organisations "
        "on the register with a room or a purchased service in force on the period end ÷ those units (no size cut unless "
        "the region sets a minimum number of employees)"),
      _("units with a service"), _("organs, public institutions, enterprises, factories and mines, new economic organisations"), "stock", ALL, D("1"), True, many=_coverage("T05"), group="network", source="试点方案 二.3、三(三)",
      parameters=("t05_min_employees",)),
    I("T06", "精神专科医院心理门诊开设率", "psychiatric hospitals with a psychology clinic", _("psychiatric hospitals with an active psychology clinic ÷ psychiatric hospitals"),
      _("hospitals with a clinic"), _("psychiatric hospitals"), "stock", ("city", "county"), D("1"), True, many=_coverage("T06"), group="network", source="试点方案 二.4"),
    I("T07", "二级以上综合医院精神(心理)门诊开设率", "level-2+ general hospitals with a clinic", _("level-2 and level-3 general hospitals with an active psychiatry/psychology clinic ÷ those hospitals"),
      _("hospitals with a clinic"), _("level-2+ general hospitals"), "stock", ("city", "county"), D("0.4"), True, many=_coverage("T07"), group="network", source="试点方案 二.4"),
    I("T08", "24小时公益心理援助平台 / 心理危机干预队伍", "24-hour hotline every day and a registered crisis team",
      _("1 when, on the period end, a hotline (or platform) of the unit or above is open 24 hours a day, 7 days a week, and an "
        "active crisis team registered at the unit or above has at least the region's minimum number of members (default 3), "
        "a leader and an on-call shift covering that day"),
      _("1 = a 24-hour line every day and a ready team"), "", "stock", ("city", "county"), D("1"), True, kind="flag",
      many=crisis_indicators.many, group="crisis", source="试点方案 二.4、三(六)",
      parameters=("crisis_team_min_members",), explain=crisis_indicators.t08_explain),
    I("T09", "特殊人群个性化心理疏导覆盖率", "special populations with a plan",
      _("persons of the plan's special populations (vagrants, detainees, prisoners, community correction, released prisoners, "
        "drug rehabilitation, conflict or distress, paranoid personality; a region may set its own list) on the period end who "
        "have an active plan whose review is not overdue ÷ those persons"),
      _("persons with an active plan, review not overdue"), _("persons of the special populations"), "stock", DOWN, D("0.6"), True,
      many=_scan(counselling_indicators.t09_rows), breakdowns=("sex",), group="counselling", source="试点方案 三(一)",
      readers=frozenset({COUNSELLING_WORK}), parameters=("t09_tags",)),
    I("CA1", "关爱人群心理健康服务覆盖率", "care groups with a plan",
      _("elderly, women, children, orphans, persons with disability and their families, families of SMD patients and student "
        "victims on the period end who have an active plan whose review is not overdue ÷ those persons"),
      _("persons with an active plan, review not overdue"), _("persons of the care groups"), "stock", DOWN, None, True,
      many=_scan(counselling_indicators.care_rows), breakdowns=("sex",), group="counselling", source="platform",
      readers=frozenset({COUNSELLING_WORK})),
    I("T10U", "心理健康核心知识知晓率（城市）", "awareness rate, urban", awareness.DEFINITION["urban"], awareness.NUMERATOR, awareness.DENOMINATOR,
      "flow", DOWN, D("0.5"), True, many=awareness.many(rural=False), breakdowns=("sample",), group="outreach", source="试点方案 三(七)"),
    I("T10R", "心理健康核心知识知晓率（农村）", "awareness rate, rural", awareness.DEFINITION["rural"], awareness.NUMERATOR, awareness.DENOMINATOR,
      "flow", DOWN, D("0.5"), True, many=awareness.many(rural=True), breakdowns=("sample",), group="outreach", source="试点方案 三(七)"),
    I("T11", "严重精神障碍报告患病率（‰）", "SMD reported prevalence (‰)", _("patients in register on the period end ÷ resident population of the year × 1000"),
      _("patients in register"), _("population"), "stock", DOWN, D("4.5"), True, kind="permille", many=_smd("in_register", "population"), group="smd", source="platform",
      readers=SMD, counted=("numerator",)),
    I("T12", "在册患者规范管理率", "SMD standardised management",
      _("in register on the period end with at least min(4, max(1, floor(d / 91))) complete follow-ups (clinic, home or phone) from "
        "1 January, the registration date or the move-in date (the latest) to the period end, d being the days of that interval "
        "(national basic public-health service norm) ÷ in register"),
      _("standardised"), _("in register"), "stock", DOWN, D("0.8"), True, many=_smd("standardised", "in_register"), group="smd", source="试点方案 三(八)", readers=SMD,
      parameters=("t12_rule",)),
    I("T13", "在册患者治疗率(服药率)", "SMD medication rate", _("in register whose last complete follow-up of the year records regular or intermittent medication, or in hospital ÷ in register"),
      _("taking medication"), _("in register"), "stock", DOWN, D("0.8"), True, many=_smd("medicated", "in_register"), group="smd", source="试点方案 三(八)", readers=SMD),
    I("T14", "精神分裂症治疗率", "schizophrenia medication rate", _("F20 patients taking medication ÷ F20 patients in register"),
      _("F20 taking medication"), _("F20 in register"), "stock", DOWN, D("0.8"), True, many=_smd("schizophrenia_medicated", "schizophrenia"), group="smd", source="试点方案 三(八)", readers=SMD),
    I("T15", "规律服药率", "regular medication rate", _("in register whose last complete follow-up of the year records regular medication ÷ in register"),
      _("patients on regular medication"), _("in register"), "stock", DOWN, D("0.6"), True, many=_smd("regular", "in_register"), group="smd", source="platform", readers=SMD),
    I("T16", "居家患者社区康复参与率", "community rehabilitation", _("home-dwelling in register with a rehabilitation record overlapping the year to date ÷ home-dwelling in register"),
      _("in rehabilitation"), _("home-dwelling in register"), "stock", DOWN, D("0.6"), True, many=_smd("rehab", "home"), group="smd", source="试点方案 三(八)", readers=SMD),
    I("T17", "居家患者及家属心理疏导率", "patient and family counselling",
      _("home-dwelling in register who, or whose family, received psychological counselling from a primary-care institution from "
        "1 January to the period end ÷ home-dwelling in register"),
      _("patients or families counselled"), _("home-dwelling in register"), "stock", DOWN, D("0.5"), True, many=_smd("family", "home"), group="smd", source="试点方案 三(八)", readers=SMD),
    I("T18", "精神卫生医疗机构家属学校开设率", "family schools", _("mental-health institutions (psychiatric hospitals, and general hospitals with a psychiatric department or clinic in "
        "the network register) with an active family school on the period end ÷ those institutions"),
      _("institutions with a family school"), _("mental-health institutions"), "stock", ("city", "county"), D("1"), True, many=_coverage("T18"), group="network", source="试点方案 三(八)"),
    I("T19", "乡镇(街道)精神卫生综合管理小组建成率", "township management groups", _("townships existing on the period end with a management group established and not dissolved ÷ townships"),
      _("townships with a group"), _("townships"), "stock", ("city", "county"), D("1"), True, many=_coverage("T19"), group="network", source="试点方案 三(八)"),
    I("T20", "因心理问题导致的极端案(事)件", "extreme incidents", _("extreme incidents caused by psychological problems recorded from 1 January to the period end (target: fewer than last year)"),
      _("incidents"), "", "flow", DOWN, None, False, kind="count", many=_scan(_incident_rows, counts=True), group="crisis", target_rule="decrease", source="platform"),
    I("T21", "心理健康服务满意度", "service satisfaction", _("satisfaction answers of 4–5 from 1 January to the period end ÷ answers"),
      _("answers of 4–5"), _("answers"), "flow", DOWN, D("0.85"), True, many=_scan(_satisfaction_rows), group="network", source="platform"),
    I("T22", "从业人员培训覆盖率", "staff trained", _("active staff with a training completed from 1 January to the period end ÷ active staff"),
      _("staff trained"), _("active staff"), "flow", DOWN, D("1"), True, many=_scan(_training_rows), group="workforce", source="platform"),
    I("WF1", "每万常住人口心理服务从业人员数", "service staff per 10,000 residents", _("active service staff ÷ resident population of the year × 10,000"),
      _("active staff"), _("population"), "stock", ALL, None, True, kind="per10k", many=_workforce, group="workforce", source="platform"),
    I("AL1", "预警按时确认率", "alerts acknowledged in time", _("alerts raised from 1 January to the period end acknowledged before their first deadline (never escalated) ÷ those alerts"),
      _("acknowledged in time"), _("alerts"), "flow", DOWN, D("0.9"), True, many=_scan(_alert_rows), breakdowns=("level",), group="crisis", source="platform",
      readers=frozenset({ALERTS_WORK})),
    I("SC1", "心理普查完成率", "screening campaign completion", _("participants of the campaigns opened from 1 January to the period end who completed ÷ participants"),
      _("participants completed"), _("participants"), "flow", ALL, D("0.9"), True, many=_scan(_campaign_rows), breakdowns=("kind",), group="screening", source="platform",
      readers=frozenset({SCREENING_CAMPAIGN})),
    I("SC2", "测评阳性率（中度及以上）", "screening positive rate (moderate or worse)", _("assessments from 1 January to the period end with a moderate or worse result ÷ assessments"),
      _("moderate or worse"), _("assessments"), "flow", DOWN, None, False, many=_scan(_positive_rows), breakdowns=("sex", "age"), group="screening", source="platform",
      readers=ASSESSMENT_READ_CAPABILITIES),
    I("HL1", "心理援助热线接通率", "hotline answer rate", _("calls offered to the unit's lines from 1 January to the period end that were answered ÷ calls offered"),
      _("answered"), _("offered"), "flow", ALL, D("0.9"), True, many=_scan(_answer_rows), group="crisis", source="platform"),
    I("HL2", "高危来电回访完成率", "high-risk callers followed up", _("high- and imminent-risk calls from 1 January to the period end with the follow-up done ÷ those calls"),
      _("followed up"), _("high-risk calls"), "flow", ALL, D("1"), True, many=_scan(_followup_rows), group="crisis", source="platform",
      readers=frozenset({HOTLINE_OPERATE, HOTLINE_SUPERVISE})),
    # Work orders between departments (issue 19; rules and their choices in xinli.governance.indicators).
    I("WO1", "工单按时受理率", "work orders accepted in time", _("work orders dispatched to the unit's department offices from 1 January to the period end and accepted by their acceptance deadline ÷ those orders (returned and withdrawn ones left out)"),
      _("accepted in time"), _("orders dispatched"), "flow", ALL, D("0.95"), True, many=_scan(wo.accepted_rows), breakdowns=("dept",), group="governance", source="platform"),
    I("WO2", "工单按时办结率", "work orders completed in time", _("work orders due for completion or completed from 1 January to the period end and completed by their deadline ÷ those orders (returned and withdrawn ones left out)"),
      _("completed in time"), _("orders due"), "flow", ALL, D("0.9"), True, many=_scan(wo.completed_rows), breakdowns=("dept",), group="governance", source="platform"),
    I("WO3", "超期未办结工单数", "overdue open work orders", _("work orders open on the period end (waiting to be accepted or in progress) past their running deadline"),
      _("overdue open orders"), "", "stock", ALL, D("0"), False, kind="count", many=_scan(wo.overdue_rows, counts=True), breakdowns=("dept",), group="governance", source="platform"),
    I("WO4", "工单群众满意率", "work-order requesters satisfied", _("work orders closed from 1 January to the period end whose requester answered 4 or 5 (satisfied) ÷ those closed with an answer"),
      _("satisfied"), _("answers"), "flow", ALL, D("0.9"), True, many=_scan(wo.satisfaction_rows), breakdowns=("dept",), group="governance", source="platform"),
]}
