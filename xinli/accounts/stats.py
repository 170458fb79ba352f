"""How an area uses the platform in a period (the annual work summary reads it): its accounts, those that were
active, and the org units whose own accounts were. Counts only; nothing here returns a user or a name.

An account of the area is an enabled user holding an active role assignment at the unit or a unit under it. It was
*active* in the period when the audit log holds an entry it made from 1 January to ``as_of`` (a sign-in or any
recorded action). A unit is *live* when an account assigned at that very unit was active."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from xinli.core.models import AuditEntry
from xinli.core.periods import year_span
from xinli.regions.models import OrgUnit, valid_on

from .models import Assignment

_CHUNK = 500


@dataclass
class PlatformUse:
    accounts: int = 0
    active_accounts: int = 0
    units: dict[str, tuple[int, int]] = field(default_factory=dict)  # level -> (live units, units existing on as_of)


def platform_use(unit, year: int, as_of: datetime.date) -> PlatformUse:
    lo, hi = year_span(year, as_of)
    held = defaultdict(set)  # user id -> the units where it holds a role
    for user_id, unit_id in Assignment.objects.filter(active=True, user__is_active=True, org_unit__path__startswith=unit.path).values_list(
            "user_id", "org_unit_id"):
        held[user_id].add(unit_id)
    ids = sorted(held)
    active = set()
    for i in range(0, len(ids), _CHUNK):  # the audit log stays on the primary (docs/deploy.md, read replica)
        active |= set(AuditEntry.objects.filter(at__gte=lo, at__lt=hi, actor_id__in=ids[i:i + _CHUNK]).order_by()
                      .values_list("actor_id", flat=True).distinct())
    live = {u for user_id in active for u in held[user_id]}
    out = PlatformUse(accounts=len(ids), active_accounts=len(active))
    totals: dict[str, list[int]] = {}
    for pk, level in OrgUnit.objects.filter(valid_on(as_of), path__startswith=unit.path).values_list("pk", "level"):
        cell = totals.setdefault(level, [0, 0])
        cell[0] += pk in live
        cell[1] += 1
    out.units = {level: (n, total) for level, (n, total) in totals.items()}
    return out
