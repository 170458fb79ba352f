"""The dashboard (驾驶舱): the scorecard of an org unit (every registered indicator with value, target and status, the
drill-down to the units below), the indicator page (definition, numerator and denominator, monthly trend,
breakdowns, ranking of the units below), target editing, and the Excel export of each table — read from the rollups
only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from xinli.core import xlsx
from xinli.core.ids import parse_year
from xinli.core.policy import INDICATORS_MANAGE, INDICATORS_VIEW
from xinli.core.scoping import has_capability, path_in_scope
from xinli.regions import parameters
from xinli.regions.models import OrgUnit
from xinli.regions.parameters import small_cell_threshold

from . import appraisal, disclosure, display, selectors, services
from .registry import REGISTRY, breakdown_label, period_end


def _unit_year(request):
    """The unit (default: the user's top unit) and year asked for; 404 outside the user's ``indicators.view`` scope."""
    user = request.user
    if not has_capability(user, INDICATORS_VIEW):
        raise Http404
    from xinli.regions import selectors as unit_selectors

    code = request.GET.get("org", "")
    if code:
        unit = OrgUnit.objects.filter(code=code).order_by("valid_to").first()  # the current unit of the code first
    else:
        tops = [u for u in unit_selectors.top_units(user) if path_in_scope(user, INDICATORS_VIEW, u.path)]
        unit = tops[0] if tops else None
    if unit is None or not path_in_scope(user, INDICATORS_VIEW, unit.path):
        raise Http404
    this_year = timezone.localdate().year
    year = parse_year(request.GET.get("year"))
    year = year if year is not None and 2000 <= year <= this_year else this_year
    return unit, year


def _row(code, r, unit, year, targets=None):
    target = targets[code] if targets is not None else services.target_for(code, unit, year)
    status = services.status(code, r.value if r else None, target)
    return {"code": code, "ind": REGISTRY[code], "r": r, "target": target, "status": status,
            "status_label": services.STATUS_LABELS.get(status, "")}


def _children(user, unit, year, code):
    """The units directly below with their value of one indicator, best first (units without a value last)."""
    rs = disclosure.apply(user, selectors.visible_rollups(user).filter(org_unit__parent=unit, period=str(year), indicator=code, breakdown=""))
    rows = [_row(code, r, r.org_unit, year) for r in rs]
    rows.sort(key=lambda x: (x["r"].value is None, -(x["r"].value or 0) if REGISTRY[code].higher_is_better else (x["r"].value or 0),
                             x["r"].org_unit.code))
    return rows


@login_required
def scorecard(request):
    user = request.user
    unit, year = _unit_year(request)
    if request.method == "POST":
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
    rollups = {r.indicator: r for r in disclosure.apply(user, selectors.visible_rollups(user).filter(org_unit=unit, period=str(year), breakdown=""))}
    targets = services.targets_for(unit, year)
    rows = [_row(code, rollups.get(code), unit, year, targets) for code, ind in REGISTRY.items() if unit.level in ind.levels or code in rollups]
    focus = request.GET.get("indicator") if request.GET.get("indicator") in REGISTRY else "T01"
    children = _children(user, unit, year, focus)
    if request.GET.get("format") == "xlsx":
        limit = small_cell_threshold(unit)
        return xlsx.response(xlsx.workbook([
            (f"{unit.code}-{year}", ["指标 Indicator", "名称 Name", "数值 Value", "分子 Numerator", "分母 Denominator", "目标 Target", "评价 Status"],
             _noted([[x["code"], x["ind"].zh, *_nums(x)] for x in rows], [x["r"] for x in rows], limit)),
            (f"{focus} ranking", ["区划代码 Code", "区划 Unit", "数值 Value", "分子 Numerator", "分母 Denominator", "目标 Target", "评价 Status"],
             _noted([[x["r"].org_unit.code, x["r"].org_unit.name, *_nums(x)] for x in children], [x["r"] for x in children], limit)),
        ]), f"scorecard-{unit.code}-{year}.xlsx")
    from .models import Signal
    from .warning import series_label

    signals = list(Signal.objects.filter(org_path__startswith=unit.path, day__gte=timezone.localdate() - timezone.timedelta(days=30))
                   .select_related("org_unit")[:100])
    for sig in signals:
        sig.label = series_label(sig.series)
    counts = {s: sum(1 for x in rows if x["status"] == s) for s in ("green", "amber", "red")}
    return render(request, "indicators/scorecard.html", {
        "unit": unit, "year": year, "years": _years(), "rows": rows, "children": children, "focus": focus,
        "focus_name": REGISTRY[focus].name, "signals": signals, "counts": counts,
        "can_manage": path_in_scope(user, INDICATORS_MANAGE, unit.path),
        "small_cells": _small_cells(unit, [x["r"] for x in rows + children], in_force=True)})


def _small_cells(unit, rollups, *, in_force=False) -> dict:
    """What the pages say about small cells: the threshold of the unit, whether a cell of the page is hidden, and
    (on the scorecard) where the threshold in force comes from."""
    out = {"limit": small_cell_threshold(unit), "any": any(getattr(r, "hidden", None) for r in rollups if r is not None)}
    if in_force:
        out["in_force"] = parameters.in_force(unit, "small_cell_threshold")
    return out


def _noted(rows: list, rollups, limit: int) -> list:
    """An Excel table's rows with a note row at the end when a cell of it is hidden (the cell itself is empty)."""
    if any(getattr(r, "hidden", None) for r in rollups if r is not None):
        rows = [*rows, [], [disclosure.excel_note(limit)]]
    return rows


def _nums(x):
    """Value, numerator, denominator, target and status of a row for an Excel table; the value and the target in the
    indicator's unit (69.7%, 4.26‰), the numerator and denominator unscaled counts."""
    r, kind = x["r"], x["ind"].kind
    return [display.excel_value(r.value if r else None, kind), r.numerator if r else None, r.denominator if r else None,
            display.excel_value(x["target"], kind), x["status_label"]]


def _years():
    y = timezone.localdate().year
    return list(range(y, y - 5, -1))


@login_required
def indicator(request, code):
    """One indicator for a unit: definition, value against target, monthly trend, breakdowns and the units below."""
    if code not in REGISTRY:
        raise Http404
    user = request.user
    unit, year = _unit_year(request)
    ind = REGISTRY[code]
    mine = {(r.period, r.breakdown): r for r in disclosure.apply(user, selectors.visible_rollups(user).filter(org_unit=unit, indicator=code))}
    main = _row(code, mine.get((str(year), "")), unit, year)
    breakdowns = [{"key": breakdown_label(k), "r": r} for (p, k), r in sorted(mine.items()) if p == str(year) and k]
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    scale = float(display.UNITS.get(ind.kind, (1, 0))[0])  # plotted in the unit the tables show (a rate in %)
    trend = {"labels": [m[5:] for m in months],
             "value": [None if (v := _f(mine.get((m, "")))) is None else round(v * scale, 4) for m in months],
             "target": [round(float(main["target"]) * scale, 4) if main["target"] is not None else None] * 12,
             "unit": display.unit_suffix(ind.kind), "names": {"value": ind.name, "target": str(_("target"))}}
    history = [{"period": p, "r": r} for (p, k), r in sorted(mine.items(), reverse=True) if len(p) == 4 and not k and p != str(year)]
    children = _children(user, unit, year, code)
    if request.GET.get("format") == "xlsx":
        limit = small_cell_threshold(unit)
        head = ["数值 Value", "分子 Numerator", "分母 Denominator", "目标 Target", "评价 Status"]
        month_rows = [r for m in months if (r := mine.get((m, "")))]
        return xlsx.response(xlsx.workbook([
            (f"{code} {unit.code}", ["区划代码 Code", "区划 Unit", *head], _noted([[unit.code, unit.name, *_nums(main)]], [main["r"]], limit)),
            ("months", ["月份 Month", "数值 Value", "分子 Numerator", "分母 Denominator"],
             _noted([[r.period, display.excel_value(r.value, ind.kind), r.numerator, r.denominator] for r in month_rows], month_rows, limit)),
            ("breakdowns", ["分组 Breakdown", "数值 Value", "分子 Numerator", "分母 Denominator"],
             _noted([[b["key"], display.excel_value(b["r"].value, ind.kind), b["r"].numerator, b["r"].denominator] for b in breakdowns],
                    [b["r"] for b in breakdowns], limit)),
            ("units below", ["区划代码 Code", "区划 Unit", *head],
             _noted([[x["r"].org_unit.code, x["r"].org_unit.name, *_nums(x)] for x in children], [x["r"] for x in children], limit)),
        ]), f"{code}-{unit.code}-{year}.xlsx")
    computed = main["r"].computed_at if main["r"] is not None else None
    rules = [{"known": parameters.KNOWN[key], "p": (p := parameters.in_force(unit, key)), "shown": parameters.KNOWN[key].shown(p.value),
              "pending": bool(p.row and computed and p.row.set_at > computed)}
             for key in ind.parameters]
    return render(request, "indicators/indicator.html", {
        "unit": unit, "year": year, "years": _years(), "ind": ind, "code": code, "main": main, "breakdowns": breakdowns,
        "rules": rules, "explain": ind.explain(unit, period_end(str(year))) if ind.explain else [],
        "can_manage": path_in_scope(user, INDICATORS_MANAGE, unit.path),
        "trend": trend if any(v is not None for v in trend["value"]) else None, "history": history, "children": children,
        "small_cells": _small_cells(unit, list(mine.values()) + [x["r"] for x in children])})


def _f(r):
    return float(r.value) if r is not None and r.value is not None else None


@login_required
def targets(request):
    """Targets of a unit and year: the one in force (and where it comes from), its history, and a form to change it
    (``indicators.manage`` over the unit)."""
    user = request.user
    unit, year = _unit_year(request)
    can_manage = path_in_scope(user, INDICATORS_MANAGE, unit.path)
    if request.method == "POST":
        if not can_manage:
            raise Http404
        try:
            key = request.POST.get("do", "")
            if key in parameters.KNOWN:
                from xinli.regions.services import set_parameter

                known = parameters.KNOWN[key]
                value = request.POST.getlist("value") if known.kind is list else request.POST.get("value", "")
                set_parameter(user, unit=unit, key=key, value=value, source=request.POST.get("source", ""))
                messages.success(request, _("{name} saved.").format(name=known.label))
            else:
                code = request.POST.get("indicator", "")
                services.set_target(user, code=code, unit=unit, year=year, value=request.POST.get("value", ""), in_unit=True)
                messages.success(request, _("Target of {code} saved.").format(code=code))
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        return redirect(request.get_full_path())
    history = services.target_history(unit, year)
    rows = [{"code": code, "ind": ind, "target": services.target_for(code, unit, year), "history": history.get(code, [])}
            for code, ind in REGISTRY.items() if unit.level in ind.levels]
    codes_of = {}
    for code, ind in REGISTRY.items():
        for key in ind.parameters:
            codes_of.setdefault(key, []).append(code)
    rules = []
    for key, known in parameters.KNOWN.items():
        p = parameters.in_force(unit, key)
        rules.append({"known": known, "p": p, "shown": known.shown(p.value), "is_list": known.kind is list,
                      "codes": [c for c in codes_of.get(key, []) if c not in str(known.label)],
                      "history": [(row, known.shown(row.value)) for row in parameters.history(unit, key)],
                      "choices": [(c, known.choice_label(c), c in (p.value or []) if known.kind is list else c == p.value)
                                  for c in known.choices]})
    return render(request, "indicators/targets.html", {
        "unit": unit, "year": year, "years": _years(), "rows": rows, "can_manage": can_manage, "rules": rules})


@login_required
def scorecard_xlsx(request):
    """Every rollup of the unit and the units below for the year, as Excel (aggregates only, no person data)."""
    user = request.user
    unit, year = _unit_year(request)
    rollups = disclosure.apply(user, selectors.visible_rollups(user).filter(org_path__startswith=unit.path, period=str(year), breakdown="", org_unit__level__in=[
        "city", "county", "township"]).order_by("org_path", "indicator"))
    rows = []
    targets = {}
    for r in rollups:
        if r.indicator not in REGISTRY:
            continue
        if r.org_unit_id not in targets:
            targets[r.org_unit_id] = services.targets_for(r.org_unit, year)
        x = _row(r.indicator, r, r.org_unit, year, targets[r.org_unit_id])
        rows.append([r.org_unit.code, r.org_unit.name, r.indicator, REGISTRY[r.indicator].zh, *_nums(x)])
    return xlsx.response(xlsx.workbook([(str(year), ["区划代码", "区划", "指标", "指标名称", "数值", "分子", "分母", "目标", "评价"],
                                         _noted(rows, rollups, small_cell_threshold(unit)))]),
                         f"indicators-{unit.code}-{year}.xlsx")


@login_required
def warning(request):
    """The early-warning page (社会心态预警) of a unit: the last 30 days of each daily series with its alarm days, the
    signals of the unit and the units below (new first) to confirm or dismiss, the written risk assessments (分析研判)
    and a form to write one citing signals, and the extreme-incident register of the year (a form for holders of
    ``indicators.manage``). 404 outside the user's ``indicators.view`` scope."""
    import datetime

    from django.db.models import Case, IntegerField, Q, Value, When
    from django.utils.translation import gettext as _t

    from xinli.core.forms import form_pk

    from . import incidents
    from . import warning as early
    from .models import ExtremeIncident, RiskAssessment, Signal

    user = request.user
    unit, year = _unit_year(request)
    can_manage = path_in_scope(user, INDICATORS_MANAGE, unit.path)
    today = timezone.localdate()
    posted: dict = {"signals": set()}
    if request.method == "POST":
        do = request.POST.get("do", "")
        try:
            if do in ("confirm", "dismiss"):
                sig = selectors.visible_signals(user).filter(pk=form_pk(request.POST.get("signal")), org_path__startswith=unit.path).first()
                if sig is None:
                    raise Http404
                early.review(user, sig, confirm=do == "confirm", reason=request.POST.get("reason", ""))
            elif do == "assess":
                early.write_assessment(user, org_unit=unit, period_start=request.POST.get("period_start"),
                                       period_end=request.POST.get("period_end"), level=request.POST.get("level", ""),
                                       findings=request.POST.get("findings", ""), measures=request.POST.get("measures", ""),
                                       signal_ids=request.POST.getlist("signals"))
                messages.success(request, _t("Risk assessment saved."))
            elif do == "incident":
                if not can_manage:
                    raise Http404
                incidents.record_incident(user, org_unit=unit, date=request.POST.get("date"), kind=request.POST.get("kind", ""),
                                          deaths=request.POST.get("deaths"), injured=request.POST.get("injured"),
                                          note=request.POST.get("note", ""))
                messages.success(request, _t("Incident recorded."))
            else:
                raise Http404
            return redirect(request.get_full_path())
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
            posted = {"do": do, **{k: request.POST.get(k, "") for k in (
                "period_start", "period_end", "level", "findings", "measures", "date", "kind", "deaths", "injured", "note")},
                "signals": {form_pk(x) for x in request.POST.getlist("signals")}}
    charts = [early.chart(unit, name, today) for name in early.SERIES]
    for c in charts:
        c["id"] = f"chart-{c['name']}"
    signals = list(selectors.visible_signals(user).filter(org_path__startswith=unit.path)
                   .filter(Q(state=Signal.State.NEW) | Q(day__gte=today - datetime.timedelta(days=90)))
                   .annotate(reviewed=Case(When(state=Signal.State.NEW, then=Value(0)), default=Value(1), output_field=IntegerField()))
                   .order_by("reviewed", "-day", "org_path", "series", "method")[:200])
    for s in signals:
        s.label = early.series_label(s.series)
    assessments = list(selectors.visible_assessments(user).filter(org_path__startswith=unit.path)[:50])
    for a in assessments:
        for s in a.signals.all():
            s.label = early.series_label(s.series)
    return render(request, "indicators/warning.html", {
        "unit": unit, "year": year, "years": _years(), "today": today, "can_manage": can_manage,
        "charts": charts, "chart_data": {"series": charts, "alarm": _t("alarm")},
        "signals": signals, "assessments": assessments, "levels": RiskAssessment.Level.choices,
        "period_start": today - datetime.timedelta(days=29),
        "incidents": selectors.visible_incidents(user).filter(org_path__startswith=unit.path, date__year=year),
        "incident_count": incidents.incident_count(unit, year)[0], "incident_count_before": incidents.incident_count(unit, year - 1)[0],
        "kinds": ExtremeIncident.Kind.choices, "note_help": incidents.NOTE_HELP, "posted": posted})


# --- the appraisal (考核, issue 19 part 4) -------------------------------------------------------------------------

def _scheme_form_data(request, managed):
    """(unit, year, name, department, items) from the scheme form; a ValidationError names the field."""
    from decimal import Decimal, InvalidOperation

    from xinli.core.i18n import field_error
    from xinli.regions.models import Department

    unit = next((u for u in managed if str(u.pk) == request.POST.get("org_unit")), None)
    if unit is None:
        raise field_error("org_unit", _("Region: pick one of the regions whose appraisal you set."))
    year = parse_year(request.POST.get("year"))
    if year is None or not 2000 <= year <= timezone.localdate().year + 1:
        raise field_error("year", _("Year: a year from 2000 to next year."))
    department = None
    if request.POST.get("department"):
        department = Department.objects.filter(pk=request.POST["department"], active=True).first()
        if department is None:
            raise field_error("department", _("Department: pick one from the list, or leave it empty for the whole region."))
    items = []
    for code in [appraisal.TASKS, *REGISTRY]:
        raw = (request.POST.get(f"w_{code}") or "").strip()
        if not raw:
            continue
        try:
            weight = Decimal(raw)
        except InvalidOperation:
            raise field_error("items", _("Parts: the weight of {part} must be a number above 0 (up to 1000)."),
                              part=appraisal.label(code)) from None
        items.append((code, weight))
    return unit, year, request.POST.get("name", ""), department, items


@login_required
def appraisals(request):
    """The appraisal schemes of the user's area, and a form for a new one (the 综治 office)."""
    from xinli.governance.leading import managed_units
    from xinli.regions.models import Department

    user = request.user
    if not has_capability(user, INDICATORS_VIEW):
        raise Http404
    managed = [u for u in managed_units(user) if path_in_scope(user, INDICATORS_VIEW, u.path)]
    errors = []
    if request.method == "POST":
        if not managed:
            raise Http404
        try:
            unit, year, name, department, items = _scheme_form_data(request, managed)
            scheme = appraisal.save_scheme(user, unit=unit, year=year, name=name, items=items, department=department)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("Appraisal scheme saved."))
            return redirect("indicators:appraisal", pk=scheme.pk)
    schemes = selectors.visible_schemes(user).prefetch_related("items")
    return render(request, "indicators/appraisals.html", {
        "schemes": schemes, "managed": managed, "errors": errors, "post": request.POST, "year": timezone.localdate().year,
        "departments": Department.objects.filter(active=True), "codes": [(appraisal.TASKS, appraisal.label(appraisal.TASKS))]
        + [(code, appraisal.label(code)) for code in REGISTRY]}, status=400 if errors else 200)


@login_required
def appraisal_detail(request, pk):
    """A scheme's scores for its region and each region below it, with every part; Excel with ``?format=xlsx``."""
    user = request.user
    if not has_capability(user, INDICATORS_VIEW):
        raise Http404
    try:
        scheme = selectors.visible_schemes(user).get(pk=pk)
    except appraisal.AppraisalScheme.DoesNotExist:
        raise Http404 from None
    if request.GET.get("format") == "xlsx":
        return xlsx.response(appraisal.workbook(scheme), f"appraisal-{scheme.org_unit.code}-{scheme.year}-{scheme.pk}.xlsx")
    return render(request, "indicators/appraisal.html", {"scheme": scheme, "items": list(scheme.items.all()),
                                                         "scores": appraisal.scores(scheme)})
