from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets

from . import disclosure, selectors, services
from .models import Rollup
from .registry import REGISTRY


class ValueSerializer(serializers.Serializer):
    """One indicator value; decimals as strings (no float rounding), null when there is none."""

    id = serializers.IntegerField()
    indicator = serializers.CharField()
    name = serializers.CharField()
    org = serializers.CharField(help_text="org unit code")
    org_name = serializers.CharField()
    period = serializers.CharField()
    unit = serializers.ChoiceField(choices=["percent", "per_mille", "per_10000", "count", "yes_no"], allow_null=True,
                                   help_text="the unit of value and target: percent (stored as a fraction, 0.697 = 69.7 %), "
                                             "per_mille, per_10000, count or yes_no; numerator and denominator are unscaled counts")
    indicator_source = serializers.CharField(allow_blank=True, help_text='the pilot plan\'s section (e.g. "试点方案 三(八)") or "platform"')
    breakdown = serializers.CharField(allow_blank=True)
    source = serializers.CharField(allow_blank=True, help_text='"" = computed here, else the instance it was imported from')
    value = serializers.CharField(allow_null=True)
    numerator = serializers.CharField(allow_null=True)
    denominator = serializers.CharField(allow_null=True)
    target = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["green", "amber", "red"], allow_null=True)
    suppressed = serializers.ListField(child=serializers.ChoiceField(choices=["numerator", "denominator", "value"]), help_text=(
        "the fields withheld (null) by the small-cell rule for this reader: a count of persons from 1 to "
        "small_cell_threshold − 1, or a figure it could be worked out from (docs/indicators.md \"Small cells\")"))
    small_cell_threshold = serializers.IntegerField(allow_null=True, help_text=(
        "the threshold in force for the unit when the indicator counts persons; null for indicators that do not"))


@extend_schema(parameters=[OpenApiParameter("indicator", str), OpenApiParameter("org", str, description="org unit code"),
                           OpenApiParameter("period", str, description="year (2026) or month (2026-03: the year to the end of March)"),
                           OpenApiParameter("breakdown", str, description='"" (default: all people) or a category, e.g. sex=F, age=18-34; "*" for every row')])
class ValueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Indicator values from the rollups: value, numerator, denominator, target and status (green / amber / red).
    Counts of persons below the unit's small-cell threshold, and the figures they could be worked out from, are null
    for readers without rights to those persons, and named in ``suppressed``."""

    queryset = Rollup.objects.none()
    serializer_class = ValueSerializer
    scope_model = Rollup
    scope_field = "org_path"

    def get_queryset(self):
        qs = selectors.visible_rollups(self.request.user)
        p = self.request.query_params
        if p.get("indicator"):
            qs = qs.filter(indicator=p["indicator"])
        if p.get("org"):
            qs = qs.filter(org_unit__code=p["org"])
        if p.get("period"):
            qs = qs.filter(period=p["period"])
        if p.get("breakdown", "") != "*":
            qs = qs.filter(breakdown=p.get("breakdown", ""))
        return qs.order_by("indicator", "org_path")

    def list(self, request, *args, **kwargs):
        page = disclosure.apply(request.user, self.paginate_queryset(self.get_queryset()))
        rows = []
        targets = {}
        for r in page:
            key = (r.org_unit_id, r.period[:4])
            if key not in targets:
                targets[key] = services.targets_for(r.org_unit, int(r.period[:4]))
            target = targets[key].get(r.indicator)
            rows.append({"id": r.pk, "indicator": r.indicator, "name": REGISTRY[r.indicator].zh if r.indicator in REGISTRY else r.indicator,
                         "unit": REGISTRY[r.indicator].unit if r.indicator in REGISTRY else None,
                         "indicator_source": REGISTRY[r.indicator].source if r.indicator in REGISTRY else "",
                         "org": r.org_unit.code, "org_name": r.org_unit.name, "period": r.period, "breakdown": r.breakdown, "source": r.source,
                         "value": _s(r.value), "numerator": _s(r.numerator), "denominator": _s(r.denominator), "target": _s(target),
                         "status": services.status(r.indicator, r.value, target) if r.indicator in REGISTRY else None,
                         "suppressed": disclosure.suppressed(r), "small_cell_threshold": getattr(r, "cell_limit", None)})
        return self.get_paginated_response(ValueSerializer(rows, many=True).data)


def _s(value) -> str | None:
    """Decimals as strings, like every other decimal in the API (no float rounding)."""
    if value is None:
        return None
    if hasattr(value, "to_integral") and value == value.to_integral():
        return str(int(value))
    return str(value)
