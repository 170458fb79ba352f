"""The appraisal (考核) of a region or of one department in it (issue 19 part 4): one home for its rule.

A scheme (``AppraisalScheme``, set by the region's 综治 office) lists its parts with weights as data: indicators of
the registry and the leading group's tasks. For the scheme's region and for each region directly below it, each part
gets a score from 0 to 100 and the total is the weighted mean of the parts that can be scored:

* **an indicator**: its value for the year (the department's own value, ``dept=<code>``, for the work-order
  indicators of a department's scheme) against the target in force there (``services.targets_for``, so a region's
  own targets count). Where more is better: ``min(100, 100 × value ÷ target)`` (100 when the target is 0). Where less
  is better (or "fewer than last year"): 100 when the value is at or under the target, else ``100 × target ÷ value``
  (0 when the target is 0). A yes/no indicator: 100 for yes, 0 for no;
* **the tasks** (``tasks``): the leading group's tasks of the region and below (of the scheme's department only, for a
  department's scheme) whose deadline fell from 1 January to the period end: ``100 × done on time ÷ due``.

A part without a value (no rollup, or nothing counted: 0 ÷ 0), without a target, without a task due, or whose value is
a small cell withheld from a document shared with every indicator reader (``disclosure.apply(None, …)``, as the
reports do) is shown as such and left out of the weighted mean (choice: a region is neither rewarded nor punished for what cannot be
measured); with no part scored there is no total. Scores are rounded half up to one decimal. The period end is the
registry's (31 December, or today in the current year)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from xinli.core import audit, xlsx
from xinli.core.i18n import field_error
from xinli.core.policy import LEADING_MANAGE
from xinli.core.scoping import path_in_scope
from xinli.governance.leading import task_counts
from xinli.regions.models import Department, OrgUnit

from . import disclosure, services
from .display import format_value
from .models import AppraisalItem, AppraisalScheme, Rollup
from .registry import REGISTRY, period_end

TASKS = AppraisalItem.TASKS
HUNDRED = Decimal(100)


@dataclass
class Part:
    item: AppraisalItem
    label: str
    value: str = "—"  # the indicator's value in its unit, or "done / due"
    target: str = "—"
    score: Decimal | None = None
    why: str = ""  # why the part is not scored


@dataclass
class Score:
    unit: OrgUnit
    parts: list[Part] = field(default_factory=list)
    total: Decimal | None = None


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), ROUND_HALF_UP)


def indicator_score(code: str, value, target) -> Decimal | None:
    """The 0–100 score of an indicator's value against its target (the module's rule); None without either."""
    if value is None or target is None:
        return None
    ind = REGISTRY[code]
    value, target = Decimal(value), Decimal(target)
    if ind.kind == "flag":
        return HUNDRED if value else Decimal(0)
    if ind.higher_is_better and ind.target_rule != "decrease":
        return HUNDRED if target <= 0 else min(HUNDRED, HUNDRED * value / target)
    if value <= target:
        return HUNDRED
    return Decimal(0) if target <= 0 else HUNDRED * target / value


def label(code: str) -> str:
    if code == TASKS:
        return str(_("leading-group tasks done on time"))
    return f"{code} {REGISTRY[code].name}" if code in REGISTRY else code


def score(scheme: AppraisalScheme, unit: OrgUnit) -> Score:
    """The scheme's parts and total for ``unit`` (the scheme's region or one below it)."""
    year, as_of = scheme.year, period_end(str(scheme.year))
    items = list(scheme.items.all())
    codes = [i.indicator for i in items if i.indicator != TASKS]
    dept = scheme.department
    targets = services.targets_for(unit, year, codes) if codes else {}
    wanted = {(c, f"dept={dept.code}" if dept is not None and "dept" in REGISTRY[c].breakdowns else "") for c in codes}
    rows = disclosure.apply(None, Rollup.objects.filter(org_unit=unit, period=str(year), indicator__in=codes,
                                                       breakdown__in={b for _c, b in wanted}))
    values = {(r.indicator, r.breakdown): r.value for r in rows if "value" not in r.hidden}
    withheld = {(r.indicator, r.breakdown) for r in rows if "value" in r.hidden}
    out = Score(unit)
    weighted = weights = Decimal(0)
    for item in items:
        part = Part(item, label(item.indicator))
        if item.indicator == TASKS:
            done, due = task_counts(unit.path, year, as_of, dept.pk if dept is not None else None)
            part.value = f"{done} / {due}"
            if due:
                part.score = _round(HUNDRED * done / due)
            else:
                part.why = str(_("no task was due"))
        else:
            code = item.indicator
            breakdown = next(b for c, b in wanted if c == code)
            value, target = values.get((code, breakdown)), targets.get(code)
            kind = REGISTRY[code].kind
            part.value, part.target = format_value(value, kind), format_value(target, kind)
            raw = indicator_score(code, value, target)
            if (code, breakdown) in withheld:
                part.value, part.why = "*", str(_("small cell withheld"))
            elif raw is None:
                part.why = str(_("no value this year") if value is None else _("no target"))
            else:
                part.score = _round(raw)
        if part.score is not None:
            weighted += item.weight * part.score
            weights += item.weight
        out.parts.append(part)
    out.total = _round(weighted / weights) if weights else None
    return out


def scores(scheme: AppraisalScheme) -> list[Score]:
    """The scheme's region first, then each current region directly below it (by code)."""
    units = [scheme.org_unit, *OrgUnit.objects.filter(parent=scheme.org_unit, valid_to__isnull=True).order_by("code")]
    return [score(scheme, u) for u in units]


# --- writes -----------------------------------------------------------------------------------------------------

def save_scheme(actor, *, unit: OrgUnit, year: int, name: str, items: list[tuple[str, Decimal]],
                department: Department | None = None, scheme: AppraisalScheme | None = None) -> AppraisalScheme:
    """Create a scheme (or replace the parts of ``scheme``): ``items`` = (indicator code or "tasks", weight). Who: the
    综治 office over ``unit`` (``leading.manage``). Every problem is named; nothing is written on one."""
    if not path_in_scope(actor, LEADING_MANAGE, unit.path):
        raise PermissionDenied
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise field_error("name", _("Name: required, at most 100 characters."))
    if not items:
        raise field_error("items", _("Parts: give at least one indicator or the tasks, each with a weight."))
    seen = set()
    for code, weight in items:
        if code != TASKS and code not in REGISTRY:
            raise field_error("items", _("Parts: unknown indicator {part}; pick one from the list."), part=code)
        if code in seen:
            raise field_error("items", _("Parts: {part} is listed twice; keep one."), part=code)
        seen.add(code)
        if not isinstance(weight, Decimal) or weight <= 0 or weight > 1000:
            raise field_error("items", _("Parts: the weight of {part} must be a number above 0 (up to 1000)."), part=label(code))
    with transaction.atomic():
        if scheme is None:
            scheme = AppraisalScheme.objects.create(org_unit=unit, org_path=unit.path, year=year, name=name,
                                                    department=department, created_by=actor)
        else:
            AppraisalScheme.objects.filter(pk=scheme.pk).update(name=name, department=department)
            scheme.items.all().delete()
        AppraisalItem.objects.bulk_create([AppraisalItem(scheme=scheme, indicator=c, weight=w) for c, w in items])
        audit.record(actor, audit.Action.UPDATE, obj=scheme,
                     detail={"parts": {c: str(w) for c, w in items}, "department": department.code if department else None})
    scheme.refresh_from_db()
    return scheme


# --- the Excel export -------------------------------------------------------------------------------------------

def workbook(scheme: AppraisalScheme) -> bytes:
    """The scheme's scores as an .xlsx (``core.xlsx``): one row per region with each part's value, target and score,
    then the total; a second sheet names the scheme and states the rule."""
    items = list(scheme.items.all())
    header = ["区划代码", "地区"]
    for item in items:
        name = label(item.indicator)
        header += [f"{name} 数值", f"{name} 目标", f"{name} 得分（权重 {item.weight.normalize():f}）"]
    rows = []
    for s in scores(scheme):
        line = [s.unit.code, s.unit.name]
        for p in s.parts:
            line += [p.value, p.target, p.score if p.score is not None else (p.why or "—")]
        rows.append(line + [s.total if s.total is not None else "—"])
    who = scheme.department.label if scheme.department else "全地区"
    about = [["方案", scheme.name], ["地区", scheme.org_unit.name], ["年度", str(scheme.year)], ["考核对象", who],
             ["计分规则", "指标按目标计 0–100 分（越高越好：数值÷目标，最高 100；越低越好：不超过目标计 100，否则目标÷数值）；"
                         "任务按按时完成数÷到期数计分；无数值、无目标、无到期任务或小数值不公开的项目不计入加权平均；总分为加权平均。"]]
    return xlsx.workbook([("考核得分", [*header, "总分"], rows), ("方案说明", ["项目", "内容"], about)])
