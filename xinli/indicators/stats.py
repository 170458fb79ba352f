"""Indicator data exchanged with other instances in a period (the annual work summary reads it), from the audit log:
each federation export (``export_indicators``, action ``export``) and import (``import_indicators``, action
``create``) is one entry of object type ``indicators.federation`` whose org path is the document's root and whose
detail counts its values (``rows``). Aggregates only."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q

from xinli.core.models import AuditEntry
from xinli.core.periods import year_span
from xinli.regions.models import path_prefixes

FEDERATION_OBJECT = "indicators.federation"


@dataclass
class Exchanges:
    exports: int = 0  # documents sent up to a higher instance
    exported_values: int = 0
    imports: int = 0  # documents received from lower instances
    imported_values: int = 0


def exchanges(unit, year: int, as_of: datetime.date) -> Exchanges:
    """Exports and imports made in the period whose document held the unit's values: the root is the unit, a unit
    above it or a unit under it."""
    lo, hi = year_span(year, as_of)
    out = Exchanges()
    for action, detail in AuditEntry.objects.filter(
            Q(org_path__startswith=unit.path) | Q(org_path__in=path_prefixes(unit.path)), object_type=FEDERATION_OBJECT,
            action__in=[AuditEntry.Action.EXPORT, AuditEntry.Action.CREATE], outcome="success", at__gte=lo, at__lt=hi).values_list(
            "action", "detail"):
        rows = int((detail or {}).get("rows") or 0)
        if action == AuditEntry.Action.EXPORT:
            out.exports += 1
            out.exported_values += rows
        else:
            out.imports += 1
            out.imported_values += rows
    return out
