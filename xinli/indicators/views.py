"""The scorecard: every registered indicator for an org unit and year with value, target and status, and the
ranking of the unit's children on one indicator — read from the rollups only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from xinli.accounts.policy import INDICATORS_VIEW
from xinli.core.scoping import has_capability, path_in_scope
from xinli.regions.models import OrgUnit

from . import selectors, services
from .registry import REGISTRY


@login_required
def scorecard(request):
    user = request.user
    if not has_capability(user, INDICATORS_VIEW):
        raise Http404
    from xinli.regions import selectors as unit_selectors

    tops = [u for u in unit_selectors.top_units(user) if path_in_scope(user, INDICATORS_VIEW, u.path)]
    unit = OrgUnit.objects.filter(code=request.GET.get("org", "")).first() or (tops[0] if tops else None)
    if unit is None or not path_in_scope(user, INDICATORS_VIEW, unit.path):
        raise Http404
    year = request.GET.get("year") or str(timezone.localdate().year)
    year = year if year.isdigit() else str(timezone.localdate().year)
    rollups = {r.indicator: r for r in selectors.visible_rollups(user).filter(org_unit=unit, period=year)}
    rows = []
    for code, ind in REGISTRY.items():
        r = rollups.get(code)
        target = services.target_for(code, unit, int(year))
        rows.append({"code": code, "ind": ind, "r": r, "target": target, "status": services.status(code, r.value if r else None, target)})
    focus = request.GET.get("indicator") if request.GET.get("indicator") in REGISTRY else "T01"
    children = list(selectors.visible_rollups(user).filter(org_unit__parent=unit, period=year, indicator=focus).order_by("-value"))
    return render(request, "indicators/scorecard.html", {"unit": unit, "year": year, "rows": rows, "children": children,
                                                         "focus": focus, "focus_name": REGISTRY[focus].zh})
