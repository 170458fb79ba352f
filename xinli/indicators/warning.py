"""Early warning (社会心态预测预警): daily and weekly series per county, aberration detection, stored signals, their
review, and the written risk assessments (分析研判).

Series (per local day, by the resident's or the subject's unit):
* ``alerts_red_orange`` — red and orange alerts raised;
* ``screening_positive`` — assessments with severity ≥ 2 (moderate or worse);
* ``hotline_crisis`` — hotline calls of category crisis or suicide risk (by the line's county; a city line counts
  for the city only);
* ``extreme_incidents`` — extreme incidents recorded in the register (``ExtremeIncident``, by the incident's date);
* ``screening_positive_rate`` — assessments with severity ≥ 2 ÷ assessments × 100 (a percentage);
* ``screening_mean_severity`` — the mean severity band (0 none … 3 severe, the same scale for every instrument).

The two screening ratios are *missing* (``None``) on a day (or week) with fewer than ``rate_min_n`` assessments
(default 5, setting ``XINLI_EARS``): a day without screening is not a day with a 0 % rate, and a rate of 1 of 2 is
noise. The methods run on the days that have a value (the baseline is the previous observed days), and a missing
day raises no signal. CUSUM is not run on the mean severity (its z = (y − m)/√m assumes counts); C1–C3 are, with σ
floored at 0.1 band instead of 0.5.

Weekly series are the same sums over ISO weeks (Monday to Sunday), the last ``WEEKS`` weeks up to a given week; a
weekly signal has ``day`` = the week's Monday and the series name suffixed ``:week``.

``detect(day)`` runs C1, C2, C3 and CUSUM on the last 30 days of each series of each county (``detect(day,
weekly=True)`` on the last 16 weeks up to the week of ``day``) and stores one signal per (county, series, method,
day) that alarms on ``day`` (or that week). Analysts confirm or dismiss a signal (dismissal needs a reason) and
write risk assessments citing signals.
"""

from __future__ import annotations

import datetime
from dataclasses import replace
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core import audit
from xinli.core.forms import form_pk
from xinli.core.i18n import field_error
from xinli.core.policy import INDICATORS_VIEW
from xinli.core.scoping import path_in_scope
from xinli.regions.models import OrgUnit

from . import aberration
from .models import RiskAssessment, Signal

WINDOW = 30
WEEKS = 16
WEEK_SUFFIX = ":week"
METHODS = ("C1", "C2", "C3", "CUSUM")
COUNT_SERIES = ("alerts_red_orange", "screening_positive", "hotline_crisis", "extreme_incidents")
RATIO_SERIES = ("screening_positive_rate", "screening_mean_severity")
SERIES = COUNT_SERIES + RATIO_SERIES
SERIES_METHODS = {"screening_mean_severity": ("C1", "C2", "C3")}
SERIES_PARAMS = {"screening_mean_severity": {"min_sigma": 0.1}}
# Weekly series: CUSUM's baseline is weeks t−9 … t−2 (at least 4 of them): the daily lag of a week is two weeks.
WEEKLY_PARAMS = {"cusum_lag": 2, "cusum_span": 8, "cusum_min_baseline": 4}
LEAD = aberration.CUSUM_LEAD  # days before the window fetched so that its first days have a full CUSUM baseline
RATE_MIN_N = 5
SERIES_LABELS = {
    "alerts_red_orange": _("red and orange alerts"),
    "screening_positive": _("screening results moderate or worse"),
    "hotline_crisis": _("hotline crisis calls"),
    "extreme_incidents": _("extreme incidents"),
    "screening_positive_rate": _("screening positive rate (%)"),
    "screening_mean_severity": _("mean screening severity (band 0–3)"),
}


def rate_min_n() -> int:
    return int(getattr(settings, "XINLI_EARS", {}).get("rate_min_n", RATE_MIN_N))


def series_label(name: str) -> str:
    """The display name of a stored series name (``hotline_crisis`` or ``hotline_crisis:week``)."""
    base, weekly = (name[: -len(WEEK_SUFFIX)], True) if name.endswith(WEEK_SUFFIX) else (name, False)
    label = str(SERIES_LABELS.get(base, base))
    return f"{label} · {_('weekly')}" if weekly else label


def week_start(day: datetime.date) -> datetime.date:
    """The Monday of the ISO week of ``day``."""
    return day - datetime.timedelta(days=day.weekday())


def _daily(unit: OrgUnit, name: str, start: datetime.date, days: int) -> tuple[list, list | None]:
    """Per local day from ``start``: the numerator and, for a ratio series, the denominator (else None)."""
    end = start + datetime.timedelta(days=days - 1)
    lo = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    hi = timezone.make_aware(datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min))
    tz = timezone.get_current_timezone()

    def by_day(qs, field, **aggregates):
        return {row["d"]: row for row in qs.order_by().annotate(d=TruncDate(field, tzinfo=tz)).values("d").annotate(**aggregates)}

    den = None
    if name == "alerts_red_orange":
        from xinli.alerts.models import Alert

        rows = by_day(Alert.objects.filter(org_path__startswith=unit.path, level__in=["red", "orange"], created_at__gte=lo,
                                           created_at__lt=hi), "created_at", n=Count("pk"))
    elif name == "screening_positive":
        from xinli.screening.models import Assessment

        rows = by_day(Assessment.objects.filter(org_path__startswith=unit.path, severity__gte=2, taken_at__gte=lo, taken_at__lt=hi),
                      "taken_at", n=Count("pk"))
    elif name == "hotline_crisis":
        from xinli.hotline.models import Call

        rows = by_day(Call.objects.filter(org_path__startswith=unit.path, category__in=["crisis", "suicide_risk"], started_at__gte=lo,
                                          started_at__lt=hi), "started_at", n=Count("pk"))
    elif name == "extreme_incidents":
        from .models import ExtremeIncident

        rows = {row["date"]: row for row in ExtremeIncident.objects.filter(org_path__startswith=unit.path, date__gte=start, date__lte=end)
                .order_by().values("date").annotate(n=Count("pk"))}
    elif name in RATIO_SERIES:
        from xinli.screening.models import Assessment

        rows = by_day(Assessment.objects.filter(org_path__startswith=unit.path, taken_at__gte=lo, taken_at__lt=hi), "taken_at",
                      all=Count("pk"), pos=Count("pk", filter=Q(severity__gte=2)), sev=Sum("severity"))
        field = "pos" if name == "screening_positive_rate" else "sev"
        dates = [start + datetime.timedelta(days=i) for i in range(days)]
        return [(rows[d][field] or 0) if d in rows else 0 for d in dates], [rows[d]["all"] if d in rows else 0 for d in dates]
    else:
        raise ValueError(name)
    return [rows[start + datetime.timedelta(days=i)]["n"] if start + datetime.timedelta(days=i) in rows else 0
            for i in range(days)], den


def _values(name: str, num: list, den: list | None) -> list:
    if den is None:
        return num
    min_n = rate_min_n()
    scale = 100 if name == "screening_positive_rate" else 1
    return [round(scale * a / n, 3) if n >= min_n else None for a, n in zip(num, den, strict=True)]


def series(unit: OrgUnit, name: str, end: datetime.date, days: int = WINDOW) -> list:
    """The daily values of a series for the ``days`` days up to ``end`` (counts; a ratio series may hold None)."""
    num, den = _daily(unit, name, end - datetime.timedelta(days=days - 1), days)
    return _values(name, num, den)


def weekly_series(unit: OrgUnit, name: str, week: datetime.date, weeks: int = WEEKS) -> list:
    """The weekly values of a series for the ``weeks`` ISO weeks up to the week of ``week`` (sums over Monday to
    Sunday; a ratio series is the week's numerator ÷ the week's denominator)."""
    start = week_start(week) - datetime.timedelta(weeks=weeks - 1)
    num, den = _daily(unit, name, start, 7 * weeks)
    wnum = [sum(num[i:i + 7]) for i in range(0, 7 * weeks, 7)]
    wden = [sum(den[i:i + 7]) for i in range(0, 7 * weeks, 7)] if den is not None else None
    return _values(name, wnum, wden)


def evaluate(name: str, values: list) -> dict[str, list[aberration.Point]]:
    """Every method of the series on its values: the points of the days with a value, ``t`` being the day's index in
    ``values`` (missing days are left out of the baselines)."""
    weekly = name.endswith(WEEK_SUFFIX)
    base = name[: -len(WEEK_SUFFIX)] if weekly else name
    index = [i for i, v in enumerate(values) if v is not None]
    y = [values[i] for i in index]
    overrides = {**(WEEKLY_PARAMS if weekly else {}), **SERIES_PARAMS.get(base, {})}
    return {method: [replace(p, t=index[p.t]) for p in aberration.METHODS[method](y, **overrides)]
            for method in SERIES_METHODS.get(base, METHODS)}


def _d(x: float) -> Decimal:
    return Decimal(str(round(x, 3)))


def detect(day: datetime.date | None = None, units=None, *, weekly: bool = False) -> list[Signal]:
    """Store the alarms of ``day`` (or, weekly, of the ISO week of ``day``: ``day`` becomes its Monday) for every
    current city and county (or the units given). Idempotent: one signal per unit, series, method and day."""
    day = day or timezone.localdate()
    if weekly:
        day = week_start(day)
    units = list(units) if units is not None else list(OrgUnit.objects.filter(level__in=["city", "county"], valid_to__isnull=True))
    created = []
    for unit in units:
        for name in SERIES:
            values = weekly_series(unit, name, day) if weekly else series(unit, name, day, WINDOW + LEAD)
            for method, points in evaluate(name + (WEEK_SUFFIX if weekly else ""), values).items():
                last = points[-1] if points else None
                if last is None or last.t != len(values) - 1 or not last.alarm:
                    continue
                sig, new = Signal.objects.get_or_create(
                    org_unit=unit, series=name + (WEEK_SUFFIX if weekly else ""), method=method, day=day, defaults={
                        "org_path": unit.path, "observed": _d(last.observed), "expected": _d(last.expected),
                        "threshold": _d(last.threshold), "statistic": _d(last.statistic)})
                if new:
                    created.append(sig)
    return created


def chart(unit: OrgUnit, name: str, end: datetime.date, days: int = WINDOW) -> dict:
    """The last ``days`` daily values of a series up to ``end`` and its alarm days (any method), for the warning
    page. The methods see ``LEAD`` more days before the window so that its first days have a full baseline."""
    lead = LEAD
    values = series(unit, name, end, days + lead)
    alarms: dict[int, list[str]] = {}
    for method, points in evaluate(name, values).items():
        for p in points:
            if p.alarm and p.t >= lead:
                alarms.setdefault(p.t - lead, []).append(method)
    start = end - datetime.timedelta(days=days - 1)
    return {"name": name, "label": str(SERIES_LABELS[name]),
            "labels": [(start + datetime.timedelta(days=i)).strftime("%m-%d") for i in range(days)],
            "values": values[lead:], "alarms": [[i, values[lead + i], " ".join(m)] for i, m in sorted(alarms.items())]}


def review(actor, signal: Signal, *, confirm: bool, reason: str = "") -> Signal:
    if not path_in_scope(actor, INDICATORS_VIEW, signal.org_path):
        raise PermissionDenied
    if not confirm and not (reason or "").strip():
        raise field_error("reason", _("Reason: say why the signal is dismissed."))
    with transaction.atomic():
        if Signal.objects.filter(pk=signal.pk, state=Signal.State.NEW).update(
                state=Signal.State.CONFIRMED if confirm else Signal.State.DISMISSED, reason=(reason or "").strip()[:500],
                reviewed_by=actor, reviewed_at=timezone.now()) != 1:
            raise field_error("state", _("Signal: already reviewed."))
        signal.refresh_from_db()
        audit.record(actor, audit.Action.UPDATE, object_type="indicators.signal", object_id=str(signal.pk), org_path=signal.org_path,
                     detail={"state": signal.state})
    return signal


def as_date(value) -> datetime.date | None:
    """A date given as a date or as ``YYYY-MM-DD`` text; None for anything else (never an exception)."""
    if isinstance(value, datetime.datetime):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


MAX_TEXT = 10000


def write_assessment(actor, *, org_unit: OrgUnit, period_start, period_end, level: str, findings: str, measures: str = "",
                     signal_ids=()) -> RiskAssessment:
    """Store a written risk assessment (分析研判) of ``org_unit`` for a period of at most a year ending at the latest
    today, citing signals of the unit and the units below. Analysts (``indicators.view`` over the unit); audited.
    Every problem is reported at once, on its field, and nothing is written."""
    if org_unit is None or not path_in_scope(actor, INDICATORS_VIEW, org_unit.path):
        raise PermissionDenied

    errors: dict = {}

    def error(field, message):
        errors.setdefault(field, []).extend(field_error(field, message).error_dict[field])

    today = timezone.localdate()
    start, end = as_date(period_start), as_date(period_end)
    if start is None:
        error("period_start", _("From: a date in the form YYYY-MM-DD."))
    if end is None or end > today:
        error("period_end", _("To: a date in the form YYYY-MM-DD, today or earlier."))
    if start is not None and end is not None and end <= today:
        if start > end:
            error("period_start", _("From: on or before the end of the period."))
        elif (end - start).days > 365:
            error("period_end", _("To: a period of at most one year; split a longer one."))
    if level not in RiskAssessment.Level.values:
        error("level", _("Risk level: choose low, moderate or high."))
    findings, measures = (findings or "").strip(), (measures or "").strip()
    if not 10 <= len(findings) <= MAX_TEXT:
        error("findings", _("Findings: write what the signals and figures show (10 to 10,000 characters)."))
    if len(measures) > MAX_TEXT:
        error("measures", _("Measures: at most 10,000 characters; shorten the text."))
    ids = {form_pk(x) for x in signal_ids or ()}
    signals = list(Signal.objects.filter(pk__in=ids, org_path__startswith=org_unit.path)) if ids else []
    if 0 in ids or len(signals) != len(ids):
        error("signals", _("Signals: choose only signals of this unit and the units below."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        ra = RiskAssessment.objects.create(org_unit=org_unit, org_path=org_unit.path, period_start=start, period_end=end, level=level,
                                           findings=findings, measures=measures, author=actor)
        ra.signals.set(signals)
        audit.record(actor, audit.Action.CREATE, obj=ra, org_path=org_unit.path,
                     detail={"level": level, "period": f"{start}/{end}", "signals": sorted(s.pk for s in signals)})
    return ra
