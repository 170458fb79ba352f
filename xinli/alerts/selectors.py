"""Scoped reads of alerts, deliveries and notifications. Reads of alerts about a person are audited."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from xinli.core import audit
from xinli.core.policy import ALERTS_REPORT, ALERTS_WORK, HOTLINE_SUPERVISE, NETWORK_MANAGE
from xinli.core.scoping import has_capability, scope_q

from .models import WAITING_STATES, Alert, Delivery, Level, Notification, State


def workable_alerts(user) -> QuerySet[Alert]:
    """Alerts the user may act on: ``alerts.work`` over the subject's place in the tree."""
    return Alert.objects.filter(scope_q(user, ALERTS_WORK))


def visible_alerts(user) -> QuerySet[Alert]:
    """Workable alerts, plus those the user reported and those of campaigns the user is responsible for — the latter
    two only while the user still holds ``alerts.report`` over the alert's place in the tree (a reporter who lost the
    role, or moved elsewhere, no longer follows the alert)."""
    if not getattr(user, "is_authenticated", False):
        return Alert.objects.none()
    from xinli.screening.models import Campaign

    q = scope_q(user, ALERTS_WORK)
    if has_capability(user, ALERTS_REPORT):
        followed = Q(reported_by=user) | Q(campaign__in=Campaign.objects.filter(responsible=user))
        q |= scope_q(user, ALERTS_REPORT) & followed
    return Alert.objects.filter(q).select_related("person", "org_unit", "owner_unit")


def filter_alerts(qs: QuerySet[Alert], *, level: str = "", state: str = "", overdue: bool = False,
                  source: str = "", open_only: bool = False) -> QuerySet[Alert]:
    if level:
        qs = qs.filter(level=level)
    if state:
        qs = qs.filter(state=state)
    if source:
        qs = qs.filter(source=source)
    if open_only:
        qs = qs.exclude(state=State.CLOSED)
    if overdue:
        qs = qs.filter(state__in=WAITING_STATES, ack_due_at__lte=timezone.now())
    return qs


def get_alert(user, pk) -> Alert:
    alert = visible_alerts(user).get(pk=pk)
    audit.record(user, audit.Action.READ, obj=alert, person=alert.person, org_path=alert.org_path)
    return alert


def alert_for_assessment(user, assessment) -> tuple[Alert | None, bool]:
    """The alert a result raised or was merged into, for its result page, and whether ``user`` may open it. Who may
    call: a view that got ``assessment`` through its scoped, audited selector (the alert is about the same person;
    the page shows its level, the owner team's unit and the deadline, never another person)."""
    alert = (Alert.objects.filter(Q(assessment=assessment) | Q(events__kind="merged", events__detail__assessment=assessment.pk))
             .select_related("owner_unit").order_by("pk").first())
    if alert is None:
        return None, False
    return alert, visible_alerts(user).filter(pk=alert.pk).exists()


def record_alert_listing(user, alerts) -> None:
    """A list that shows residents' names is a read of each of them."""
    audit.record_person_reads(user, [a.person for a in alerts if a.person is not None], action=audit.Action.SEARCH,
                              purpose="alerts")


def record_reads(user, persons, *, purpose: str, action: str = audit.Action.SEARCH) -> None:
    """A page or list that shows residents is a read of each of them: one audit entry per person shown (a person
    shown twice is one entry; rows about nobody in the archive are skipped)."""
    seen, unique = set(), []
    for person in persons:
        if person is not None and person.pk not in seen:
            seen.add(person.pk)
            unique.append(person)
    audit.record_person_reads(user, unique, action=action, purpose=purpose)


CONSOLE_AUDIT_KEY = "alerts.console_audit"
CONSOLE_AUDIT_WINDOW = datetime.timedelta(minutes=30)


def record_console_listing(user, alerts, memory, *, first_view: bool) -> int:
    """The duty console refreshes itself every 10 seconds; auditing every refresh would write a row per listed person
    every 10 seconds and bury the log. The rule (docs/alerts.md): a full page load is a first view and audits every
    person listed; a refresh audits only the persons not yet audited on this session's console within the window
    (30 minutes) — the persons newly listed — and once the window has passed, every person still listed again.
    ``memory`` is the user's session (it holds the persons audited and when the window started). A person with two
    alerts is one row. Returns how many rows were written."""
    now = timezone.now()
    state = dict(memory.get(CONSOLE_AUDIT_KEY) or {})  # a copy: compared with the stored one below
    try:
        started = datetime.datetime.fromisoformat(state["at"])
    except (KeyError, TypeError, ValueError):
        started = None
    if first_view or started is None or now - started >= CONSOLE_AUDIT_WINDOW:
        state = {"at": now.isoformat(), "persons": []}
    seen = set(state["persons"])
    new = {}
    for a in alerts:
        if a.person is not None and a.person.pk not in seen:
            new.setdefault(a.person.pk, a.person)
    if new:
        record_reads(user, new.values(), purpose="alerts")
    state["persons"] = sorted(seen | set(new))
    if state != memory.get(CONSOLE_AUDIT_KEY):  # an unchanged refresh does not rewrite the session either
        memory[CONSOLE_AUDIT_KEY] = state
    return len(new)


def console_alerts(user) -> QuerySet[Alert]:
    """The duty console: open red and orange alerts, most pressing deadline first."""
    return (visible_alerts(user).filter(level__in=[Level.RED, Level.ORANGE]).exclude(state=State.CLOSED)
            .order_by("ack_due_at"))


def failed_deliveries(user) -> QuerySet[Delivery]:
    """Deliveries that failed or are being retried, for alert teams and hotline supervisors in their area."""
    q = scope_q(user, ALERTS_WORK) | scope_q(user, HOTLINE_SUPERVISE)
    return (Delivery.objects.filter(q, status__in=[Delivery.Status.FAILED, Delivery.Status.RETRYING])
            .select_related("notification__recipient").order_by("-id"))


def inbox(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


# --- crisis intervention -----------------------------------------------------------------------------------------

def visible_cases(user):
    from .models import CrisisCase

    return CrisisCase.objects.filter(scope_q(user, ALERTS_WORK)).select_related("person")


def get_case(user, pk):
    case = visible_cases(user).get(pk=pk)
    audit.record(user, audit.Action.READ, obj=case, person=case.person, org_path=case.org_path)
    return case


def visible_events(user):
    from .models import CrisisEvent

    return CrisisEvent.objects.filter(scope_q(user, ALERTS_WORK))


def event_affected(event):
    """The people affected by ``event``, with their follow-ups (the caller audits the persons it shows)."""
    return event.affected.select_related("person").prefetch_related("follow_ups")


def record_event_reads(user, events, *, action: str = audit.Action.SEARCH) -> None:
    """Group crises shown with their affected people: one entry per person from the archive. ``events`` must have
    ``affected`` loaded (prefetched) or it is queried here."""
    record_reads(user, [a.person for e in events for a in e.affected.all()], purpose="group crisis", action=action)


def visible_follow_ups(user, *, due_only: bool = False):
    from .models import FollowUp

    qs = FollowUp.objects.filter(scope_q(user, ALERTS_WORK)).select_related("case__person", "affected__person", "affected__event")
    if due_only:
        qs = qs.filter(done_at__isnull=True, due__lte=timezone.localdate())
    return qs


# --- the crisis team register (teams.py) ---------------------------------------------------------------------------

def manageable_teams(user):
    """Teams the user registers and changes: ``network.manage`` over the team's unit (health officers)."""
    from .models import CrisisTeam

    return CrisisTeam.objects.filter(scope_q(user, NETWORK_MANAGE)).select_related("org_unit")


def visible_teams(user):
    """Teams the user may see: those they manage, and those they are a current member of (read-only)."""
    from .models import CrisisTeam, CrisisTeamMember

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return CrisisTeam.objects.none()
    mine = CrisisTeamMember.objects.filter(user=user, until__isnull=True).values("team_id")
    return CrisisTeam.objects.filter(scope_q(user, NETWORK_MANAGE) | Q(pk__in=mine)).select_related("org_unit")


def is_team_member(user) -> bool:
    from .models import CrisisTeamMember

    return bool(getattr(user, "is_authenticated", False)) and CrisisTeamMember.objects.filter(
        user=user, until__isnull=True, team__active=True).exists()


def get_team(user, pk):
    """One visible team (``CrisisTeam.DoesNotExist`` otherwise: answer 404); the read is audited — the page and the
    API show its members' names and phones."""
    team = visible_teams(user).get(pk=pk)
    audit.record(user, audit.Action.READ, obj=team, org_path=team.org_path, purpose="crisis team")
    return team


def current_members(team):
    return list(team.members.filter(until__isnull=True).select_related("user"))


def rota(team, start: datetime.datetime, end: datetime.datetime):
    """The team's shifts overlapping [start, end), earliest first, with their members."""
    return list(team.shifts.filter(start__lt=end, end__gt=start).select_related("member__user").order_by("start", "pk"))


def rota_gaps(team, start: datetime.datetime, end: datetime.datetime) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The stretches of [start, end) when no current member of the team is on call."""
    gaps, cursor = [], start
    for shift in team.shifts.filter(start__lt=end, end__gt=start, member__until__isnull=True).order_by("start"):
        if shift.start > cursor:
            gaps.append((cursor, shift.start))
        cursor = max(cursor, shift.end)
    if cursor < end:
        gaps.append((cursor, end))
    return gaps
