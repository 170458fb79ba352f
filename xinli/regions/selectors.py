"""Reads of the org-unit tree, always scoped to a user (``regions.view``)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from xinli.core.ids import parse_id
from xinli.core.scoping import scope_paths, scope_q

from .models import OrgUnit


def visible_units(user) -> QuerySet[OrgUnit]:
    """Current units at or below the user's assignments. Who may call: any logged-in staff user."""
    return OrgUnit.objects.filter(scope_q(user, "regions.view", field="path"), valid_to__isnull=True)


def top_units(user) -> QuerySet[OrgUnit]:
    """The units the user is assigned to (the roots of what they can browse)."""
    paths = scope_paths(user, "regions.view")
    return OrgUnit.objects.filter(path__in=paths).order_by("code")


def get_unit(user, pk) -> OrgUnit:
    """One visible unit, or ``OrgUnit.DoesNotExist`` (answer 404) when outside the user's scope."""
    return visible_units(user).get(pk=pk)


def children(user, unit: OrgUnit) -> QuerySet[OrgUnit]:
    return visible_units(user).filter(parent=unit).order_by("code")


def search_units(user, q: str) -> QuerySet[OrgUnit]:
    q = (q or "").strip()
    if not q:
        return visible_units(user).none()
    if parse_id(q) is not None:  # a code or its beginning (ASCII digits)
        return visible_units(user).filter(code__startswith=q).order_by("code")
    return visible_units(user).filter(Q(name__icontains=q)).order_by("level", "code")


def ancestors(unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors, root first (names and codes only: org units are not personal data)."""
    ids = unit.ancestor_ids[:-1]
    by_id = OrgUnit.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def unit_by_code(code: str) -> OrgUnit | None:
    return OrgUnit.objects.filter(code=code, valid_to__isnull=True).first()
