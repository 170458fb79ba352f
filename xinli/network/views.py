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

from . import coverage, selectors

TITLES = {"T01": "村(社区)心理咨询室或社会工作室建成率", "T02": "高校心理健康教育与咨询中心设置率", "T03": "高校专职心理教师师生比达标率",
          "T04": "中小学心理辅导室设置率", "T05": "机关企事业单位心理服务覆盖率", "T06": "精神专科医院心理门诊开设率",
          "T07": "二级以上综合医院精神(心理)门诊开设率", "T18": "精神卫生医疗机构家属学校开设率"}
TARGETS = {"T01": 0.8, "T02": 1.0, "T03": 1.0, "T04": 1.0, "T05": 1.0, "T06": 1.0, "T07": 0.4, "T18": 1.0}


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
    return render(request, "network/coverage.html", {"blocks": blocks, "day": day, "sites": sites})
