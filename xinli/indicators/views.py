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
    if request.method == "POST":
        from django.contrib import messages
        from django.core.exceptions import ValidationError
        from django.shortcuts import redirect

        from xinli.core.forms import form_pk

        from .models import Signal
        from .warning import review

        sig = Signal.objects.filter(pk=form_pk(request.POST.get("signal")), org_path__startswith=unit.path).first()
        if sig is None:
            raise Http404
        try:
            review(user, sig, confirm=request.POST.get("do") == "confirm", reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        return redirect(request.get_full_path())
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
    from .models import Signal

    signals = list(Signal.objects.filter(org_path__startswith=unit.path, day__gte=timezone.localdate() - timezone.timedelta(days=30))
                   .select_related("org_unit")[:100])
    return render(request, "indicators/scorecard.html", {"unit": unit, "year": year, "rows": rows, "children": children,
                                                         "focus": focus, "focus_name": REGISTRY[focus].zh, "signals": signals})


@login_required
def scorecard_xlsx(request):
    """The scorecard of a unit and year, and its children's values, as Excel (no person data)."""
    import io

    import xlsxwriter
    from django.http import HttpResponse

    user = request.user
    unit = OrgUnit.objects.filter(code=request.GET.get("org", "")).first()
    if unit is None or not path_in_scope(user, INDICATORS_VIEW, unit.path):
        raise Http404
    year = request.GET.get("year", "")
    year = year if year.isdigit() else str(timezone.localdate().year)
    rollups = list(selectors.visible_rollups(user).filter(org_path__startswith=unit.path, period=year, org_unit__level__in=[
        "city", "county", "township"]).order_by("org_path", "indicator"))
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet(year)
    ws.write_row(0, 0, ["区划代码", "区划", "指标", "指标名称", "数值", "分子", "分母", "目标", "评价"])
    for i, r in enumerate(rollups, 1):
        target = services.target_for(r.indicator, r.org_unit, int(year)) if r.indicator in REGISTRY else None
        ws.write_row(i, 0, [r.org_unit.code, r.org_unit.name, r.indicator, REGISTRY[r.indicator].zh if r.indicator in REGISTRY else "",
                            float(r.value) if r.value is not None else "", float(r.numerator) if r.numerator is not None else "",
                            float(r.denominator) if r.denominator is not None else "", float(target) if target is not None else "",
                            services.status(r.indicator, r.value, target) or "" if r.indicator in REGISTRY else ""])
    wb.close()
    response = HttpResponse(buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="indicators-{unit.code}-{year}.xlsx"'
    return response
