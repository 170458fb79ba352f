"""The work-order pages as their users use them: a grid worker sends an order from a resident's page, the office's
staff find it in their inbox, see only the declared fields, accept and complete it; the sender closes it; the 综治
office supervises without seeing the person; a bad form names the field in Chinese and writes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from xinli.governance.models import OrderKind, WorkOrder
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    login_verified(client, user)
    return client


def test_a_grid_worker_sends_an_order_from_the_person_page_and_the_office_works_it(offices, people):
    person = people.in_a1v1
    sender = _client(offices.grid_worker)
    page = sender.get(f"/persons/{person.pk}/").content.decode()
    assert f"/orders/new/?person={person.pk}" in page and "转" not in page.split('id="new-order"')[0][-5:]
    form = sender.get(f"/orders/new/?person={person.pk}").content.decode()
    assert person.name in form and "八大关司法所" in form
    kind = OrderKind.objects.get(code="dispute_mediation")
    # A bad form: the subject is missing; the page says so on the field, in Chinese; nothing is written.
    r = sender.post(f"/orders/new/?person={person.pk}", {"kind": kind.pk, "title": "", "description": "x"})
    assert r.status_code == 400 and "事项" in r.content.decode() and "必填" in r.content.decode()
    assert not WorkOrder.objects.exists()
    r = sender.post(f"/orders/new/?person={person.pk}", {"kind": kind.pk, "title": "邻里纠纷需调解", "description": "两户争吵"})
    order = WorkOrder.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/orders/{order.pk}/"
    assert order.person == person and order.office == offices.justice_a1 and order.from_unit == person.org_unit

    mediator = _client(offices.mediator)
    inbox = mediator.get("/orders/").content.decode()
    assert "邻里纠纷需调解" in inbox and person.name not in inbox  # lists never name the person
    detail = mediator.get(f"/orders/{order.pk}/").content.decode()
    assert person.name in detail and person.id_number not in detail and "两户争吵" in detail
    assert "受理工单" in detail and "moderately" not in detail and "dispatched" not in detail
    assert mediator.post(f"/orders/{order.pk}/", {"action": "accept"}).status_code == 302
    r = mediator.post(f"/orders/{order.pk}/", {"action": "complete", "complete-text": ""})
    assert r.status_code == 400 and "办理结果" in r.content.decode()
    mediator.post(f"/orders/{order.pk}/", {"action": "complete", "complete-text": "已调解，达成协议"})
    order.refresh_from_db()
    assert order.state == WorkOrder.State.DONE

    page = sender.get(f"/orders/{order.pk}/").content.decode()
    assert "已调解，达成协议" in page and "结案" in page
    sender.post(f"/orders/{order.pk}/", {"action": "close", "close-satisfaction": "4", "close-text": ""})
    order.refresh_from_db()
    assert (order.state, order.satisfaction) == (WorkOrder.State.CLOSED, 4)


def test_the_governance_office_supervises_without_seeing_the_person(offices, people):
    from xinli.governance import services

    kind = OrderKind.objects.get(code="dispute_mediation")
    order = services.dispatch(offices.grid_worker, kind=kind, title="邻里纠纷", description="当事人张三丰家中争吵",
                              from_unit=people.in_a1v1.org_unit, person=people.in_a1v1)
    zongzhi = _client(offices.governance_county_a)
    listing = zongzhi.get("/orders/?show=supervise").content.decode()
    assert "邻里纠纷" in listing
    detail = zongzhi.get(f"/orders/{order.pk}/").content.decode()
    assert people.in_a1v1.name not in detail and "督办" in detail
    zongzhi.post(f"/orders/{order.pk}/", {"action": "supervise", "supervise-text": "请今日受理"})
    assert order.events.filter(kind="supervised").count() == 1
    # Another department's staff do not see the order at all.
    assert _client(offices.civil_worker).get(f"/orders/{order.pk}/").status_code == 404
    # Unknown actions are refused, and change nothing.
    assert zongzhi.post(f"/orders/{order.pk}/", {"action": "delete"}).status_code == 404
