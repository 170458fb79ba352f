"""Work-order kinds are data the system administrator keeps on /orders/kinds/ (issue 19 part 3): a change of deadline
applies to orders sent afterwards, a new kind is offered to senders, bad input names the field in Chinese and writes
nothing; no one else reaches the page."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from xinli.core.policy import Role
from xinli.governance import services
from xinli.governance.models import OrderKind
from xinli.regions.models import Department
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    login_verified(client, user)
    return client


def test_the_administrator_changes_a_deadline_and_adds_a_kind(tree, offices):
    admin = _client(make_user("sysadmin", [(tree.city, Role.SYSTEM_ADMIN)]))
    kind = OrderKind.objects.get(code="hardship_aid")
    civil = Department.objects.get(code="civil_affairs")
    before = services.dispatch(offices.grid_worker, kind=kind, title="困难救助", from_unit=tree.a1v1)
    page = admin.get("/orders/kinds/").content.decode()
    assert "困难救助" in page and "民政" in page
    r = admin.post(f"/orders/kinds/{kind.pk}/", {"name": "困难救助", "name_en": "Hardship assistance", "department": civil.pk,
                                                "accept_hours": "12", "complete_days": "10", "person_fields": ["name", "phone"],
                                                "sort": "20", "active": "on"})
    assert r.status_code == 302
    kind.refresh_from_db()
    assert (kind.accept_hours, kind.complete_days, kind.person_fields) == (12, 10, ["name", "phone"])
    after = services.dispatch(offices.grid_worker, kind=kind, title="困难救助", from_unit=tree.a1v1)
    assert after.accept_due - after.dispatched_at == datetime.timedelta(hours=12)
    before.refresh_from_db()
    assert before.accept_due - before.dispatched_at == datetime.timedelta(hours=48)  # kept
    r = admin.post("/orders/kinds/", {"code": "housing_aid", "name": "住房困难帮扶", "department": civil.pk, "accept_hours": "48",
                                      "complete_days": "20", "person_fields": ["name", "address"], "sort": "25", "active": "on"})
    assert r.status_code == 302 and OrderKind.objects.get(code="housing_aid").department == civil


def test_bad_input_names_the_field_and_others_get_404(tree, offices):
    admin = _client(make_user("sysadmin", [(tree.city, Role.SYSTEM_ADMIN)]))
    civil = Department.objects.get(code="civil_affairs")
    count = OrderKind.objects.count()
    r = admin.post("/orders/kinds/", {"code": "Bad Code", "name": "", "department": civil.pk, "accept_hours": "0",
                                      "complete_days": "10", "sort": "1"})
    body = r.content.decode()
    assert r.status_code == 400 and "名称" in body and OrderKind.objects.count() == count
    r = admin.post("/orders/kinds/", {"code": "hardship_aid", "name": "重复", "department": civil.pk, "accept_hours": "24",
                                      "complete_days": "10", "sort": "1"})
    assert r.status_code == 400 and "hardship_aid" in r.content.decode() and OrderKind.objects.count() == count
    for user in (offices.governance_city, offices.civil_worker):
        assert _client(user).get("/orders/kinds/").status_code == 404
