"""Rollups (rebuild), targets as data (with history) and the status of a value against its target."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.accounts.policy import INDICATORS_MANAGE
from xinli.core import audit
from xinli.core.i18n import field_error
from xinli.core.scoping import path_in_scope
from xinli.regions.models import OrgUnit

from .models import Rollup, Target
from .registry import REGISTRY

AMBER_SHARE = Decimal("0.9")  # within 10 % of the target


def rebuild(year: int, *, units=None, codes=None) -> int:
    """Recompute every registered indicator for every applicable current org unit (or those given) and the year."""
    units = list(units) if units is not None else list(OrgUnit.objects.filter(valid_to__isnull=True, level__in=["city", "county", "township"]))
    now = timezone.now()
    n = 0
    for code, ind in REGISTRY.items():
        if codes and code not in codes:
            continue
        for unit in units:
            if unit.level not in ind.levels:
                continue
            num, den = ind.compute(unit, year)
            if den is None:
                value = Decimal(num) if num is not None else None
            else:
                value = (Decimal(num) / Decimal(den)).quantize(Decimal("0.000001"), ROUND_HALF_UP) if den else None
            Rollup.objects.update_or_create(indicator=code, period=str(year), org_unit=unit, defaults={
                "org_path": unit.path, "numerator": num, "denominator": den, "value": value, "computed_at": now})
            n += 1
    return n


def target_for(code: str, unit: OrgUnit, year: int) -> Decimal | None:
    """The latest target row for the unit or its nearest ancestor, else the platform-wide row, else the default."""
    rows = {t.org_unit_id: t for t in reversed(list(Target.objects.filter(indicator=code, year=year)))}  # latest wins
    for uid in reversed(unit.ancestor_ids):
        if uid in rows:
            return rows[uid].value
    if None in rows:
        return rows[None].value
    return REGISTRY[code].target


def status(code: str, value, target) -> str | None:
    if value is None or target is None:
        return None
    value, target = Decimal(value), Decimal(target)
    good = value >= target if REGISTRY[code].higher_is_better else value <= target
    if good:
        return "green"
    near = value >= target * AMBER_SHARE if REGISTRY[code].higher_is_better else value <= target / AMBER_SHARE
    return "amber" if near else "red"


def set_target(actor, *, code: str, unit: OrgUnit, year: int, value) -> Target:
    if code not in REGISTRY:
        raise field_error("indicator", _("Indicator: unknown code."))
    if not path_in_scope(actor, INDICATORS_MANAGE, unit.path):
        raise PermissionDenied
    try:
        value = Decimal(str(value))
    except Exception:  # noqa: BLE001 — any unparsable value is one clear error
        raise field_error("value", _("Target: a number, e.g. 0.8 for 80 %.")) from None
    if value < 0:
        raise field_error("value", _("Target: a number, e.g. 0.8 for 80 %."))
    with transaction.atomic():
        t = Target.objects.create(indicator=code, org_unit=unit, year=year, value=value, set_by=actor)
        audit.record(actor, audit.Action.UPDATE, object_type="indicators.target", object_id=f"{code}:{unit.code}:{year}",
                     org_path=unit.path, detail={"value": str(value)})
    return t
