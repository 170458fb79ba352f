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
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinli.archives import transfers
from xinli.core import audit
from xinli.core.policy import ALERTS_WORK

from .deadlines import team_members, team_unit
from .models import (
    OPEN_STATES,
    Alert,
    AlertEvent,
    CrisisAction,
    CrisisCase,
    FollowUp,
    Level,
    Outcome,
    Source,
    State,
)


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




# --- to another city running the platform (xinli.archives.citytransfer) --------------------------------------------
# Open alerts travel as a summary (level, cause, when raised, its state and summary text); the receiving instance
# raises a new alert at the receiving unit from it, so its crisis team acknowledges it there. Open crisis cases travel
# with their assessment and safety plan and are opened again there. On the receipt the sender closes both.

def pack_alerts(person) -> list[dict]:
    return [{"level": a.level, "cause": a.cause, "state": a.state, "raised_at": a.created_at.isoformat(),
             "summary": a.summary_text("zh-hans")}
            for a in Alert.objects.filter(person=person, state__in=OPEN_STATES).order_by("pk")]


def unpack_alerts(actor, person, unit, rows) -> int:
    from .services import Signal, raise_one

    signals = []
    for row in rows:
        level = row.get("level") if row.get("level") in Level.values else Level.ORANGE
        summary = f"外市迁入前未关闭的预警（{str(row.get('raised_at', ''))[:10]} 发出）：{row.get('summary', '')}"
        signals.append(Signal(level=level, source=Source.MANUAL, cause=f"transfer:{row.get('cause', '')}"[:60], summary=summary,
                              org_unit=unit, person=person, reported_by=actor))
    for signal in signals:
        raise_one([signal], actor=actor)
    return len(signals)


def close_alerts(actor, person, reason, on) -> int:
    now = timezone.now()
    rows = list(Alert.objects.filter(person=person, state__in=OPEN_STATES))
    for alert in rows:
        if Alert.objects.filter(pk=alert.pk, state__in=OPEN_STATES).update(
                state=State.CLOSED, closed_by=transfers._user(actor), closed_at=now, outcome=Outcome.MOVED_AWAY) != 1:
            continue
        alert.refresh_from_db()
        alert.outcome_note = reason
        alert.save(update_fields=["outcome_note"])
        AlertEvent.objects.create(alert=alert, kind=AlertEvent.Kind.CLOSED, at=now, actor=transfers._user(actor),
                                  county_code=alert.county_code, detail={"outcome": Outcome.MOVED_AWAY})
        audit.record(actor, audit.Action.UPDATE, obj=alert, person=person, org_path=alert.org_path,
                     detail={"state": State.CLOSED, "outcome": Outcome.MOVED_AWAY})
    return len(rows)


def pack_cases(person) -> list[dict]:
    return [{"assessment": c.assessment, "safety_plan": c.safety_plan, "opened_at": c.opened_at.isoformat(),
             "actions": c.actions.count()}
            for c in CrisisCase.objects.filter(person=person, state=CrisisCase.State.OPEN).order_by("opened_at", "pk")]


def unpack_cases(actor, person, unit, rows) -> int:
    for row in rows:
        note = f"（外市迁入：原城市于 {str(row.get('opened_at', ''))[:10]} 开案，已有 {int(row.get('actions') or 0)} 项处置）"
        case = CrisisCase(person=person, opened_by=transfers._user(actor), assessment=f"{row.get('assessment', '')}\n{note}".strip(),
                          safety_plan=row.get("safety_plan") or "").place_under(unit)
        case.save()
        audit.record(actor, audit.Action.CREATE, obj=case, person=person, org_path=case.org_path, detail={"transferred_in": True})
    return len(rows)


def close_cases(actor, person, reason, on) -> int:
    rows = list(CrisisCase.objects.filter(person=person, state=CrisisCase.State.OPEN))
    for case in rows:
        CrisisCase.objects.filter(pk=case.pk).update(state=CrisisCase.State.CLOSED, closed_at=timezone.now(), high_risk=False)
        case.refresh_from_db()
        case.closing_summary = reason
        case.save(update_fields=["closing_summary"])
        audit.record(actor, audit.Action.UPDATE, obj=case, person=person, org_path=case.org_path,
                     detail={"state": "closed", "moved_out": True})
    return len(rows)


transfers.register(transfers.Holder("alerts.alert", ALERTS_WORK, describe_alerts, move_alert, alert_label, order=35,
                                    name=gettext_lazy("open alert"), pack=pack_alerts, unpack=unpack_alerts, close=close_alerts))
transfers.register(transfers.Holder("alerts.crisis_case", ALERTS_WORK, describe, move, label, order=40,
                                    name=gettext_lazy("crisis case"), pack=pack_cases, unpack=unpack_cases, close=close_cases))
