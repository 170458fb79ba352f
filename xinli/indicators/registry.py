"""The indicator registry: each indicator declared once — code, names, definition, the org levels where it applies,
its default target and how to compute numerator and denominator for a unit and year. The computations are the
hand-checked functions of each module (network coverage, SMD indicators, plans, awareness, satisfaction, training,
hotline); this module only names and collects them."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone


@dataclass(frozen=True)
class Indicator:
    code: str
    zh: str
    en: str
    definition: str
    levels: tuple[str, ...]
    target: Decimal | None  # default; a rate as a fraction, or a count / per-mille where stated
    higher_is_better: bool
    compute: Callable  # (unit, year) -> (numerator, denominator) ; denominator None for a plain value


def _day(year: int) -> datetime.date:
    return min(datetime.date(year, 12, 31), timezone.localdate())


def _coverage(code):
    def compute(unit, year):
        from xinli.network import coverage

        c = coverage.compute(unit, _day(year))[code]
        return c.covered, c.total
    return compute


def _smd(num_field, den_field, scale=1):
    def compute(unit, year):
        from xinli.smd import indicators

        (k,) = indicators.compute([unit], year)
        num = getattr(k, num_field)
        den = k.population if den_field == "population" else getattr(k, den_field)
        return (num * scale if num is not None else None), den
    return compute


def _plans(unit, year):
    from xinli.counselling.services import plan_coverage

    return plan_coverage(unit)


def _awareness(part):
    def compute(unit, year):
        from xinli.outreach.services import awareness_rate

        r = awareness_rate(unit, year)[part]
        return r["passed"], r["respondents"]
    return compute


def _satisfaction(unit, year):
    from xinli.network.inspection import satisfaction_rate

    return satisfaction_rate(unit, year)


def _training(unit, year):
    from xinli.network.services import training_coverage

    return training_coverage(unit, year)


def _hotline_t08(unit, year):
    """1 when a line of the unit (or above) serves ≥ 18 h a day and the unit has a crisis team at or above it."""
    from xinli.alerts.deadlines import team_unit
    from xinli.hotline.models import Line

    ids = unit.ancestor_ids
    ok = Line.objects.filter(org_unit_id__in=ids, hours_per_day__gte=18).exists() and team_unit(unit) is not None
    return (1 if ok else 0), None


def _alert_ack(unit, year):
    """Share of the year's alerts acknowledged by their first deadline (no escalation)."""
    from xinli.alerts.models import Alert

    qs = Alert.objects.filter(org_path__startswith=unit.path, created_at__year=year)
    total = qs.count()
    return qs.filter(acknowledged_at__isnull=False, escalations=0).count(), total


D = Decimal
ALL = ("city", "county", "township")
REGISTRY: dict[str, Indicator] = {i.code: i for i in [
    Indicator("T01", "村(社区)心理咨询室或社会工作室建成率", "villages/communities with a room", "villages with an active counselling or social-work room on 31 Dec ÷ villages", ALL, D("0.8"), True, _coverage("T01")),
    Indicator("T02", "高校心理健康教育与咨询中心设置率", "universities with a centre", "universities with an active centre ÷ universities", ("city", "county"), D("1"), True, _coverage("T02")),
    Indicator("T03", "高校专职心理教师师生比达标率", "universities meeting 1:4000", "universities with teachers × 4000 ≥ students ÷ universities", ("city", "county"), D("1"), True, _coverage("T03")),
    Indicator("T04", "中小学心理辅导室设置率", "schools with a counselling room", "primary/secondary schools with an active room ÷ schools", ALL, D("1"), True, _coverage("T04")),
    Indicator("T05", "机关企事业单位心理服务覆盖率", "workplaces with a service", "organs and enterprises above size with a room or purchased service ÷ those units", ALL, D("1"), True, _coverage("T05")),
    Indicator("T06", "精神专科医院心理门诊开设率", "psychiatric hospitals with a psychology clinic", "÷ psychiatric hospitals", ("city", "county"), D("1"), True, _coverage("T06")),
    Indicator("T07", "二级以上综合医院精神(心理)门诊开设率", "level-2+ general hospitals with a clinic", "÷ level-2+ general hospitals", ("city", "county"), D("0.4"), True, _coverage("T07")),
    Indicator("T08", "24小时心理援助热线 / 心理危机干预队伍", "hotline ≥ 18 h and a crisis team", "1 when both exist for the unit", ("city", "county"), D("1"), True, _hotline_t08),
    Indicator("T09", "特殊人群个性化心理疏导覆盖率", "special populations with a plan", "tagged persons with an active plan ÷ tagged persons", ALL, D("0.6"), True, _plans),
    Indicator("T10U", "心理健康核心知识知晓率（城市）", "awareness rate, urban", "urban respondents passing ÷ urban respondents", ALL, D("0.5"), True, _awareness("urban")),
    Indicator("T10R", "心理健康核心知识知晓率（农村）", "awareness rate, rural", "rural respondents passing ÷ rural respondents", ALL, D("0.5"), True, _awareness("rural")),
    Indicator("T11", "严重精神障碍报告患病率（‰）", "SMD reported prevalence (‰)", "in register ÷ population × 1000", ALL, D("4.5"), True, _smd("in_register", "population", 1000)),
    Indicator("T12", "在册患者规范管理率", "SMD standardised management", "standardised ÷ in register", ALL, D("0.8"), True, _smd("standardised", "in_register")),
    Indicator("T13", "在册患者治疗率(服药率)", "SMD medication rate", "taking medication ÷ in register", ALL, D("0.8"), True, _smd("medicated", "in_register")),
    Indicator("T14", "精神分裂症治疗率", "schizophrenia medication rate", "F20 taking medication ÷ F20 in register", ALL, D("0.8"), True, _smd("schizophrenia_medicated", "schizophrenia")),
    Indicator("T15", "规律服药率", "regular medication rate", "regular ÷ in register", ALL, D("0.6"), True, _smd("regular", "in_register")),
    Indicator("T16", "居家患者社区康复参与率", "community rehabilitation", "home-dwelling in rehabilitation ÷ home-dwelling", ALL, D("0.6"), True, _smd("rehab", "home")),
    Indicator("T17", "居家患者及家属心理疏导率", "family counselling", "home-dwelling whose family was counselled ÷ home-dwelling", ALL, D("0.5"), True, _smd("family", "home")),
    Indicator("T18", "精神卫生医疗机构家属学校开设率", "family schools", "psychiatric hospitals with a family school ÷ psychiatric hospitals", ("city", "county"), D("1"), True, _coverage("T18")),
    Indicator("T19", "乡镇(街道)精神卫生综合管理小组建成率", "township management groups", "townships with a group ÷ townships", ("city", "county"), D("1"), True, _coverage("T19")),
    Indicator("T21", "心理健康服务满意度", "service satisfaction", "answers of 4–5 ÷ answers", ALL, D("0.85"), True, _satisfaction),
    Indicator("T22", "从业人员培训覆盖率", "staff trained", "staff with a completed training this year ÷ staff", ALL, D("1"), True, _training),
    Indicator("AL1", "预警按时确认率", "alerts acknowledged in time", "alerts acknowledged before their first deadline ÷ alerts", ALL, D("0.9"), True, _alert_ack),
]}
