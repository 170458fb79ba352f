"""Indicator T08 — 24 小时公益心理援助平台 + 心理危机干预队伍 (pilot plan 二.4、三(六)): the one home of its rule.

A city or county meets T08 on the period end ``as_of`` when both hold:

* **a 24-hour line**: a hotline (or platform) registered at the unit or at a unit above it is open 24 hours a day,
  7 days a week (``Line.hours_per_day`` = 24 and ``Line.days_per_week`` = 7; an 18-hour line does not count);
* **a ready crisis team**: an active team registered at the unit or above (``CrisisTeam``; one user holding the
  crisis-team role is not a team) has on ``as_of`` at least ``min_team_members(unit)`` members, a leader, and an
  on-call shift covering that day.

Choices where the plan is silent (docs/indicators.md): a member counts on the days from ``since`` to the day before
``until``; a shift covers the day when it overlaps any part of it (from 00:00 to 24:00 local time) and its member
belonged to the team that day; the leader and the team's ``active`` flag are read as they are now (neither keeps a
history). Lines keep no history either: a line's present service time applies to past periods.

``t08_detail`` gives the reasons in the reader's language for the pages ("热线 … 每日服务 18 小时（需 24 小时）",
"危机干预队伍 … 成员 2 人（至少 3 人）", "… 无覆盖 2026-03-01 的值班"); the registry's row T08 computes with ``compute``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core.policy import INDICATORS_MANAGE
from xinli.hotline.models import Line
from xinli.regions import parameters
from xinli.regions.models import OrgUnit

from .models import CrisisTeam, CrisisTeamMember, OnCallShift


def min_team_members(unit: OrgUnit) -> int:
    """The region parameter ``crisis_team_min_members``: the fewest members a crisis team needs for T08 (default 3)."""
    return int(parameters.parameter(unit, "crisis_team_min_members"))


parameters.register(parameters.Known(
    "crisis_team_min_members", int, lambda: 3, 1, 100, INDICATORS_MANAGE, _("T08 minimum crisis-team members"),
    _("A registered crisis team counts for T08 with at least this many members (default 3).")))


def day_span(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The local day as aware datetimes [00:00, next day 00:00)."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


def members_on(day: datetime.date) -> Q:
    """Members who belonged to their team on ``day``."""
    return Q(since__lte=day) & (Q(until__isnull=True) | Q(until__gt=day))


def shifts_covering(day: datetime.date) -> Q:
    """Shifts overlapping ``day`` whose member belonged to the team that day."""
    start, end = day_span(day)
    return (Q(start__lt=end, end__gt=start, member__since__lte=day)
            & (Q(member__until__isnull=True) | Q(member__until__gt=day)))


@dataclass
class TeamStatus:
    """What a team has on one day, against the minimum of the unit being assessed."""

    team: CrisisTeam
    day: datetime.date
    minimum: int
    members: list = field(default_factory=list)
    leader: CrisisTeamMember | None = None
    on_call: list = field(default_factory=list)

    @property
    def enough_members(self) -> bool:
        return len(self.members) >= self.minimum

    @property
    def ready(self) -> bool:
        return self.team.active and self.enough_members and self.leader is not None and bool(self.on_call)

    @property
    def reasons(self) -> list[str]:
        """Why the team does not count, in the reader's language (empty when it does)."""
        out = []
        if not self.team.active:
            out.append(str(_("Crisis team {team}: not active.")).format(team=self.team.name))
        if not self.enough_members:
            out.append(str(_("Crisis team {team}: {count} members (at least {minimum}).")).format(
                team=self.team.name, count=len(self.members), minimum=self.minimum))
        if self.leader is None:
            out.append(str(_("Crisis team {team}: no leader.")).format(team=self.team.name))
        if not self.on_call:
            out.append(str(_("Crisis team {team}: no on-call shift covering {date}.")).format(
                team=self.team.name, date=self.day.isoformat()))
        return out


def team_status(team: CrisisTeam, day: datetime.date, minimum: int | None = None) -> TeamStatus:
    """``team`` on ``day``: its members then, its leader, the shifts covering the day (two queries)."""
    members = list(team.members.filter(members_on(day)).select_related("user"))
    on_call = list(OnCallShift.objects.filter(shifts_covering(day), team=team).select_related("member__user"))
    return TeamStatus(team=team, day=day, minimum=min_team_members(team.org_unit) if minimum is None else minimum,
                      members=members, leader=next((m for m in members if m.leader), None), on_call=on_call)


def line_reasons(line: Line) -> list[str]:
    """Why a line is not the 24-hour line T08 asks for, in the reader's language (empty when it is)."""
    out = []
    if line.hours_per_day < 24:
        out.append(str(_("Hotline {line}: open {hours} hours a day (24 needed).")).format(line=line, hours=line.hours_per_day))
    if line.days_per_week < 7:
        out.append(str(_("Hotline {line}: open {days} days a week (every day needed).")).format(line=line, days=line.days_per_week))
    return out


@dataclass
class T08Detail:
    """T08 for one unit on one day, with what it was decided on."""

    unit: OrgUnit
    as_of: datetime.date
    minimum: int
    lines: list = field(default_factory=list)  # every line at the unit or above
    teams: list = field(default_factory=list)  # TeamStatus of every active team at the unit or above

    @property
    def line(self) -> Line | None:
        """A line open 24 hours every day, if any."""
        return next((ln for ln in self.lines if ln.open_24_7), None)

    @property
    def team(self) -> TeamStatus | None:
        """A ready team, if any."""
        return next((t for t in self.teams if t.ready), None)

    @property
    def met(self) -> bool:
        return self.line is not None and self.team is not None

    @property
    def reasons(self) -> list[str]:
        """Why T08 is not met, in the reader's language (empty when it is): each line's shortfall when no line is open
        24 hours every day, each team's when no team is ready."""
        out = []
        if not self.lines:
            out.append(str(_("No hotline registered at {unit} or above.")).format(unit=self.unit.name))
        elif self.line is None:
            out += [r for ln in self.lines for r in line_reasons(ln)]
        if not self.teams:
            out.append(str(_("No active crisis team registered at {unit} or above.")).format(unit=self.unit.name))
        elif self.team is None:
            out += [r for t in self.teams for r in t.reasons]
        return out


def t08_detail(unit: OrgUnit, as_of: datetime.date) -> T08Detail:
    """T08 for ``unit`` on ``as_of``: the lines and active teams at the unit or above, each team's status that day."""
    ids = unit.ancestor_ids
    minimum = min_team_members(unit)
    lines = list(Line.objects.filter(org_unit_id__in=ids).select_related("org_unit").order_by("-org_unit__depth", "pk"))
    teams = [team_status(t, as_of, minimum) for t in
             CrisisTeam.objects.filter(org_unit_id__in=ids, active=True).select_related("org_unit").order_by("-org_unit__depth", "pk")]
    return T08Detail(unit=unit, as_of=as_of, minimum=minimum, lines=lines, teams=teams)


def t08_explain(unit: OrgUnit, as_of: datetime.date) -> list[str]:
    """What T08 of ``unit`` on ``as_of`` was decided on, in the reader's language: the line and the team that meet
    it, or why it is not met."""
    detail = t08_detail(unit, as_of)
    if not detail.met:
        return detail.reasons
    ready = detail.team
    return [str(_("Hotline {line}: open 24 hours a day, every day.")).format(line=detail.line),
            str(_("Crisis team {team} ({unit}): {members} members (at least {minimum}), a leader and an on-call shift that day.")).format(
                team=ready.team.name, unit=ready.team.org_unit.name, members=len(ready.members), minimum=detail.minimum)]


def compute(unit: OrgUnit, year: int, as_of: datetime.date, memo: dict) -> tuple[int, None]:
    """The registry's computation of T08 (a yes/no: numerator 1 or 0, no denominator)."""
    return (1 if t08_detail(unit, as_of).met else 0), None


def many(units, year: int, as_of: datetime.date, memo: dict) -> dict[int, dict[str, tuple[int, None]]]:
    """:func:`compute` for many units at once, in the registry's ``many`` form (``{unit.pk: {"": (1 or 0, None)}}``):
    the lines, the active teams at any of the units or above, their members on ``as_of`` and the shifts covering it
    are each read once, and every unit is decided as :func:`t08_detail` decides it."""
    from collections import defaultdict

    units = list(units)
    ids = {pk for u in units for pk in u.ancestor_ids}
    minimums = parameters.parameters([u.path for u in units], "crisis_team_min_members")
    lines_24_7 = {ln.org_unit_id for ln in Line.objects.filter(org_unit_id__in=ids) if ln.open_24_7}
    teams = list(CrisisTeam.objects.filter(org_unit_id__in=ids, active=True).values_list("pk", "org_unit_id"))
    members = defaultdict(list)  # team -> the leader flags of its members on the day
    for team_id, leader in CrisisTeamMember.objects.filter(members_on(as_of), team_id__in=[t for t, _u in teams]).values_list("team_id", "leader"):
        members[team_id].append(leader)
    on_call = set(OnCallShift.objects.filter(shifts_covering(as_of), team_id__in=[t for t, _u in teams]).values_list("team_id", flat=True))
    out = {}
    for u in units:
        above = set(u.ancestor_ids)
        minimum = int(minimums[u.path])
        line = not lines_24_7.isdisjoint(above)
        team = any(unit_id in above and len(members[pk]) >= minimum and any(members[pk]) and pk in on_call for pk, unit_id in teams)
        out[u.pk] = {"": (1 if line and team else 0, None)}
    return out
