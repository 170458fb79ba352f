"""Supervision and inspection (督导检查): plans, inspections against a checklist, findings, rectification to a
deadline, yearly evaluation scores and their public disclosure; and satisfaction surveys (T21)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core import audit
from xinli.core.i18n import field_error
from xinli.core.policy import NETWORK_MANAGE
from xinli.core.scoping import path_in_scope

from .models import (
    Checklist,
    Finding,
    Inspection,
    InspectionPlan,
    Institution,
    Rectification,
    SatisfactionResponse,
)

# The default checklist, from the pilot plan and the 2025 work summary: facilities, staffing, qualifications,
# service process, privacy protection.
DEFAULT_ITEMS = [
    {"code": "F1", "area": "facilities", "text": "独立、安静、私密的心理咨询（辅导）室 / a separate, quiet and private counselling room"},
    {"code": "F2", "area": "facilities", "text": "标识清楚，开放时间公示 / clear signs and published opening hours"},
    {"code": "S1", "area": "staffing", "text": "配备专（兼）职心理服务人员 / full- or part-time psychological service staff in post"},
    {"code": "S2", "area": "staffing", "text": "社会心理服务机构至少 2 名专职心理咨询人员 / an organisation has at least 2 full-time counsellors"},
    {"code": "Q1", "area": "qualifications", "text": "心理咨询人员本科及以上学历并持证 / counsellors hold a bachelor's degree and a certificate"},
    {"code": "Q2", "area": "qualifications", "text": "人员接受年度培训和督导 / staff trained and supervised this year"},
    {"code": "P1", "area": "process", "text": "服务登记、记录完整 / services registered and recorded completely"},
    {"code": "P2", "area": "process", "text": "危机识别、上报与转介流程 / crisis identification, reporting and referral in place"},
    {"code": "P3", "area": "process", "text": "疑似精神障碍者按规定转诊医疗机构 / suspected mental disorders referred to hospital (MHL art. 23)"},
    {"code": "V1", "area": "privacy", "text": "个人信息加密保管，访问留痕 / personal data encrypted and every access recorded"},
    {"code": "V2", "area": "privacy", "text": "规范的知情同意（未成年人监护人同意） / proper informed consent (guardians for minors)"},
]


def default_checklist() -> Checklist:
    checklist, _created = Checklist.objects.get_or_create(name="社会心理服务督导检查（默认）", defaults={"items": DEFAULT_ITEMS})
    return checklist


def _require(actor, path: str) -> None:
    if not path_in_scope(actor, NETWORK_MANAGE, path):
        raise PermissionDenied


def create_plan(actor, *, name: str, org_unit, start: datetime.date, end: datetime.date, inspectors=(), checklist=None) -> InspectionPlan:
    _require(actor, org_unit.path)
    if not (name or "").strip():
        raise field_error("name", _("Name: required."))
    if start is None or end is None or end < start:
        raise field_error("end", _("Dates: the plan ends on or after it starts."))
    with transaction.atomic():
        plan = InspectionPlan.objects.create(name=name.strip(), org_unit=org_unit, org_path=org_unit.path, start=start, end=end,
                                             checklist=checklist or default_checklist())
        plan.inspectors.set([actor, *inspectors])
        audit.record(actor, audit.Action.CREATE, obj=plan, org_path=plan.org_path)
    return plan


def record_inspection(actor, plan: InspectionPlan, institution: Institution, *, date: datetime.date, results: dict,
                      findings=()) -> Inspection:
    """Results for every checklist item (pass / fail / na); a failed item needs a finding with a severity, and each
    finding gets a rectification with a deadline."""
    _require(actor, plan.org_path)
    if not institution.org_path.startswith(plan.org_path):
        raise field_error("institution", _("Institution: outside the plan's scope."))
    if date is None or not plan.start <= date <= plan.end or date > timezone.localdate():
        raise field_error("date", _("Date: within the plan's dates and not in the future."))
    codes = [i["code"] for i in plan.checklist.items]
    if not isinstance(results, dict) or not isinstance(findings, list | tuple) or not all(isinstance(f, dict) for f in findings):
        raise field_error("results", _("Results: pass, fail or na for every checklist item ({codes})."), codes=", ".join(codes))
    missing = [c for c in codes if c not in results]
    unknown = [c for c in results if c not in codes]
    if missing or unknown or any(v not in ("pass", "fail", "na") for v in results.values()):
        raise field_error("results", _("Results: pass, fail or na for every checklist item ({codes})."), codes=", ".join(codes))
    failed = {c for c, v in results.items() if v == "fail"}
    by_item = {f.get("item"): f for f in findings}
    if failed - set(by_item) or set(by_item) - failed:
        raise field_error("findings", _("Findings: one for each failed item ({items}), none for the others."), items=", ".join(sorted(failed)) or "—")
    for f in findings:
        if f.get("severity") not in Finding.Severity.values or not (f.get("description") or "").strip():
            raise field_error("findings", _("Findings: each needs a severity (minor, major, critical) and a description."))
        deadline = f.get("deadline")
        if deadline is None or deadline <= date:
            raise field_error("findings", _("Findings: each rectification needs a deadline after the inspection."))
    applicable = [v for v in results.values() if v != "na"]
    score = (Decimal(sum(v == "pass" for v in applicable) * 100) / Decimal(len(applicable))).quantize(Decimal("0.1"), ROUND_HALF_UP) if applicable else Decimal("100.0")
    with transaction.atomic():
        inspection = Inspection.objects.create(plan=plan, institution=institution, date=date, inspector=actor, results=results,
                                               score=score, org_path=institution.org_path)
        for f in findings:
            finding = Finding.objects.create(inspection=inspection, item=f["item"], severity=f["severity"], description=f["description"].strip())
            Rectification.objects.create(finding=finding, deadline=f["deadline"], org_path=institution.org_path)
        audit.record(actor, audit.Action.CREATE, obj=inspection, org_path=inspection.org_path, detail={"score": str(score), "findings": len(findings)})
    return inspection


def close_rectification(actor, rect: Rectification, *, evidence: str, on: datetime.date | None = None) -> Rectification:
    _require(actor, rect.org_path)
    if not (evidence or "").strip():
        raise field_error("evidence", _("Evidence: describe or reference what was put right."))
    with transaction.atomic():
        if Rectification.objects.filter(pk=rect.pk, state=Rectification.State.OPEN).update(
                state=Rectification.State.CLOSED, evidence=evidence.strip()[:1000], closed_at=on or timezone.localdate()) != 1:
            raise field_error("state", _("Rectification: already closed."))
        rect.refresh_from_db()
        audit.record(actor, audit.Action.UPDATE, obj=rect, org_path=rect.org_path, detail={"closed": True})
    return rect


def overdue_rectifications(unit, day: datetime.date | None = None):
    day = day or timezone.localdate()
    return Rectification.objects.filter(org_path__startswith=unit.path, state=Rectification.State.OPEN, deadline__lt=day).select_related(
        "finding__inspection__institution")


@dataclass
class Evaluation:
    institution: Institution
    score: Decimal
    inspections: int
    findings: int
    open_rectifications: int


def evaluations(year: int, unit=None) -> list[Evaluation]:
    """Per institution inspected in the year: mean inspection score (rounded half up to 0.1), inspections, findings,
    rectifications still open — the figures disclosed to the public (机构服务质量评价结果向社会公开). Computed from
    the inspection rows (no join that would count an inspection once per finding)."""
    inspections = Inspection.objects.filter(date__year=year).select_related("institution")
    if unit is not None:
        inspections = inspections.filter(org_path__startswith=unit.path)
    per: dict[int, list[Inspection]] = {}
    for i in inspections:
        per.setdefault(i.institution_id, []).append(i)
    findings = dict(Finding.objects.filter(inspection__in=inspections).values("inspection__institution_id")
                    .annotate(n=Count("pk")).values_list("inspection__institution_id", "n"))
    open_rect = dict(Rectification.objects.filter(finding__inspection__in=inspections, state=Rectification.State.OPEN)
                     .values("finding__inspection__institution_id").annotate(n=Count("pk"))
                     .values_list("finding__inspection__institution_id", "n"))
    out = [Evaluation(items[0].institution, (sum(i.score for i in items) / len(items)).quantize(Decimal("0.1"), ROUND_HALF_UP),
                      len(items), findings.get(pk, 0), open_rect.get(pk, 0)) for pk, items in per.items()]
    return sorted(out, key=lambda e: (-e.score, e.institution.name))


def record_satisfaction(*, service: str, score: int, site=None, comment: str = "", org_unit=None) -> SatisfactionResponse:
    """An anonymous answer (no account); the org unit comes from the site or is given."""
    if service not in SatisfactionResponse.Service.values:
        raise field_error("service", _("Service: site, counselling or hotline."))
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise field_error("score", _("Satisfaction: a whole number from 1 (very dissatisfied) to 5 (very satisfied)."))
    path = site.org_path if site is not None else getattr(org_unit, "path", "")
    if not path:
        raise field_error("site", _("Site: say which site or org unit the service was at."))
    return SatisfactionResponse.objects.create(service=service, site=site, score=score, comment=(comment or "")[:500],
                                               date=timezone.localdate(), org_path=path)


def satisfaction_rate(unit, year: int) -> tuple[int, int]:
    """T21: answers of 4 or 5 ÷ all answers in the year."""
    qs = SatisfactionResponse.objects.filter(org_path__startswith=unit.path, date__year=year)
    return qs.filter(score__gte=4).count(), qs.count()
