"""Who sees which work orders (issue 19). Deny by default:

* department staff (``orders.work``) — the orders of their department's offices at or below the unit of their
  assignment (the department is on the assignment);
* senders (``orders.create``) — the orders sent from their area;
* the 综治 office (``orders.supervise``) — every department's orders sent from or to its area.

The person an order is about is read only through :func:`person_facts`, which gives the receiving office (and the
sender) the fields the order's kind declares, and audits the read."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from xinli.core import audit
from xinli.core.policy import ORDERS_CREATE, ORDERS_SUPERVISE, ORDERS_WORK, role_grants
from xinli.core.scoping import path_in_scope, scope_q
from xinli.regions.models import DepartmentUnit, OrgUnit

from .models import PERSON_FIELDS, WorkOrder


def department_scopes(user) -> list[tuple[int, str]]:
    """(department id, org path) of the user's active department-staff assignments."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    return [(a.department_id, a.org_unit.path) for a in user.active_assignments()
            if a.department_id and role_grants(a.role, ORDERS_WORK)]


def _office_q(user) -> Q:
    q = Q(pk__in=[])
    for dept, path in department_scopes(user):
        q |= Q(department_id=dept, to_path__startswith=path)
    return q


def office_orders(user) -> QuerySet[WorkOrder]:
    """The orders the user's department offices work (their inbox)."""
    return WorkOrder.objects.filter(_office_q(user))


def sent_orders(user) -> QuerySet[WorkOrder]:
    return WorkOrder.objects.filter(scope_q(user, ORDERS_CREATE, "from_path"))


def supervised_orders(user) -> QuerySet[WorkOrder]:
    return WorkOrder.objects.filter(scope_q(user, ORDERS_SUPERVISE, "to_path") | scope_q(user, ORDERS_SUPERVISE, "from_path"))


def visible_orders(user) -> QuerySet[WorkOrder]:
    return WorkOrder.objects.filter(_office_q(user) | scope_q(user, ORDERS_CREATE, "from_path")
                                    | scope_q(user, ORDERS_SUPERVISE, "to_path") | scope_q(user, ORDERS_SUPERVISE, "from_path"))


def may_see_orders(user) -> bool:
    from xinli.core.scoping import has_capability

    return bool(department_scopes(user)) or has_capability(user, ORDERS_CREATE) or has_capability(user, ORDERS_SUPERVISE)


def get_order(user, pk) -> WorkOrder:
    """One visible order (``WorkOrder.DoesNotExist`` otherwise: outside the area reads as absent)."""
    return visible_orders(user).select_related("kind", "office", "office__org_unit", "department", "from_unit",
                                               "created_by", "escalated_to").get(pk=pk)


def may_work(user, order: WorkOrder) -> bool:
    return any(dept == order.department_id and order.to_path.startswith(path) for dept, path in department_scopes(user))


def may_send(user, order: WorkOrder) -> bool:
    return path_in_scope(user, ORDERS_CREATE, order.from_path)


def may_supervise(user, order: WorkOrder) -> bool:
    return path_in_scope(user, ORDERS_SUPERVISE, order.to_path) or path_in_scope(user, ORDERS_SUPERVISE, order.from_path)


def _sender_sees_person(user, order: WorkOrder) -> bool:
    """The sending side reads what the order says about the person only if it may see the person anyway (the worker
    who sent it — not a 综治 officer, who can also send orders in the area but reads no archive)."""
    from xinli.archives.selectors import visible_persons

    if not may_send(user, order):
        return False
    if order.person_id is None:
        return order.created_by_id == user.pk or not path_in_scope(user, ORDERS_SUPERVISE, order.from_path)
    return visible_persons(user).filter(pk=order.person_id).exists()


def may_read_text(user, order: WorkOrder) -> bool:
    """Details, result and notes (they may describe the person): the office working the order and the sending side
    that may see the person; the 综治 office supervises deadlines and progress without them (unless it sent the
    order itself)."""
    return may_work(user, order) or order.created_by_id == user.pk or _sender_sees_person(user, order)


def person_facts(user, order: WorkOrder) -> list[tuple[str, str]]:
    """The person's fields the order's kind shares, as (label, value), for the receiving office's staff and, on the
    sending side, those who may see the person in the archive; nothing for anyone else (the 综治 office supervises deadlines, not persons). Audited as a read."""
    if order.person_id is None:
        return []
    if not (may_work(user, order) or _sender_sees_person(user, order)):
        return []
    person = order.person
    facts = []
    for key in order.kind.person_fields:
        if key not in PERSON_FIELDS:
            continue
        if key == "sex":
            value = person.get_sex_display()
        elif key == "birth_date":
            value = person.birth_date.isoformat() if person.birth_date else ""
        else:
            value = getattr(person, key) or ""
        facts.append((str(PERSON_FIELDS[key]), str(value) if value else "—"))
    audit.record_person_reads(user, [person], purpose="work_order", detail={"order": order.pk, "fields": list(order.kind.person_fields)})
    return facts


def covering_offices(unit: OrgUnit, department=None) -> list[DepartmentUnit]:
    """Active department offices whose area holds ``unit`` (at the unit or above), nearest first."""
    qs = DepartmentUnit.objects.filter(active=True, org_unit_id__in=unit.ancestor_ids).select_related("department", "org_unit")
    if department is not None:
        qs = qs.filter(department=department)
    return sorted(qs, key=lambda o: (-len(o.org_path), o.department.sort))
