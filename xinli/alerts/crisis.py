"""Crisis intervention services: individual crisis cases and group crisis events (pilot plan §三(六)).

Follow-up schedules (days after the anchor date) follow common post-crisis practice: after a high-risk individual
case closes, contacts at 7, 30 and 90 days (the weeks after a crisis carry the highest risk of a new attempt); for
people affected by a group crisis, psychological first aid within a day, then 7, 30 (screening for acute stress) and
90 days (screening for PTSD, e.g. PCL-5) after the event.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core import audit
from xinli.core.i18n import choice_list, field_error
from xinli.core.policy import ALERTS_WORK
from xinli.core.scoping import path_in_scope

from .models import AffectedPerson, CrisisAction, CrisisCase, CrisisEvent, FollowUp

CASE_FOLLOW_UP_DAYS = (7, 30, 90)
EVENT_FOLLOW_UP_DAYS = (1, 7, 30, 90)


def _require(actor, path: str) -> None:
    if not path_in_scope(actor, ALERTS_WORK, path):
        raise PermissionDenied


def open_case(actor, person, *, assessment: str, safety_plan: str = "", alert=None) -> CrisisCase:
    _require(actor, person.org_path)
    if not (assessment or "").strip():
        raise field_error("assessment", _("Risk assessment: describe the current risk; it is required to open a case."))
    if alert is not None and alert.person_id != person.pk:
        raise field_error("alert", _("Alert: it is about another person; link an alert about this person or leave it empty."))
    with transaction.atomic():
        case = CrisisCase(person=person, alert=alert, opened_by=actor,
                          assessment=assessment.strip(), safety_plan=(safety_plan or "").strip()).place_under(person)
        case.save()
        audit.record(actor, audit.Action.CREATE, obj=case, person=person, detail={"alert": getattr(alert, "pk", None)})
    return case


def add_action(actor, case: CrisisCase, *, kind: str, note: str = "") -> CrisisAction:
    _require(actor, case.org_path)
    if case.state != CrisisCase.State.OPEN:
        raise field_error("case", _("Crisis case: closed; open a new case for new work."))
    if kind not in CrisisAction.Kind.values:
        raise field_error("kind", _("Kind: choose one of {choices}."), choices=choice_list(CrisisAction.Kind))
    with transaction.atomic():
        act = CrisisAction.objects.create(case=case, kind=kind, actor=actor, note=note.strip(), county_code=case.county_code)
        audit.record(actor, audit.Action.UPDATE, obj=case, person=case.person, detail={"action": kind})
    return act


def update_safety_plan(actor, case: CrisisCase, safety_plan: str) -> CrisisCase:
    _require(actor, case.org_path)
    with transaction.atomic():
        case.safety_plan = safety_plan.strip()
        case.save(update_fields=["safety_plan"])
        audit.record(actor, audit.Action.UPDATE, obj=case, person=case.person, detail={"safety_plan": True})
    return case


def close_case(actor, case: CrisisCase, *, summary: str, high_risk: bool) -> CrisisCase:
    """Close with a summary. A high-risk person gets follow-ups at 7, 30 and 90 days."""
    _require(actor, case.org_path)
    if not (summary or "").strip():
        raise field_error("summary", _("Closing summary: required; say what was done and how the person is now."))
    today = timezone.localdate()
    with transaction.atomic():
        if CrisisCase.objects.filter(pk=case.pk, state=CrisisCase.State.OPEN).update(
                state=CrisisCase.State.CLOSED, closed_at=timezone.now(), high_risk=high_risk) != 1:
            raise field_error("case", _("Crisis case: already closed."))
        case.refresh_from_db()
        case.closing_summary = summary.strip()
        case.save(update_fields=["closing_summary"])
        if high_risk:
            FollowUp.objects.bulk_create([FollowUp(case=case, due=today + datetime.timedelta(days=d)).place_under(case)
                                          for d in CASE_FOLLOW_UP_DAYS])
        audit.record(actor, audit.Action.UPDATE, obj=case, person=case.person, detail={"state": "closed", "high_risk": high_risk})
    return case


def create_event(actor, *, name: str, kind: str, org_unit, occurred_at, description: str = "", team=()) -> CrisisEvent:
    _require(actor, org_unit.path)
    if not (name or "").strip():
        raise field_error("name", _("Name: give the event a short name."))
    if kind not in CrisisEvent.Kind.values:
        raise field_error("kind", _("Kind: choose one of {choices}."), choices=choice_list(CrisisEvent.Kind))
    if occurred_at > timezone.now():
        raise field_error("occurred_at", _("Occurred: cannot be in the future."))
    with transaction.atomic():
        event = CrisisEvent(name=name.strip(), kind=kind, org_unit=org_unit, occurred_at=occurred_at, description=description, created_by=actor).place_under(org_unit)
        event.save()
        event.team.set([actor, *team])
        audit.record(actor, audit.Action.CREATE, obj=event, org_path=event.org_path, detail={"kind": kind})
    return event


def add_affected(actor, event: CrisisEvent, *, person=None, label: str = "", risk: str = "low", assigned_to=None) -> AffectedPerson:
    """Register someone affected; follow-ups are scheduled 1, 7, 30 and 90 days after the event (from today at the
    earliest). A high-risk person should also get an individual crisis case."""
    _require(actor, event.org_path)
    if event.state == CrisisEvent.State.CLOSED:
        raise field_error("event", _("Event: closed; reopen it to add people."))
    if person is None and not (label or "").strip():
        raise field_error("label", _("Name or description: give the person from the archive or describe them."))
    if risk not in ("low", "medium", "high"):
        raise field_error("risk", _("Risk level: low, medium or high."))
    start = timezone.localtime(event.occurred_at).date()
    today = timezone.localdate()
    with transaction.atomic():
        affected = AffectedPerson(event=event, person=person, label=(label or "").strip(), risk=risk,
                                  assigned_to=assigned_to).place_under(person if person is not None else event)
        affected.save()
        FollowUp.objects.bulk_create([FollowUp(affected=affected, due=max(today, start + datetime.timedelta(days=d))).place_under(affected)
                                      for d in EVENT_FOLLOW_UP_DAYS])
        audit.record(actor, audit.Action.CREATE, obj=affected, person=person, org_path=affected.org_path, detail={"event": event.pk, "risk": risk})
    return affected


def set_event_state(actor, event: CrisisEvent, state: str) -> CrisisEvent:
    _require(actor, event.org_path)
    if state not in CrisisEvent.State.values:
        raise field_error("state", _("State: choose one of {choices}."), choices=choice_list(CrisisEvent.State))
    with transaction.atomic():
        CrisisEvent.objects.filter(pk=event.pk).update(state=state)
        event.refresh_from_db()
        audit.record(actor, audit.Action.UPDATE, obj=event, org_path=event.org_path, detail={"state": state})
    return event


def complete_follow_up(actor, follow_up: FollowUp, note: str = "") -> FollowUp:
    _require(actor, follow_up.org_path)
    with transaction.atomic():
        if FollowUp.objects.filter(pk=follow_up.pk, done_at__isnull=True).update(done_at=timezone.now(), done_by=actor) != 1:
            raise field_error("follow_up", _("Follow-up: already recorded as done."))
        follow_up.refresh_from_db()
        if note:
            follow_up.note = note.strip()
            follow_up.save(update_fields=["note"])
        person = follow_up.case.person if follow_up.case_id else (follow_up.affected.person if follow_up.affected_id else None)
        audit.record(actor, audit.Action.UPDATE, obj=follow_up, person=person, org_path=follow_up.org_path, detail={"done": True})
    return follow_up
