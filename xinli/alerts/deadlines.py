"""Who must act on an alert and by when: the crisis team's unit, and per-region deadlines (DOMAIN.md §7)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from xinli.core.policy import ALERTS_WORK, GRANTS
from xinli.regions.models import OrgUnit

from .models import DeadlinePolicy, Level

# Minutes: (acknowledge within, first contact within). A region overrides them with DeadlinePolicy rows.
DEFAULT_DEADLINES = {
    Level.RED: (15, 2 * 60),
    Level.ORANGE: (4 * 60, 24 * 60),
    Level.YELLOW: (3 * 24 * 60, 7 * 24 * 60),
}

TEAM_ROLES = sorted(role for role, grant in GRANTS.items() if ALERTS_WORK in grant.capabilities)


def deadlines(level: str, unit: OrgUnit) -> tuple[timedelta, timedelta]:
    """The deadlines of ``level`` for alerts owned at ``unit``: the nearest ancestor's policy, else the defaults
    (``XINLI_ALERT_DEADLINES`` in settings may replace the defaults platform-wide)."""
    ids = unit.ancestor_ids
    policies = {p.org_unit_id: p for p in DeadlinePolicy.objects.filter(org_unit_id__in=ids, level=level)}
    for uid in reversed(ids):
        if uid in policies:
            # At least one minute to acknowledge: a zero deadline would be overdue the moment it is set.
            return timedelta(minutes=max(1, policies[uid].ack_minutes)), timedelta(minutes=policies[uid].contact_minutes)
    defaults = {**DEFAULT_DEADLINES, **getattr(settings, "XINLI_ALERT_DEADLINES", {})}
    ack, contact = defaults[level]
    return timedelta(minutes=ack), timedelta(minutes=contact)


def team_unit(unit: OrgUnit, *, above: bool = False) -> OrgUnit | None:
    """The nearest unit at (or, with ``above``, strictly above) ``unit`` that has a crisis team, i.e. an active user
    with an active assignment granting ``alerts.work`` there. Levels without a team are skipped."""
    from xinli.accounts.models import Assignment

    ids = unit.ancestor_ids[:-1] if above else unit.ancestor_ids
    with_team = set(
        Assignment.objects.filter(active=True, user__is_active=True, role__in=TEAM_ROLES, org_unit_id__in=ids)
        .values_list("org_unit_id", flat=True)
    )
    for uid in reversed(ids):
        if uid in with_team:
            return OrgUnit.objects.get(pk=uid)
    return None


def team_members(unit: OrgUnit) -> list:
    """The crisis team of ``unit``: active users with an active ``alerts.work`` assignment exactly there."""
    from xinli.accounts.models import User

    return list(User.objects.filter(is_active=True, assignments__active=True, assignments__org_unit=unit,
                                    assignments__role__in=TEAM_ROLES).distinct())
