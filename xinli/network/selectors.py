"""Reads of the service network. Institutions and sites are not personal data: anyone with ``regions.view`` over
the unit sees them (the portal will show active sites to residents). Staff records are personal: only
``network.manage`` over the unit, and each list or record shown is audited."""

from __future__ import annotations

from django.db.models import QuerySet

from xinli.accounts.policy import NETWORK_MANAGE, REGIONS_VIEW
from xinli.core import audit
from xinli.core.scoping import scope_q

from .models import Institution, Site, Staff


def visible_institutions(user) -> QuerySet[Institution]:
    return Institution.objects.filter(scope_q(user, REGIONS_VIEW)).select_related("org_unit")


def visible_sites(user) -> QuerySet[Site]:
    return Site.objects.filter(scope_q(user, REGIONS_VIEW)).select_related("org_unit", "institution").prefetch_related("statuses")


def visible_staff(user) -> QuerySet[Staff]:
    return Staff.objects.filter(scope_q(user, NETWORK_MANAGE)).select_related("employer", "org_unit").prefetch_related("certificates")


def record_staff_listing(user, staff) -> None:
    for s in staff:
        audit.record(user, audit.Action.READ, obj=s, org_path=s.org_path, purpose="workforce")


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine) in kilometres, for "nearest site" lists."""
    import math

    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))
