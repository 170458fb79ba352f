"""Overdue work orders escalate to the 综治 office of the level above the office, once per deadline; two sweepers
racing escalate each once (issue 19 part 3)."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection, connections

from xinli.alerts.models import Notification
from xinli.governance import services
from xinli.governance.models import OrderEvent, OrderKind, WorkOrder

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def _orders(offices, tree, n=1):
    kind = OrderKind.objects.get(code="dispute_mediation")
    return [services.dispatch(offices.grid_worker, kind=kind, title=f"纠纷 {i}", from_unit=tree.a1v1) for i in range(n)]


def test_not_accepted_in_time_escalates_once_to_the_county_governance_office(offices, tree):
    (order,) = _orders(offices, tree)
    assert services.escalate_overdue(now=order.accept_due - HOUR) == 0
    assert services.escalate_overdue(now=order.accept_due + HOUR) == 1
    order.refresh_from_db()
    # The office is at 八大关街道; no 综治 officer there, so the nearest above: 市南区 (county A), not the city.
    assert order.escalated_to == tree.county_a and order.accept_escalated
    assert Notification.objects.filter(kind="order_overdue", recipient=offices.governance_county_a).count() == 1
    assert not Notification.objects.filter(kind="order_overdue", recipient=offices.governance_city).exists()
    assert services.escalate_overdue(now=order.accept_due + 5 * HOUR) == 0  # once per deadline
    # Accepted, then not completed in time: the completion deadline escalates once more.
    services.accept(offices.mediator, order)
    assert services.escalate_overdue(now=order.complete_due + HOUR) == 1
    assert services.escalate_overdue(now=order.complete_due + 2 * HOUR) == 0
    assert OrderEvent.objects.filter(order=order, kind="escalated").count() == 2
    # Passed to another office: its deadlines start again, and so does escalation.
    services.pass_to(offices.mediator, order, office=offices.civil_a1)
    order.refresh_from_db()
    assert not order.accept_escalated and not order.complete_escalated
    assert services.escalate_overdue(now=order.accept_due + HOUR) == 1


def test_an_order_done_in_time_never_escalates(offices, tree):
    (order,) = _orders(offices, tree)
    services.accept(offices.mediator, order)
    services.complete(offices.mediator, order, result="已调解")
    assert services.escalate_overdue(now=order.complete_due + 100 * HOUR) == 0


def test_an_office_at_the_county_escalates_to_the_city(offices, tree):
    kind = OrderKind.objects.get(code="hardship_aid")
    order = services.dispatch(offices.grid_worker, kind=kind, title="困难救助", from_unit=tree.a1v1, office=offices.civil_county_a)
    services.escalate_overdue(now=order.accept_due + HOUR)
    order.refresh_from_db()
    assert order.escalated_to == tree.city
    assert Notification.objects.filter(kind="order_overdue", recipient=offices.governance_city).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_sweepers_racing_escalate_each_order_once(offices, tree):
    orders = _orders(offices, tree, 12)
    now = max(o.accept_due for o in orders) + HOUR
    counts, errors = [], []
    barrier = threading.Barrier(2)

    def sweep():
        try:
            barrier.wait()
            counts.append(services.escalate_overdue(now=now))
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sum(counts) == 12
    assert OrderEvent.objects.filter(kind="escalated").count() == 12
    assert WorkOrder.objects.filter(accept_escalated=True).count() == 12
    assert Notification.objects.filter(kind="order_overdue").count() == 12
