"""Reads of the audit log, for the audit administrator only."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from xinli.core.ids import parse_id
from xinli.core.policy import AUDIT_VIEW
from xinli.core.scoping import scope_paths

from .models import AuditEntry


def audit_entries(user, *, actor: str = "", action: str = "", person_id: str = "", object_type: str = "",
                  date_from: datetime.date | None = None, date_to: datetime.date | None = None,
                  person_ids: list[int] | None = None) -> QuerySet[AuditEntry]:
    """Audit entries the audit administrator may see: events about persons in their area, and events with no
    person (logins, security changes) when they hold the role at the top of the tree. ``person_ids``: only entries
    about these persons (the viewer's search by name or ID number)."""
    paths = scope_paths(user, AUDIT_VIEW)
    if not paths:
        return AuditEntry.objects.none()
    from django.db.models import Q

    scope = Q()
    for p in paths:
        scope |= Q(org_path__startswith=p)
    if any(p.count("/") <= 2 for p in paths):  # assigned at a root unit: sees non-person events too
        scope |= Q(org_path="")
    qs = AuditEntry.objects.filter(scope)
    if actor:
        qs = qs.filter(actor_username=actor)
    if action:
        qs = qs.filter(action=action)
    if parse_id(person_id) is not None:
        qs = qs.filter(person_id=parse_id(person_id))
    if person_ids is not None:
        qs = qs.filter(person_id__in=person_ids)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    return qs.order_by("-seq")
