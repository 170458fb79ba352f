"""Reads of accounts, scoped to the administrator asking."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from xinli.core.policy import ACCOUNTS_MANAGE, SECURITY_MANAGE
from xinli.core.scoping import scope_q

from .models import Assignment, User


def users_in_scope(user, capability: str) -> QuerySet[User]:
    """Users holding an assignment inside the part of the tree where ``user`` has ``capability``."""
    return (
        User.objects.filter(scope_q(user, capability, field="assignments__org_unit__path"))
        .distinct()
        .order_by("username")
        .prefetch_related("assignments__org_unit", "assignments__department")
    )


def managed_user(user, username: str) -> User | None:
    return users_in_scope(user, SECURITY_MANAGE).filter(username=username).first()


def locked_accounts() -> list:
    from axes.models import AccessAttempt

    return list(AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT).order_by("-attempt_time")[:200])


def assignments_in_scope(user, capability: str = ACCOUNTS_MANAGE):
    """Active assignments and pending role requests inside the part of the tree where ``user`` has ``capability``."""
    rows = Assignment.objects.filter(scope_q(user, capability, field="org_unit__path"))
    return rows.filter(active=True) | rows.filter(pending=True)


def pending_requests(user):
    """Role requests awaiting the security administrator's approval, inside ``user``'s area."""
    return Assignment.objects.filter(scope_q(user, SECURITY_MANAGE, field="org_unit__path"), pending=True).order_by("granted_at")


def own_tokens(user):
    """``user``'s API tokens, newest first (the keys are never stored, only their hash and first 8 characters)."""
    from .models import ApiToken

    return ApiToken.objects.filter(user=user).order_by("-created_at")
