"""Early warning (社会心态预测预警): daily series per county, aberration detection, stored signals and their review.

Series (counts per local day, by the resident's or the subject's county):
* ``alerts_red_orange`` — red and orange alerts raised;
* ``screening_positive`` — assessments with severity ≥ 2 (moderate or worse);
* ``hotline_crisis`` — hotline calls of category crisis or suicide risk (by the line's county; a city line counts
  for the city only).

``detect(day)`` runs C1, C3 and CUSUM on the last 30 days of each series of each county and stores one signal per
(county, series, method, day) that alarms on ``day``. Analysts confirm or dismiss a signal (dismissal needs a reason).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.accounts.policy import INDICATORS_VIEW
from xinli.core import audit
from xinli.core.i18n import field_error
from xinli.core.scoping import path_in_scope
from xinli.regions.models import OrgUnit

from . import aberration
from .models import Signal

WINDOW = 30
METHODS = ("C1", "C3", "CUSUM")


def _local_days(values, start: datetime.date, days: int) -> list[int]:
    counts = [0] * days
    for when in values:
        d = timezone.localtime(when).date() if isinstance(when, datetime.datetime) else when
        i = (d - start).days
        if 0 <= i < days:
            counts[i] += 1
    return counts


def series(unit: OrgUnit, name: str, end: datetime.date, days: int = WINDOW) -> list[int]:
    start = end - datetime.timedelta(days=days - 1)
    lo = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    hi = timezone.make_aware(datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min))
    if name == "alerts_red_orange":
        from xinli.alerts.models import Alert

        times = Alert.objects.filter(org_path__startswith=unit.path, level__in=["red", "orange"], created_at__gte=lo,
                                     created_at__lt=hi).values_list("created_at", flat=True)
    elif name == "screening_positive":
        from xinli.screening.models import Assessment

        times = Assessment.objects.filter(org_path__startswith=unit.path, severity__gte=2, taken_at__gte=lo,
                                          taken_at__lt=hi).values_list("taken_at", flat=True)
    elif name == "hotline_crisis":
        from xinli.hotline.models import Call

        times = Call.objects.filter(org_path__startswith=unit.path, category__in=["crisis", "suicide_risk"], started_at__gte=lo,
                                    started_at__lt=hi).values_list("started_at", flat=True)
    else:
        raise ValueError(name)
    return _local_days(times, start, days)


SERIES = ("alerts_red_orange", "screening_positive", "hotline_crisis")


def detect(day: datetime.date | None = None, units=None) -> list[Signal]:
    day = day or timezone.localdate()
    units = list(units) if units is not None else list(OrgUnit.objects.filter(level__in=["city", "county"], valid_to__isnull=True))
    created = []
    for unit in units:
        for name in SERIES:
            y = series(unit, name, day)
            for method in METHODS:
                points = aberration.METHODS[method](y)
                last = points[-1] if points else None
                if last is None or last.t != len(y) - 1 or not last.alarm:
                    continue
                sig, new = Signal.objects.get_or_create(org_unit=unit, series=name, method=method, day=day, defaults={
                    "org_path": unit.path, "observed": Decimal(str(round(last.observed, 3))),
                    "expected": Decimal(str(round(last.expected, 3))), "threshold": Decimal(str(round(last.threshold, 3))),
                    "statistic": Decimal(str(round(last.statistic, 3)))})
                if new:
                    created.append(sig)
    return created


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
