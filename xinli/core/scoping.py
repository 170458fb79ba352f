"""The one scoping function: which part of the org tree a user may see for a capability.

Every person-scoped row carries ``org_path`` (the materialised path of its org unit). A user sees a row when one of
their active assignments grants the capability and the row's path starts with the assignment's org-unit path.
No assignment, no rows: deny by default.
"""

from __future__ import annotations

from django.db.models import Q

from .policy import role_grants


def scope_paths(user, capability: str) -> list[str]:
    """Org-unit paths under which ``user`` holds ``capability`` (cached on the user object for the request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cache = user.__dict__.setdefault("_xinli_scope_cache", {})
    if capability not in cache:
        paths = {
            a.org_unit.path for a in user.active_assignments() if role_grants(a.role, capability)
        }
        # Drop paths already covered by a shorter one, so the OR has as few terms as possible.
        cache[capability] = sorted(p for p in paths if not any(p != q and p.startswith(q) for q in paths))
    return cache[capability]


def scope_q(user, capability: str, field: str = "org_path") -> Q:
    """A filter matching rows under the user's assignments that grant ``capability``; matches nothing otherwise."""
    paths = scope_paths(user, capability)
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


def has_capability(user, capability: str) -> bool:
    return bool(scope_paths(user, capability))


def path_in_scope(user, capability: str, path: str) -> bool:
    return any(path.startswith(p) for p in scope_paths(user, capability))
