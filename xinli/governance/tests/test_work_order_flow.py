"""A dispute found by a grid worker flows to mediation (司法所), is passed on to civil affairs, completed, fed back
and closed with the requester's satisfaction; each step's rules (issue 19 part 3)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from xinli.alerts.models import Notification
from xinli.core.models import AuditEntry
from xinli.governance import selectors, services
from xinli.governance.models import OrderEvent, OrderKind, WorkOrder

pytestmark = pytest.mark.django_db


def _dispute(offices, people, **kw):
    kind = OrderKind.objects.get(code="dispute_mediation")
    return services.dispatch(offices.grid_worker, kind=kind, title="邻里噪音纠纷，需调解", description="两户因装修噪音多次争吵",
                             from_unit=people.in_a1v1.org_unit, person=people.in_a1v1, **kw)


def test_a_dispute_goes_to_mediation_then_civil_affairs_and_comes_back_closed(offices, people):
    before = timezone.now()
    order = _dispute(offices, people)
    # Sent to the nearest office of the kind's department (justice) that covers the village: 八大关司法所.
    assert order.office == offices.justice_a1 and order.state == WorkOrder.State.DISPATCHED
    kind = order.kind
    assert order.accept_due - before >= datetime.timedelta(hours=kind.accept_hours)
    assert order.complete_due - order.accept_due == datetime.timedelta(days=kind.complete_days)
    assert Notification.objects.filter(recipient=offices.mediator, kind="order_dispatched").count() == 1
    assert Notification.objects.filter(recipient=offices.civil_worker).count() == 0

    services.accept(offices.mediator, order)
    services.add_progress(offices.mediator, order, note="已调解，双方达成协议；一方生活困难需民政救助")
    services.pass_to(offices.mediator, order, office=offices.civil_a1, note="转民政办")
    order.refresh_from_db()
    assert order.state == WorkOrder.State.DISPATCHED and order.office == offices.civil_a1 and order.accepted_at is None
    assert Notification.objects.filter(recipient=offices.civil_worker, kind="order_dispatched").count() == 1
    # The mediator no longer works it (the order is civil affairs' now).
    assert not selectors.office_orders(offices.mediator).filter(pk=order.pk).exists()
    with pytest.raises(PermissionDenied):
        services.complete(offices.mediator, order, result="x")

    services.accept(offices.civil_worker, order)
    services.complete(offices.civil_worker, order, result="已纳入临时救助，发放救助金 800 元")
    assert Notification.objects.filter(recipient=offices.grid_worker, kind="order_completed").count() == 1
    services.close(offices.grid_worker, order, satisfaction=5, note="居民满意")
    order.refresh_from_db()
    assert (order.state, order.satisfaction, order.result) == (WorkOrder.State.CLOSED, 5, "已纳入临时救助，发放救助金 800 元")
    assert list(order.events.values_list("kind", flat=True)) == [
        "dispatched", "accepted", "progress", "transferred", "accepted", "completed", "closed"]
    # Notes are stored encrypted.
    from django.db import connection
    with connection.cursor() as c:
        c.execute("SELECT note FROM governance_orderevent WHERE kind = 'progress'")
        assert "调解" not in c.fetchone()[0]


def test_a_returned_order_goes_back_to_the_sender_who_passes_it_on_or_withdraws_it(offices, people):
    order = _dispute(offices, people)
    with pytest.raises(ValidationError) as err:
        services.return_order(offices.mediator, order, reason="  ")
    assert "reason" in err.value.message_dict
    services.return_order(offices.mediator, order, reason="不属于调解范围")
    assert Notification.objects.filter(recipient=offices.grid_worker, kind="order_returned").count() == 1
    with pytest.raises(ValidationError):  # no second decision on the same dispatch
        services.accept(offices.mediator, order)
    services.pass_to(offices.grid_worker, order, office=offices.civil_county_a)
    order.refresh_from_db()
    assert order.office == offices.civil_county_a and order.state == WorkOrder.State.DISPATCHED
    services.cancel(offices.grid_worker, order, reason="居民已自行解决")
    assert WorkOrder.objects.get(pk=order.pk).state == WorkOrder.State.CANCELLED


def test_bad_input_names_the_field_and_writes_nothing(offices, people, tree):
    kind = OrderKind.objects.get(code="hardship_aid")
    with pytest.raises(ValidationError) as err:
        services.dispatch(offices.grid_worker, kind=kind, title="", from_unit=tree.a1v1)
    assert "title" in err.value.message_dict and "事项" in err.value.message_dict["title"][0]
    with pytest.raises(ValidationError) as err:  # an office that does not cover the village
        services.dispatch(offices.grid_worker, kind=kind, title="困难救助", from_unit=tree.a1v1, office=offices.civil_county_b)
    assert "office" in err.value.message_dict
    with pytest.raises(PermissionDenied):  # outside the sender's area
        services.dispatch(offices.grid_worker, kind=kind, title="困难救助", from_unit=tree.b1v1)
    with pytest.raises(PermissionDenied):  # a person the sender may not see
        services.dispatch(offices.grid_worker, kind=kind, title="困难救助", from_unit=tree.a1v1, person=people.in_b1v1)
    order = services.dispatch(offices.grid_worker, kind=kind, title="困难救助", from_unit=tree.a1v1)
    services.accept(offices.civil_worker, order)
    services.complete(offices.civil_worker, order, result="已救助")
    with pytest.raises(ValidationError) as err:
        services.close(offices.grid_worker, order, satisfaction=9)
    assert "satisfaction" in err.value.message_dict
    assert WorkOrder.objects.count() == 1 and WorkOrder.objects.get().state == WorkOrder.State.DONE


def test_no_office_of_the_department_gives_a_message_naming_the_department(offices, tree):
    kind = OrderKind.objects.get(code="employment_help")  # no 人社 office registered
    with pytest.raises(ValidationError) as err:
        services.dispatch(offices.grid_worker, kind=kind, title="就业帮扶", from_unit=tree.a1v1)
    assert "人力资源社会保障" in err.value.message_dict["office"][0]


def test_department_staff_see_only_their_department_orders_and_only_the_declared_person_fields(offices, people):
    order = _dispute(offices, people)
    other = services.dispatch(offices.grid_worker, kind=OrderKind.objects.get(code="hardship_aid"), title="困难救助",
                              from_unit=people.in_a1v1.org_unit, person=people.in_a1v1)
    assert list(selectors.visible_orders(offices.mediator)) == [order]
    assert list(selectors.visible_orders(offices.civil_worker)) == [other]
    assert not selectors.visible_orders(offices.civil_county_b_worker).exists()
    facts = dict(selectors.person_facts(offices.mediator, order))
    assert set(facts) == {"姓名", "联系电话", "住址"}
    assert people.in_a1v1.name in facts.values() and people.in_a1v1.id_number not in facts.values()
    assert AuditEntry.objects.filter(actor_id=offices.mediator.pk, person_id=people.in_a1v1.pk, purpose="work_order").count() == 1
    # The 综治 office supervises deadlines, not persons: it sees the order but no person field, and reads nobody.
    assert order in selectors.visible_orders(offices.governance_county_a)
    assert selectors.person_facts(offices.governance_county_a, order) == []
    assert not AuditEntry.objects.filter(actor_id=offices.governance_county_a.pk, person_id__isnull=False).exists()
    # A department role reads no archive.
    from xinli.archives.selectors import visible_persons
    assert not visible_persons(offices.mediator).exists()


def test_the_governance_office_supervises_and_the_office_is_told(offices, people):
    order = _dispute(offices, people)
    with pytest.raises(PermissionDenied):
        services.supervise(offices.civil_county_b_worker, order, note="x")
    services.supervise(offices.governance_county_a, order, note="请于今日内受理")
    assert Notification.objects.filter(recipient=offices.mediator, kind="order_supervised").count() == 1
    assert OrderEvent.objects.filter(order=order, kind="supervised").count() == 1
