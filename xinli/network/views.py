"""The coverage page: for the user's area, which villages lack a counselling room, which schools, workplaces and
hospitals lack their service — with the sites and their status."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from xinli.accounts.policy import NETWORK_MANAGE
from xinli.core.scoping import has_capability, path_in_scope

from . import coverage, selectors, services

TITLES = {"T01": "村(社区)心理咨询室或社会工作室建成率", "T02": "高校心理健康教育与咨询中心设置率", "T03": "高校专职心理教师师生比达标率",
          "T04": "中小学心理辅导室设置率", "T05": "机关企事业单位心理服务覆盖率", "T06": "精神专科医院心理门诊开设率",
          "T07": "二级以上综合医院精神(心理)门诊开设率", "T18": "精神卫生医疗机构家属学校开设率",
          "T19": "乡镇(街道)精神卫生综合管理小组建成率"}
TARGETS = {"T01": 0.8, "T02": 1.0, "T03": 1.0, "T04": 1.0, "T05": 1.0, "T06": 1.0, "T07": 0.4, "T18": 1.0, "T19": 1.0}


@login_required
def coverage_page(request):
    user = request.user
    if not has_capability(user, NETWORK_MANAGE):
        raise Http404
    from xinli.regions import selectors as unit_selectors

    today = timezone.localdate()
    try:
        day = datetime.date.fromisoformat(request.GET.get("date") or today.isoformat())
    except ValueError:
        day = today
    units = [u for u in unit_selectors.top_units(user) if path_in_scope(user, NETWORK_MANAGE, u.path)]
    blocks = []
    for unit in units:
        result = coverage.compute(unit, day)
        blocks.append({"unit": unit, "rows": [{"code": code, "title": TITLES[code], "target": TARGETS[code], "c": c,
                                                "below": c.rate is not None and c.rate < TARGETS[code]} for code, c in result.items()]})
    sites = list(selectors.visible_sites(user).filter(org_path__startswith=units[0].path)[:300]) if units else []
    from . import inspection

    overdue = [r for u in units for r in inspection.overdue_rectifications(u, today)]
    trained = [(u, *services.training_coverage(u, day.year), *inspection.satisfaction_rate(u, day.year)) for u in units]
    return render(request, "network/coverage.html", {"blocks": blocks, "day": day, "sites": sites, "overdue": overdue,
                                                     "trained": trained})


def public_evaluations(request):
    """Public (no login): the year's institution evaluation results (机构服务数量、质量等评价结果向社会公开). Only
    institution names, kinds and aggregate figures: no person."""
    from . import inspection

    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    year = min(max(year, 2000), today.year)
    return render(request, "network/public_evaluations.html", {
        "rows": inspection.evaluations(year), "year": year, "years": list(range(today.year, today.year - 5, -1))})


def feedback(request, site_id):
    """Public (no login): a short satisfaction survey after a visit to a site."""
    from django.core.exceptions import ValidationError

    from . import inspection
    from .models import Site

    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            score = int(request.POST.get("score") or 0)
        except ValueError:
            score = 0
        try:
            inspection.record_satisfaction(service="site", score=score, site=site, comment=request.POST.get("comment", ""))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return render(request, "network/feedback_done.html", {"site": site})
    return render(request, "network/feedback.html", {"site": site, "error": error, "scores": range(5, 0, -1)},
                  status=400 if error else 200)


@login_required
def export(request):
    """The register of the officer's area as Excel (audited)."""
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponse

    from .transfer import export_workbook

    try:
        data = export_workbook(request.user)
    except PermissionDenied:
        raise Http404 from None
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="network-register.xlsx"'
    return response
