"""What crisis intervention hands over when a resident moves (``xinli.archives.transfers``): open alerts about the
person, open crisis cases, and closed high-risk cases whose scheduled follow-up contacts are still pending (the
contacts move with the case).

An open alert moves when the receiving crisis team accepts it: its place (``org_unit``, ``org_path``,
``county_code``) becomes the receiving unit and its responsible team's unit the nearest unit with a crisis team at or
above it (as when an alert is raised there), so the receiving area's duty console shows it and its escalation goes
on from there; the deadlines stay as they were (a waiting alert is not given new time by moving). The event log
records the move and the new team is told."""

from __future__ import annotations

import datetime

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
    rows = _handed_over(person)
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


def _handed_over(person):
    """The person's crisis cases that travel: open ones, and closed ones whose follow-up contacts are still pending
    (a high-risk case closed 7/30/90 days of contacts ago; the receiving team owes the rest)."""
    return CrisisCase.objects.filter(person=person).filter(
        Q(state=CrisisCase.State.OPEN) | Q(follow_ups__done_at__isnull=True, follow_ups__isnull=False)).distinct().order_by("opened_at", "pk")


def pack_cases(person) -> list[dict]:
    rows = []
    for c in _handed_over(person):
        row = {"assessment": c.assessment, "safety_plan": c.safety_plan, "opened_at": c.opened_at.isoformat(),
               "actions": c.actions.count(), "state": c.state,
               "follow_ups": [f.due.isoformat() for f in c.follow_ups.filter(done_at__isnull=True).order_by("due", "pk")]}
        if c.state == CrisisCase.State.CLOSED:
            row.update(closed_at=c.closed_at.isoformat() if c.closed_at else None, high_risk=c.high_risk,
                       closing_summary=c.closing_summary)
        rows.append(row)
    return rows


def _due_days(values) -> list:
    days = []
    for value in values or ():
        try:
            days.append(datetime.date.fromisoformat(str(value)))
        except ValueError:
            continue  # a package is validated by its MAC; a day that does not parse is not invented
    return days


def unpack_cases(actor, person, unit, rows) -> int:
    """Open cases are opened again at the receiving unit; a closed case with pending follow-up contacts arrives
    closed, with those contacts due on their original days (the receiving crisis team's follow-up list shows them,
    overdue ones first). Packages of format 1 have no ``state``: every case in them was open."""
    for row in rows:
        closed = row.get("state") == CrisisCase.State.CLOSED
        opened = str(row.get("opened_at", ""))[:10]
        if closed:
            note = f"（外市迁入：原城市于 {opened} 开案、{str(row.get('closed_at') or '')[:10]} 结案，待完成随访 {len(row.get('follow_ups') or ())} 次）"
        else:
            note = f"（外市迁入：原城市于 {opened} 开案，已有 {int(row.get('actions') or 0)} 项处置）"
        case = CrisisCase(person=person, opened_by=transfers._user(actor), assessment=f"{row.get('assessment', '')}\n{note}".strip(),
                          safety_plan=row.get("safety_plan") or "").place_under(unit)
        case.save()
        if closed:
            CrisisCase.objects.filter(pk=case.pk).update(state=CrisisCase.State.CLOSED, closed_at=timezone.now(),
                                                         high_risk=bool(row.get("high_risk")))
            case.refresh_from_db()
            case.closing_summary = row.get("closing_summary") or ""
            case.save(update_fields=["closing_summary"])
        FollowUp.objects.bulk_create([FollowUp(case=case, due=day).place_under(case) for day in _due_days(row.get("follow_ups"))])
        audit.record(actor, audit.Action.CREATE, obj=case, person=person, org_path=case.org_path,
                     detail={"transferred_in": True, "state": case.state, "follow_ups_pending": len(row.get("follow_ups") or ())})
    return len(rows)


def close_cases(actor, person, reason, on) -> int:
    """On the receipt: open cases are closed as moved out, and the pending follow-up contacts of every case handed
    over are removed from the sending team's list (the receiving team holds them now; the case, its actions and the
    contacts already made stay as history, and the closing summary says where the rest went)."""
    rows = list(_handed_over(person))
    for case in rows:
        was_open = case.state == CrisisCase.State.OPEN
        if was_open:
            CrisisCase.objects.filter(pk=case.pk).update(state=CrisisCase.State.CLOSED, closed_at=timezone.now(), high_risk=False)
        pending = case.follow_ups.filter(done_at__isnull=True)
        handed = [d.isoformat() for d in pending.order_by("due").values_list("due", flat=True)]
        pending.delete()
        case.refresh_from_db()
        note = f"（未完成的随访 {'、'.join(handed)} 已交接收地）" if handed else ""
        case.closing_summary = reason if was_open and not case.closing_summary else f"{case.closing_summary}\n{reason}{note}".strip()
        case.save(update_fields=["closing_summary"])
        audit.record(actor, audit.Action.UPDATE, obj=case, person=person, org_path=case.org_path,
                     detail={"state": "closed", "moved_out": True, "follow_ups_handed_over": handed})
    return len(rows)


transfers.register(transfers.Holder("alerts.alert", ALERTS_WORK, describe_alerts, move_alert, alert_label, order=35,
                                    name=gettext_lazy("open alert"), pack=pack_alerts, unpack=unpack_alerts, close=close_alerts))
transfers.register(transfers.Holder("alerts.crisis_case", ALERTS_WORK, describe, move, label, order=40,
                                    name=gettext_lazy("crisis case"), pack=pack_cases, unpack=unpack_cases, close=close_cases))
