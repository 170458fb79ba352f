"""The crisis intervention team register (心理危机干预队伍, pilot plan 二.4、三(六); indicator T08): every write.

A team is registered for an org unit by the health officers of that unit (``network.manage`` over it — the same
people who keep the service network), with its members (a platform user, or an outside person with a name and a
phone), one leader, and an on-call rota of shifts. Every change is checked first — a bad value is a bilingual error
naming its field and nothing is written — and audited.

Alert routing is not changed by the register: alerts still go to the holders of a crisis-team role at the nearest
unit (``deadlines.team_unit``); the register is what the indicator T08 and the commission read.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.archives.validation import check_phone
from xinli.core import audit
from xinli.core.i18n import choice_list, field_error
from xinli.core.policy import GRANTS, NETWORK_MANAGE
from xinli.core.scoping import path_in_scope
from xinli.regions.models import OrgUnit

from .models import CrisisTeam, CrisisTeamMember, OnCallShift, Profession

MAX_SHIFT = datetime.timedelta(days=7)
TEAM_LEVELS = ("province", "city", "county", "township")  # a village has no crisis team of its own
# Roles whose holders may be listed as platform members: everyone but the three administrators.
MEMBER_ROLES = sorted(role for role, grant in GRANTS.items() if not grant.administrator)


def may_manage(actor, team_or_unit) -> bool:
    """Health officers (``network.manage``) over the team's unit register and change it."""
    path = getattr(team_or_unit, "org_path", None) or team_or_unit.path
    return path_in_scope(actor, NETWORK_MANAGE, path)


def _require(actor, team_or_unit) -> None:
    if not may_manage(actor, team_or_unit):
        raise PermissionDenied


def candidate_users(team: CrisisTeam):
    """Platform users who may be added: active, with an active (non-administrator) role at or below the team's
    unit, and not already a current member."""
    from xinli.accounts.models import User

    current = team.members.filter(until__isnull=True, user__isnull=False).values("user_id")
    return (User.objects.filter(is_active=True, assignments__active=True, assignments__role__in=MEMBER_ROLES,
                                assignments__org_unit__path__startswith=team.org_path)
            .exclude(pk__in=current).distinct().order_by("username"))


def _name(name) -> str:
    name = (name or "").strip()
    if not name:
        raise field_error("name", _("Name: give the team a name, e.g. 市南区心理危机干预队."))
    if len(name) > 100:
        raise field_error("name", _("Name: at most 100 characters."))
    return name


def create_team(actor, *, org_unit: OrgUnit, name: str) -> CrisisTeam:
    """Register a team for ``org_unit`` (a province, city, county or township in the actor's area)."""
    _require(actor, org_unit)
    if org_unit.level not in TEAM_LEVELS or not org_unit.is_current:
        raise field_error("org_unit", _("Org unit: choose a current city, county or township; a village has no team of its own."))
    name = _name(name)
    if CrisisTeam.objects.filter(org_unit=org_unit, name=name).exists():
        raise field_error("name", _("Name: this unit already has a team of that name; open it instead."))
    with transaction.atomic():
        team = CrisisTeam.objects.create(org_unit=org_unit, org_path=org_unit.path, name=name, created_by=actor)
        audit.record(actor, audit.Action.CREATE, obj=team, org_path=team.org_path, detail={"name": name})
    return team


def update_team(actor, team: CrisisTeam, *, name: str | None = None, active: bool | None = None) -> CrisisTeam:
    """Rename a team, or take it out of service (``active=False``: it no longer counts for T08) and back."""
    _require(actor, team)
    changes = {}
    if name is not None:
        changes["name"] = _name(name)
        if CrisisTeam.objects.filter(org_unit_id=team.org_unit_id, name=changes["name"]).exclude(pk=team.pk).exists():
            raise field_error("name", _("Name: this unit already has a team of that name; open it instead."))
    if active is not None:
        if not isinstance(active, bool):
            raise field_error("active", _("Active: true or false."))
        changes["active"] = active
    if not changes:
        return team
    with transaction.atomic():
        CrisisTeam.objects.filter(pk=team.pk).update(**changes)
        team.refresh_from_db()
        audit.record(actor, audit.Action.UPDATE, obj=team, org_path=team.org_path, detail=changes)
    return team


def add_member(actor, team: CrisisTeam, *, user=None, name: str = "", phone: str = "", profession: str,
               leader: bool = False, since: datetime.date | None = None) -> CrisisTeamMember:
    """Add a member: a platform user (one of ``candidate_users``), or an outside person with a name and a phone.
    ``leader`` makes the member the team's leader (the previous leader stays a member). ``since``: the first day of
    membership, today by default."""
    _require(actor, team)
    if profession not in Profession.values:
        raise field_error("profession", _("Profession: choose one of {choices}."), choices=choice_list(Profession))
    if user is not None:
        if not candidate_users(team).filter(pk=user.pk).exists():
            if team.members.filter(user=user, until__isnull=True).exists():
                raise field_error("user", _("Platform user: already a member of this team."))
            raise field_error("user", _("Platform user: not an active user with a role at or below the team's unit; choose from the list."))
        name = phone = ""
    else:
        name = (name or "").strip()
        if not name:
            raise field_error("name", _("Name: give the member's name, or choose a platform user."))
        if len(name) > 60:
            raise field_error("name", _("Name: at most 60 characters."))
        if not (phone or "").strip():
            raise field_error("phone", _("Phone: required for an outside member, so that the team can call them on duty."))
        phone = check_phone(phone)
    since = since or timezone.localdate()
    if not isinstance(since, datetime.date):
        raise field_error("since", _("Member since: a date, YYYY-MM-DD."))
    with transaction.atomic():
        CrisisTeam.objects.select_for_update().get(pk=team.pk)  # one membership change of a team at a time
        if leader:
            team.members.filter(leader=True, until__isnull=True).update(leader=False)
        try:
            with transaction.atomic():
                member = CrisisTeamMember.objects.create(team=team, user=user, name=name, phone=phone,
                                                         profession=profession, leader=bool(leader), since=since)
        except IntegrityError:
            raise field_error("user", _("Platform user: already a member of this team.")) from None
        audit.record(actor, audit.Action.UPDATE, obj=team, org_path=team.org_path,
                     detail={"member_added": member.pk, "user": getattr(user, "pk", None), "profession": profession,
                             "leader": bool(leader)})
    return member


def _member(team: CrisisTeam, member) -> CrisisTeamMember:
    """A current member of ``team`` (a row or an id), else a bilingual error naming ``member``."""
    pk = getattr(member, "pk", member)
    found = team.members.filter(pk=pk, until__isnull=True).first() if isinstance(pk, int) else None
    if found is None:
        raise field_error("member", _("Member: not a current member of this team; choose one from the list."))
    return found


def set_leader(actor, team: CrisisTeam, member) -> CrisisTeamMember:
    """Make ``member`` the leader; the previous leader stays a member."""
    _require(actor, team)
    member = _member(team, member)
    with transaction.atomic():
        CrisisTeam.objects.select_for_update().get(pk=team.pk)
        team.members.filter(leader=True, until__isnull=True).exclude(pk=member.pk).update(leader=False)
        CrisisTeamMember.objects.filter(pk=member.pk).update(leader=True)
        member.refresh_from_db()
        audit.record(actor, audit.Action.UPDATE, obj=team, org_path=team.org_path, detail={"leader": member.pk})
    return member


def remove_member(actor, team: CrisisTeam, member) -> CrisisTeamMember:
    """End a membership today (the row stays: past figures keep counting the member on the days they served). The
    member's shifts that have not begun are removed; a leader leaves the team without a leader until one is set."""
    _require(actor, team)
    member = _member(team, member)
    today = timezone.localdate()
    with transaction.atomic():
        CrisisTeam.objects.select_for_update().get(pk=team.pk)
        dropped, _n = OnCallShift.objects.filter(member=member, start__gt=timezone.now()).delete()
        if member.since >= today:  # added today or for a later day: never served, no history to keep
            member_id = member.pk
            OnCallShift.objects.filter(member=member).delete()
            member.delete()
            member.pk = member_id
        else:
            CrisisTeamMember.objects.filter(pk=member.pk).update(until=today, leader=False)
            member.refresh_from_db()
        audit.record(actor, audit.Action.UPDATE, obj=team, org_path=team.org_path,
                     detail={"member_removed": member.pk, "future_shifts_removed": dropped})
    return member


def add_shift(actor, team: CrisisTeam, *, member, start: datetime.datetime, end: datetime.datetime) -> OnCallShift:
    """Put a current member on call from ``start`` to ``end`` (aware datetimes): the end after the start, at most
    7 days, and not overlapping another shift of the same member."""
    _require(actor, team)
    member = _member(team, member)
    if not isinstance(start, datetime.datetime) or timezone.is_naive(start):
        raise field_error("start", _("Start: a date and time, e.g. 2026-03-01 08:00."))
    if not isinstance(end, datetime.datetime) or timezone.is_naive(end):
        raise field_error("end", _("End: a date and time, e.g. 2026-03-01 20:00."))
    if end <= start:
        raise field_error("end", _("End: must be after the start."))
    if end - start > MAX_SHIFT:
        raise field_error("end", _("End: a shift lasts at most 7 days; split a longer period into several shifts."))
    if timezone.localtime(end).date() < member.since:
        raise field_error("end", _("End: the member joined the team on {since}; the shift must end on or after that day."),
                          since=member.since.isoformat())
    with transaction.atomic():
        CrisisTeamMember.objects.select_for_update().get(pk=member.pk)  # one member's shifts are checked one at a time
        clash = OnCallShift.objects.filter(member=member, start__lt=end, end__gt=start).order_by("start").first()
        if clash is not None:
            raise field_error("start", _("Start: overlaps the member's shift from {start} to {end}; choose another time."),
                              start=_local(clash.start), end=_local(clash.end))
        shift = OnCallShift.objects.create(team=team, member=member, start=start, end=end)
        audit.record(actor, audit.Action.UPDATE, obj=team, org_path=team.org_path,
                     detail={"shift_added": shift.pk, "member": member.pk, "start": start.isoformat(), "end": end.isoformat()})
    return shift


def remove_shift(actor, team: CrisisTeam, shift) -> None:
    """Take a shift off the rota."""
    _require(actor, team)
    pk = getattr(shift, "pk", shift)
    found = team.shifts.filter(pk=pk).first() if isinstance(pk, int) else None
    if found is None:
        raise field_error("shift", _("Shift: not a shift of this team; choose one from the rota."))
    with transaction.atomic():
        found.delete()
        audit.record(actor, audit.Action.UPDATE, obj=team, org_path=team.org_path, detail={"shift_removed": pk})


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
