"""T09 over the pilot plan's special populations only, counting active plans whose review is not overdue; the care
groups in their own indicator CA1; per village, county and city through the rebuild. Numbers by hand."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from xinli.archives.models import Person, PopulationTag
from xinli.archives.services import register_person
from xinli.core.policy import Role
from xinli.counselling import indicators
from xinli.counselling.models import Plan
from xinli.counselling.services import create_plan
from xinli.indicators import services as rollups
from xinli.indicators.models import Rollup
from xinli.testing.fixtures import id_number, make_user

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
YEAR = TODAY.year


@pytest.fixture
def register(tree):
    """A1v1: P1 community correction + plan (review in 30 days); P2 released prisoner + drug rehabilitation (two
    plan groups, counted once), plan overdue for review; P3 paranoid personality, no plan; P4 empty-nest elderly
    (care group) + plan; P5 under community correction whose tag ended last month (not counted).
    A2v1: P6 vagrant + plan, closed. B1v1: P7 detainee + plan; P8 left-behind child, no plan."""
    worker = make_user("county_worker", [(tree.city, Role.COUNSELLOR)])
    registrar = make_user("reg", [(tree.city, Role.HEALTH_OFFICER)])
    later = TODAY + datetime.timedelta(days=30)

    def person(n, unit, tags, plan=None, ended=False):
        p = register_person(registrar, {"name": f"居民{n}", "id_number": id_number("19800101", 700 + n, unit.code[:6]), "org_unit": unit},
                            consents=[{"purpose": "archive"}]).person
        for tag in tags:
            PopulationTag(person=p, tag=tag, since=TODAY - datetime.timedelta(days=200)).place_under(p).save()
        if plan:
            create_plan(worker, p, goals="目标", interventions="措施", review_on=later)
            if plan == "overdue":
                Plan.objects.filter(person=p).update(review_on=TODAY - datetime.timedelta(days=1))
            if plan == "closed":
                Plan.objects.filter(person=p).update(state="closed", closed_at=timezone.now() - datetime.timedelta(days=2))
        if ended:
            PopulationTag.objects.filter(person=p).update(until=TODAY - datetime.timedelta(days=30))
        return p

    person(1, tree.a1v1, ["community_correction"], plan="ok")
    person(2, tree.a1v1, ["released_prisoner", "drug_community"], plan="overdue")
    person(3, tree.a1v1, ["paranoid_personality"])
    person(4, tree.a1v1, ["elderly_empty_nest"], plan="ok")
    person(5, tree.a1v1, ["community_correction"], ended=True)
    person(6, tree.a2v1, ["vagrant"], plan="closed")
    person(7, tree.b1v1, ["detainee"], plan="ok")
    person(8, tree.b1v1, ["child_left_behind"])
    return tree


def test_t09_counts_plan_groups_with_a_current_plan(register):
    tree = register
    # A1v1: plan groups P1, P2, P3 (P4 is a care group, P5's tag ended); covered P1 only (P2 overdue) -> 1 / 3.
    assert indicators.coverage(tree.a1v1, TODAY) == (1, 3)
    # County A adds P6 (vagrant; closed plan) -> 1 / 4. City adds P7 (detainee, plan) -> 2 / 5.
    assert indicators.coverage(tree.county_a, TODAY) == (1, 4)
    assert indicators.coverage(tree.city, TODAY) == (2, 5)
    # CA1: care groups P4 (plan) and P8 (none) -> 1 / 2 in the city; 1 / 1 in A1v1.
    assert indicators.coverage(tree.city, TODAY, indicators.CARE_GROUPS) == (1, 2)
    assert indicators.coverage(tree.a1v1, TODAY, indicators.CARE_GROUPS) == (1, 1)


def test_the_rebuild_stores_the_same_values(register):
    tree = register
    rollups.rebuild(YEAR, codes={"T09", "CA1"})

    def row(code, unit):
        r = Rollup.objects.get(indicator=code, org_unit=unit, period=str(YEAR), breakdown="")
        return r.numerator, r.denominator, r.value

    assert row("T09", tree.a1v1) == (1, 3, Decimal("0.333333"))
    assert row("T09", tree.county_a) == (1, 4, Decimal("0.25"))
    assert row("T09", tree.city) == (2, 5, Decimal("0.4"))
    assert row("CA1", tree.city) == (1, 2, Decimal("0.5"))


def test_care_rows_leave_the_callers_planner_setting_alone(register):
    """The grouped count runs without parallel workers on PostgreSQL (``_serial``); a caller's own setting is back
    afterwards, and the rows are the hand counts: P4 (plan) in A1v1, P8 (no plan) in B1v1."""
    tree = register
    on_pg = connection.vendor == "postgresql"
    with transaction.atomic():
        if on_pg:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 3")
        rows = sorted((path, covered, n, breakdown) for path, covered, n, breakdown in indicators.care_rows(tree.city.path, YEAR, TODAY))
        if on_pg:
            with connection.cursor() as cursor:
                cursor.execute("SHOW max_parallel_workers_per_gather")
                assert cursor.fetchone()[0] == "3"
    # Both ID numbers end their sequence in an even digit (704, 708): women.
    assert rows == sorted([(tree.a1v1.path, 1, 1, ("sex=F",)), (tree.b1v1.path, 0, 1, ("sex=F",))])


def test_a_region_tag_set_applies_to_its_units(register, monkeypatch):
    """County A counts the elderly too (its own list); the rest of the city keeps the plan's list: A1v1 then has P1,
    P2, P3, P4 with P1 and P4 covered -> 2 / 4; county A 2 / 5; the city adds B1v1's P7 -> 3 / 6."""
    tree = register
    wide = indicators.PLAN_GROUPS | {"elderly_empty_nest"}
    monkeypatch.setattr(indicators, "t09_tag_sets",
                        lambda paths: {p: wide if p.startswith(tree.county_a.path) else indicators.PLAN_GROUPS for p in paths})
    rows = {}
    for path, covered, n, _keys in indicators.t09_rows(tree.city.path, YEAR, TODAY):
        c = rows.setdefault(path, [0, 0])
        c[0] += covered
        c[1] += n
    assert rows[tree.a1v1.path] == [2, 4] and rows[tree.a2v1.path] == [0, 1] and rows[tree.b1v1.path] == [1, 1]
    assert Person.objects.count() == 8


@pytest.mark.parametrize("where", ["county_a", "city"])
def test_a_region_tag_set_stored_as_a_parameter(register, where):
    """The same wider list stored as the region parameter ``t09_tags``: on county A only (two lists in the city: each
    person counted with the list of their unit), or on the city (one list for every unit: one grouped count). A1v1:
    P1, P2, P3, P4, with P1 and P4 covered -> 2 / 4 either way; B1v1: P7 (detainee, plan) -> 1 / 1 (P8's left-behind
    child is in neither list)."""
    from xinli.regions.models import RegionParameter

    tree = register
    RegionParameter.objects.create(org_unit=getattr(tree, where), key="t09_tags", source="test",
                                   value=sorted(indicators.PLAN_GROUPS | {"elderly_empty_nest"}))
    rows = {}
    for path, covered, n, _keys in indicators.t09_rows(tree.city.path, YEAR, TODAY):
        c = rows.setdefault(path, [0, 0])
        c[0] += covered
        c[1] += n
    assert rows == {tree.a1v1.path: [2, 4], tree.a2v1.path: [0, 1], tree.b1v1.path: [1, 1]}


@pytest.mark.django_db(transaction=True)
def test_the_rebuild_outside_a_transaction_counts_ca1_and_t09_on_another_connection(register, monkeypatch):
    """A rebuild outside a transaction (as the nightly task runs it) computes CA1 and T09 in a thread on its own
    connection on PostgreSQL (``services.OVERLAPPED``), in line elsewhere; the stored values are the hand counts
    either way."""
    import threading

    tree = register
    threads = []
    original = rollups._in_thread

    def spy(*args):
        threads.append(threading.current_thread() is not threading.main_thread())
        return original(*args)

    monkeypatch.setattr(rollups, "_in_thread", spy)
    rollups.rebuild(YEAR, codes={"T09", "CA1"})
    assert threads == ([True, True] if connection.vendor == "postgresql" else [])

    def row(code, unit):
        r = Rollup.objects.get(indicator=code, org_unit=unit, period=str(YEAR), breakdown="")
        return r.numerator, r.denominator, r.value

    assert row("CA1", tree.city) == (1, 2, Decimal("0.5"))
    assert row("CA1", tree.a1v1) == (1, 1, Decimal("1"))
    assert row("T09", tree.city) == (2, 5, Decimal("0.4"))
