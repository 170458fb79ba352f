"""What crisis intervention hands over when a resident moves (``xinli.archives.transfers``): open alerts about the
person, open crisis cases, and closed high-risk cases whose scheduled follow-up contacts are still pending (the
contacts move with the case).

An open alert moves when the receiving crisis team accepts it: its place (``org_unit``, ``org_path``,
``county_code``) becomes the receiving unit and its responsible team's unit the nearest unit with a crisis team at or
above it (as when an alert is raised there), so the receiving area's duty console shows it and its escalation goes
on from there; the deadlines stay as they were (a waiting alert is not given new time by moving). The event log
records the move and the new team is told."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinli.archives import transfers
from xinli.core import audit
from xinli.core.policy import ALERTS_WORK

from .deadlines import team_members, team_unit
from .models import OPEN_STATES, Alert, AlertEvent, CrisisAction, CrisisCase, FollowUp, Level, State


def describe(person) -> list[transfers.Held]:
    rows = CrisisCase.objects.filter(person=person).filter(
        Q(state=CrisisCase.State.OPEN) | Q(follow_ups__done_at__isnull=True, follow_ups__isnull=False)).distinct()
    return [transfers.Held(c.pk, c.org_path, {"open": c.state == CrisisCase.State.OPEN,
                                              "follow_ups": c.follow_ups.filter(done_at__isnull=True).count()}) for c in rows]


def move(actor, object_id: int, to_unit, receiver) -> None:
    case = CrisisCase.objects.select_for_update().get(pk=object_id)
    case.place_under(to_unit)
    CrisisCase.objects.filter(pk=case.pk).update(org_path=case.org_path, county_code=case.county_code)
    FollowUp.objects.filter(case=case, done_at__isnull=True).update(org_path=case.org_path, county_code=case.county_code)
    CrisisAction.objects.filter(case=case).update(county_code=case.county_code)
    audit.record(actor, audit.Action.UPDATE, obj=case, person=case.person, org_path=case.org_path,
                 detail={"transferred_to": to_unit.pk})


def label(detail: dict) -> str:
    text = _("Crisis case in progress") if detail.get("open") else _("Closed crisis case")
    if detail.get("follow_ups"):
        text += _(", %(n)s follow-up contacts pending") % {"n": detail["follow_ups"]}
    return text


transfers.register(transfers.Holder("alerts.crisis_case", ALERTS_WORK, describe, move, label, order=40,
                                    name=gettext_lazy("crisis case")))


def describe_alerts(person) -> list[transfers.Held]:
    return [transfers.Held(a.pk, a.org_path, {"level": a.level, "state": a.state})
            for a in Alert.objects.filter(person=person, state__in=OPEN_STATES).order_by("pk")]


def move_alert(actor, object_id: int, to_unit, receiver) -> None:
    from .services import notify

    alert = Alert.objects.select_for_update().get(pk=object_id)
    if alert.state not in OPEN_STATES:
        return  # closed meanwhile: it stays where it was handled
    before, owner_before = alert.org_unit_id, alert.owner_unit_id
    owner = team_unit(to_unit) or to_unit
    alert.place_under(to_unit)
    Alert.objects.filter(pk=alert.pk).update(org_unit=to_unit, org_path=alert.org_path, county_code=alert.county_code,
                                             owner_unit=owner)
    AlertEvent.objects.create(alert=alert, kind=AlertEvent.Kind.TRANSFERRED, actor=transfers._user(actor),
                              from_unit_id=owner_before, to_unit=owner, county_code=alert.county_code,
                              detail={"from_org": before, "to_org": to_unit.pk})
    audit.record(actor, audit.Action.UPDATE, obj=alert, person=alert.person, org_path=alert.org_path,
                 detail={"transferred_to": to_unit.pk, "owner": owner.pk})
    alert.refresh_from_db()
    notify(team_members(owner), "alert_transferred", alert)


def alert_label(detail: dict) -> str:
    level = str(Level(detail["level"]).label) if detail.get("level") in Level.values else ""
    state = str(State(detail["state"]).label) if detail.get("state") in State.values else ""
    return _("Open alert (%(level)s, %(state)s)") % {"level": level, "state": state}


transfers.register(transfers.Holder("alerts.alert", ALERTS_WORK, describe_alerts, move_alert, alert_label, order=35,
                                    name=gettext_lazy("open alert")))
