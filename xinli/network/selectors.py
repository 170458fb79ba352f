"""Reads of the service network. Institutions and sites are not personal data: anyone with ``regions.view`` over
the unit sees them (the portal will show active sites to residents). Staff records are personal: only
``network.manage`` over the unit, and each list or record shown is audited."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from xinli.core import audit
from xinli.core.policy import NETWORK_MANAGE, REGIONS_VIEW
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


def public_sites(kinds) -> QuerySet[Site]:
    """Sites open today of the given kinds, for the public portal (sites are not personal data: no user scope)."""
    from .models import SiteStatus

    active = SiteStatus.objects.filter(status=SiteStatus.Status.ACTIVE, end__isnull=True).values("site_id")
    return Site.objects.filter(kind__in=kinds, pk__in=active).select_related("org_unit").order_by("org_path", "name")


def sites_near(sites: QuerySet[Site], lat: float, lng: float, *, limit: int | None = 50, with_unlocated: bool = False) -> list[Site]:
    """The sites of ``sites`` nearest to (lat, lng) first, each with ``distance_km`` (1 decimal). With a ``limit``,
    candidates come from a box around the point that is widened until the ``limit``-th nearest lies inside the circle
    the box contains — so a province's sites are never all loaded, and none nearer is missed. ``with_unlocated`` adds
    the sites without coordinates at the end (``distance_km`` None), for an area's full list."""
    import math

    located = sites.filter(latitude__isnull=False, longitude__isnull=False)
    stretch = 1 / max(math.cos(math.radians(lat)), 0.1)  # a degree of longitude is shorter away from the equator
    found: list[Site] = []
    for half in (0.25, 0.5, 1, 2, 4, 8, None):
        if limit is None or half is None:
            candidates = located
        else:
            candidates = located.filter(latitude__range=(lat - half, lat + half),
                                        longitude__range=(lng - half * stretch, lng + half * stretch))
        found = list(candidates)
        for site in found:
            site.distance_km = round(distance_km(lat, lng, float(site.latitude), float(site.longitude)), 1)
        found.sort(key=lambda s: (s.distance_km, s.name))
        if limit is None or half is None or (len(found) >= limit and found[limit - 1].distance_km <= half * 111.0):
            break
    if limit is not None:
        found = found[:limit]
    if with_unlocated:
        rest = list(sites.filter(Q(latitude__isnull=True) | Q(longitude__isnull=True)))
        for site in rest:
            site.distance_km = None
        found += rest
    return found
