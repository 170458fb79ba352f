"""Work orders between departments: every write goes through here (issue 19 part 3).

Life cycle: dispatched to a department office with two deadlines from its kind → accepted (or returned with a
reason) → progress notes → completed with a result, which goes back to the sender → closed by the sender with their
satisfaction. The sender, the office or the 综治 office may pass an order to another office (history kept, deadlines
start again). Each step is a conditional UPDATE on the state read, so two people acting at once cannot both win.
:func:`escalate_overdue` tells the 综治 office of the level above about an order not accepted or not completed in
time, once per deadline."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core import audit, notices
from xinli.core.i18n import field_error
from xinli.core.policy import ORDERS_CREATE, ORDERS_SUPERVISE, ORDERS_WORK, role_grants
from xinli.core.scoping import path_in_scope
from xinli.regions.models import DepartmentUnit, OrgUnit

from . import selectors
from .models import OrderEvent, OrderKind, WorkOrder

TITLE_MAX = 100
TEXT_MAX = 2000
State = WorkOrder.State


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


LABELS = {"title": _("Subject"), "description": _("Details"), "reason": _("Reason"), "note": _("Note"),
          "result": _("Result")}


def _text(value, field: str, message=None, *, limit: int = TEXT_MAX) -> str:
    """A free-text value stripped; ``message`` when it is required and empty."""
    value = (value or "").strip()
    if message is not None and not value:
        raise field_error(field, message, code="required")
    if len(value) > limit:
        raise field_error(field, _("{field}: at most {limit} characters; shorten it."), code="max_length",
                          field=LABELS[field], limit=limit)
    return value


def office_staff(office: DepartmentUnit) -> list:
    """Who works the orders of ``office``: the department's staff assigned at the office's unit, else at the
    nearest unit above where the department has staff."""
    from xinli.accounts.models import Assignment

    ids = office.org_unit.ancestor_ids
    rows = list(Assignment.objects.filter(active=True, user__is_active=True, department=office.department_id,
                                          org_unit_id__in=ids).select_related("user"))
    for uid in reversed(ids):
        found = [a.user for a in rows if a.org_unit_id == uid and role_grants(a.role, ORDERS_WORK)]
        if found:
            return found
    return []


def governance_officers(unit: OrgUnit, *, above: bool) -> tuple[OrgUnit, list]:
    """The 综治 office that supervises ``unit``: its officers at the nearest unit (strictly above ``unit`` when
    ``above``; at the top, ``unit`` itself) where someone holds ``orders.supervise``."""
    from xinli.accounts.models import Assignment

    ids = unit.ancestor_ids
    rows = list(Assignment.objects.filter(active=True, user__is_active=True, org_unit_id__in=ids).select_related("user"))
    search = ids[:-1] if above and len(ids) > 1 else ids
    for uid in reversed(search):
        found = [a.user for a in rows if a.org_unit_id == uid and role_grants(a.role, ORDERS_SUPERVISE)]
        if found:
            return OrgUnit.objects.get(pk=uid), found
    return unit, []


def _deadlines(kind: OrderKind, start: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    accept = start + datetime.timedelta(hours=kind.accept_hours)
    return accept, accept + datetime.timedelta(days=kind.complete_days)


def _event(order, kind, actor, *, note: str = "", office=None, unit=None) -> OrderEvent:
    return OrderEvent.objects.create(order=order, kind=kind, actor=_user(actor), note=note or None, office=office, unit=unit)


def _notice(users, kind: str, order: WorkOrder, **params) -> None:
    notices.send(users, kind, {"order": order.pk, "title": order.title, "office": order.office.name, **params})


def _push(order: WorkOrder) -> None:
    """An order an exchange partner sent: its new state goes to the partner's outbox (same transaction)."""
    if order.external_id:
        from .exchange import queue_result

        queue_result(order)


def dispatch(actor, *, kind: OrderKind, title: str, description: str = "", from_unit: OrgUnit, office: DepartmentUnit | None = None,
             person=None, external_id: str | None = None) -> WorkOrder:
    """Send a work order from ``from_unit`` (in the actor's ``orders.create`` area) to a department office — by
    default the nearest office of the kind's department whose area holds ``from_unit``. ``person``: the resident it
    is about, who must be visible to the actor."""
    if not path_in_scope(actor, ORDERS_CREATE, from_unit.path):
        raise PermissionDenied
    if kind is None or not kind.active:
        raise field_error("kind", _("Kind: pick what the order is for from the list."), code="required")
    title = _text(title, "title", _("Subject: required; say in a few words what is needed (without the person's name)."),
                  limit=TITLE_MAX)
    description = _text(description, "description")
    if person is not None:
        from xinli.archives.selectors import visible_persons

        if not visible_persons(actor).filter(pk=person.pk).exists():
            raise PermissionDenied
    covering = selectors.covering_offices(from_unit)
    if office is None:
        office = next((o for o in covering if o.department_id == kind.department_id), None)
        if office is None:
            raise field_error("office", _("Department office: no office of {department} covers {unit}; pick another "
                                          "office, or ask the administrator to register it."),
                              code="required", department=kind.department.label, unit=from_unit.name)
    elif office.pk not in {o.pk for o in covering}:
        raise field_error("office", _("Department office: {office} does not cover {unit}; pick one of the listed offices."),
                          office=office.name, unit=from_unit.name)
    now = timezone.now()
    accept_due, complete_due = _deadlines(kind, now)
    with transaction.atomic():
        order = WorkOrder.objects.create(
            kind=kind, title=title, description=description or None, person=person, from_unit=from_unit,
            from_path=from_unit.path, created_by=_user(actor), created_at=now, office=office,
            department_id=office.department_id, to_path=office.org_path, dispatched_at=now, accept_due=accept_due,
            complete_due=complete_due, external_id=external_id)
        _event(order, OrderEvent.Kind.DISPATCHED, actor, office=office)
        audit.record(actor, audit.Action.CREATE, obj=order, person=person, org_path=from_unit.path,
                     detail={"office": office.name})
        _notice(office_staff(office), "order_dispatched", order, due=accept_due.isoformat())
    return order


def _claim(order: WorkOrder, states, **changes) -> WorkOrder:
    """Move ``order`` on from one of ``states`` (as read now); a conflict message when someone else moved it first."""
    if WorkOrder.objects.filter(pk=order.pk, state__in=states).update(**changes) != 1:
        current = WorkOrder.objects.get(pk=order.pk)
        raise field_error("state", _("Work order: it is now '{state}' (someone else acted on it); reload the page."),
                          code="conflict", state=current.get_state_display())
    for key, value in changes.items():
        setattr(order, key, value)
    return order


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def accept(actor, order: WorkOrder) -> WorkOrder:
    _require(selectors.may_work(actor, order))
    with transaction.atomic():
        _claim(order, [State.DISPATCHED], state=State.ACCEPTED, accepted_at=timezone.now())
        _event(order, OrderEvent.Kind.ACCEPTED, actor, office=order.office)
        audit.record(actor, audit.Action.UPDATE, obj=order, org_path=order.to_path, detail={"state": State.ACCEPTED})
        _notice([order.created_by], "order_accepted", order)
        _push(order)
    return order


def return_order(actor, order: WorkOrder, *, reason: str) -> WorkOrder:
    """The office gives the order back before accepting it (not its department's business, the person not found…)."""
    _require(selectors.may_work(actor, order))
    reason = _text(reason, "reason", _("Reason: required; say why the order is returned, e.g. not this department's "
                                       "business."))
    with transaction.atomic():
        _claim(order, [State.DISPATCHED], state=State.RETURNED)
        _event(order, OrderEvent.Kind.RETURNED, actor, note=reason, office=order.office)
        audit.record(actor, audit.Action.UPDATE, obj=order, org_path=order.to_path, detail={"state": State.RETURNED})
        _notice([order.created_by], "order_returned", order)
        _push(order)
    return order


def add_progress(actor, order: WorkOrder, *, note: str) -> OrderEvent:
    _require(selectors.may_work(actor, order))
    note = _text(note, "note", _("Progress note: required; write what was done."))
    if order.state != State.ACCEPTED:
        raise field_error("state", _("Work order: progress is noted only while it is in progress; accept it first."),
                          code="conflict")
    event = _event(order, OrderEvent.Kind.PROGRESS, actor, note=note, office=order.office)
    audit.record(actor, audit.Action.UPDATE, obj=order, org_path=order.to_path, detail={"progress": True})
    return event


def complete(actor, order: WorkOrder, *, result: str) -> WorkOrder:
    """Done: the result goes back to the sender, who closes the order."""
    _require(selectors.may_work(actor, order))
    result = _text(result, "result", _("Result: required; write what was done and the outcome, for the sender."))
    with transaction.atomic():
        _claim(order, [State.ACCEPTED], state=State.DONE, done_at=timezone.now(), result=result)
        _event(order, OrderEvent.Kind.COMPLETED, actor, office=order.office)
        audit.record(actor, audit.Action.UPDATE, obj=order, org_path=order.to_path, detail={"state": State.DONE})
        _notice([order.created_by], "order_completed", order)
        _push(order)
    return order


def close(actor, order: WorkOrder, *, satisfaction: int | None = None, note: str = "") -> WorkOrder:
    """The sender closes a completed order, with the requester's satisfaction (1 very dissatisfied – 5 very
    satisfied) when there is one."""
    _require(selectors.may_send(actor, order))
    if satisfaction is not None and satisfaction not in range(1, 6):
        raise field_error("satisfaction", _("Satisfaction: pick 1 (very dissatisfied) to 5 (very satisfied), or leave it empty."))
    note = _text(note, "note")
    with transaction.atomic():
        _claim(order, [State.DONE], state=State.CLOSED, closed_at=timezone.now(), satisfaction=satisfaction)
        _event(order, OrderEvent.Kind.CLOSED, actor, note=note)
        audit.record(actor, audit.Action.UPDATE, obj=order, org_path=order.from_path,
                     detail={"state": State.CLOSED, "satisfaction": satisfaction})
        _push(order)
    return order


def cancel(actor, order: WorkOrder, *, reason: str) -> WorkOrder:
    _require(selectors.may_send(actor, order))
    reason = _text(reason, "reason", _("Reason: required; say why the order is withdrawn."))
    with transaction.atomic():
        _claim(order, [State.DISPATCHED, State.RETURNED], state=State.CANCELLED, closed_at=timezone.now())
        _event(order, OrderEvent.Kind.CANCELLED, actor, note=reason)
        audit.record(actor, audit.Action.UPDATE, obj=order, org_path=order.from_path, detail={"state": State.CANCELLED})
        if order.accepted_at is None:
            _notice(office_staff(order.office), "order_cancelled", order)
    return order


def pass_to(actor, order: WorkOrder, *, office: DepartmentUnit, note: str = "") -> WorkOrder:
    """Pass the order to another office (another department, or another level): by the sender after a return, by
    the office working it, or by the 综治 office. The history stays; the deadlines start again."""
    _require(selectors.may_send(actor, order) or selectors.may_work(actor, order) or selectors.may_supervise(actor, order))
    if office is None or not office.active:
        raise field_error("office", _("Department office: pick the office the order goes to."), code="required")
    if office.pk == order.office_id and order.state != State.RETURNED:
        raise field_error("office", _("Department office: the order is already with {office}; pick another office."),
                          office=office.name)
    if office.pk not in {o.pk for o in selectors.covering_offices(order.from_unit)}:
        raise field_error("office", _("Department office: {office} does not cover {unit}; pick one of the listed offices."),
                          office=office.name, unit=order.from_unit.name)
    note = _text(note, "note")
    now = timezone.now()
    accept_due, complete_due = _deadlines(order.kind, now)
    with transaction.atomic():
        _claim(order, [State.DISPATCHED, State.ACCEPTED, State.RETURNED], state=State.DISPATCHED, office=office,
               department_id=office.department_id, to_path=office.org_path, dispatched_at=now, accept_due=accept_due,
               complete_due=complete_due, accept_escalated=False, complete_escalated=False, accepted_at=None)
        order.office = office
        _event(order, OrderEvent.Kind.TRANSFERRED, actor, note=note, office=office)
        audit.record(actor, audit.Action.UPDATE, obj=order, org_path=order.from_path, detail={"office": office.name})
        _notice(office_staff(office), "order_dispatched", order, due=accept_due.isoformat())
    return order


def supervise(actor, order: WorkOrder, *, note: str) -> OrderEvent:
    """督办: the 综治 office presses the office on an open order; its staff are told."""
    _require(selectors.may_supervise(actor, order))
    note = _text(note, "note", _("Supervision note: required; say what you expect and by when."))
    if order.state not in WorkOrder.OPEN:
        raise field_error("state", _("Work order: only open orders are supervised."), code="conflict")
    with transaction.atomic():
        event = _event(order, OrderEvent.Kind.SUPERVISED, actor, note=note)
        audit.record(actor, audit.Action.UPDATE, obj=order, org_path=order.to_path, detail={"supervised": True})
        _notice(office_staff(order.office), "order_supervised", order)
    return event


def escalate_overdue(now: datetime.datetime | None = None, *, limit: int = 1000) -> int:
    """Tell the 综治 office of the level above the office about each order not accepted by its acceptance deadline,
    or not completed by its completion deadline — once per deadline. Each order is claimed with a conditional
    UPDATE on the flag and the deadline it read, so two sweepers escalate it once. Returns the count."""
    now = now or timezone.now()
    done = 0
    waiting = [(State.DISPATCHED, "accept_due", "accept_escalated"), (State.ACCEPTED, "complete_due", "complete_escalated")]
    for state, due_field, flag in waiting:
        rows = list(WorkOrder.objects.filter(state=state, **{f"{due_field}__lt": now, flag: False})
                    .select_related("office", "office__org_unit", "kind").order_by(due_field, "pk")[:limit])
        for order in rows:
            target, people = governance_officers(order.office.org_unit, above=True)
            due = getattr(order, due_field)
            with transaction.atomic():
                claimed = WorkOrder.objects.filter(pk=order.pk, state=state, **{due_field: due, flag: False}).update(
                    **{flag: True}, escalated_to=target)
                if claimed != 1:
                    continue
                _event(order, OrderEvent.Kind.ESCALATED, None, unit=target, note=None)
                audit.record(None, audit.Action.UPDATE, obj=order, org_path=order.to_path,
                             detail={"escalated_to": target.code, "deadline": due.isoformat()})
                _notice(people, "order_overdue", order, unit=target.name,
                        what="accept" if state == State.DISPATCHED else "complete")
            done += 1
    return done
