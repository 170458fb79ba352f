"""WO1–WO4 checked against counts made by hand (issue 19): six orders with known times at two offices, for the
township (八大关街道), the county (市南区) and the city, with the department breakdown."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from xinli.governance import services
from xinli.governance.models import OrderKind, WorkOrder
from xinli.indicators.registry import REGISTRY

pytestmark = pytest.mark.django_db
YEAR = 2026
AS_OF = datetime.date(2026, 6, 30)


def _at(month, day, hour=9):
    return timezone.make_aware(datetime.datetime(YEAR, month, day, hour))


def _order(offices, tree, office, *, sent, accepted=None, done=None, closed=None, satisfaction=None, state=None,
           accept_hours=24, days=15):
    kind = OrderKind.objects.get(code="dispute_mediation" if office == offices.justice_a1 else "hardship_aid")
    order = services.dispatch(offices.grid_worker, kind=kind, title="t", from_unit=tree.a1v1, office=office)
    accept_due = sent + datetime.timedelta(hours=accept_hours)
    WorkOrder.objects.filter(pk=order.pk).update(
        dispatched_at=sent, created_at=sent, accept_due=accept_due, complete_due=accept_due + datetime.timedelta(days=days),
        accepted_at=accepted, done_at=done, closed_at=closed, satisfaction=satisfaction,
        state=state or (WorkOrder.State.CLOSED if closed else WorkOrder.State.DONE if done else
                        WorkOrder.State.ACCEPTED if accepted else WorkOrder.State.DISPATCHED))
    return order


@pytest.fixture
def orders(offices, tree):
    j, c = offices.justice_a1, offices.civil_county_a
    return [
        # 1 justice: accepted in 2 h, completed in 5 days, closed with 5 → on time, on time, satisfied
        _order(offices, tree, j, sent=_at(3, 1), accepted=_at(3, 1, 11), done=_at(3, 6), closed=_at(3, 7), satisfaction=5),
        # 2 justice: accepted after 30 h (late), completed after its deadline (3/2 9:00 + 24 h + 15 d = 3/18 9:00), closed with 2
        _order(offices, tree, j, sent=_at(3, 1), accepted=_at(3, 2, 15), done=_at(3, 20), closed=_at(3, 21), satisfaction=2),
        # 3 justice: accepted in time, still in progress on 30 June; completion deadline 6/2 → overdue open
        _order(offices, tree, j, sent=_at(5, 17), accepted=_at(5, 17, 10)),
        # 4 civil (county): never accepted, sent 29 June 9:00 → acceptance due 30 June 9:00 (passed on the period end) → overdue
        _order(offices, tree, c, sent=_at(6, 29)),
        # 5 civil (county): returned → left out of WO1–WO3
        _order(offices, tree, c, sent=_at(4, 1), state=WorkOrder.State.RETURNED),
        # 6 civil (county): sent in July, after the period → not counted for June
        _order(offices, tree, c, sent=_at(7, 2)),
    ]


def _values(code, units):
    ind = REGISTRY[code]
    return ind.many(units, YEAR, AS_OF, {})


def test_wo1_to_wo4_by_hand(orders, tree, offices):
    units = [tree.a1, tree.county_a, tree.city]
    wo1, wo2, wo3, wo4 = (_values(c, units) for c in ("WO1", "WO2", "WO3", "WO4"))
    # WO1: township (justice office): orders 1, 2, 3 dispatched; 1 and 3 accepted in time → 2/3.
    assert wo1[tree.a1.pk][""] == (2, 3)
    # County: the township's three plus order 4 (not accepted) → 2/4; 5 returned, 6 after the period.
    assert wo1[tree.county_a.pk][""] == (2, 4)
    assert wo1[tree.county_a.pk]["dept=justice"] == (2, 3) and wo1[tree.county_a.pk]["dept=civil_affairs"] == (0, 1)
    assert wo1[tree.city.pk][""] == (2, 4)
    # WO2: due or done by 30 June: 1 (done in time), 2 (late), 3 (due 2 June, open) → 1/3; order 4's completion is due in July.
    assert wo2[tree.county_a.pk][""] == (1, 3)
    # WO3: open past the running deadline on 30 June: 3 (completion) and 4 (acceptance) → 2.
    assert wo3[tree.county_a.pk][""] == (2, None) and wo3[tree.a1.pk][""] == (1, None)
    # WO4: closed with an answer: 1 (5) and 2 (2) → 1/2.
    assert wo4[tree.county_a.pk][""] == (1, 2)


def test_the_rebuild_stores_them_with_the_department_breakdown(orders, tree):
    from xinli.indicators.models import Rollup
    from xinli.indicators.services import rebuild

    rebuild(YEAR, month=6, codes=["WO1", "WO3"])
    row = Rollup.objects.get(indicator="WO1", period="2026-06", org_unit=tree.county_a, breakdown="")
    assert (row.numerator, row.denominator) == (2, 4) and float(row.value) == 0.5
    assert Rollup.objects.get(indicator="WO3", period="2026-06", org_unit=tree.county_a, breakdown="dept=civil_affairs").numerator == 1
