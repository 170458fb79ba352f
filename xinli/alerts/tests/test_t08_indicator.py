"""T08 (24 小时公益心理援助平台 + 心理危机干预队伍), hand-built cases: a line open 24 hours every day at the unit or
above, and an active registered team at the unit or above with at least 3 members, a leader and a shift covering the
day. Each case failed on the old rule (a line ≥ 18 h and any user holding the crisis-team role)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation

from xinli.alerts import indicators, teams
from xinli.alerts.indicators import compute, min_team_members, t08_detail
from xinli.core.policy import Role
from xinli.hotline.models import Line
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 10)  # the period end being assessed


def at(day, hour=0, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def officer(tree):
    return make_user("city_officer", [(tree.city, Role.HEALTH_OFFICER)])


def line(unit, hours=24, days=7, name=None):
    return Line.objects.create(name=name or f"{unit.name}心理援助热线", number="12356", org_unit=unit, hours_per_day=hours,
                               days_per_week=days)


def team(officer, unit, *, members=3, leader=True, shift="on the day", name="心理危机干预队"):
    """A team with ``members`` outside members (the first the leader) and, by default, a shift from 08:00 on DAY to
    08:00 the next day."""
    if shift == "on the day":
        shift = (at(DAY, 8), at(DAY + datetime.timedelta(days=1), 8))
    t = teams.create_team(officer, org_unit=unit, name=name)
    rows = [teams.add_member(officer, t, name=f"队员{i}", phone=f"1390000000{i}", profession="psychiatrist",
                             leader=leader and i == 0, since=DAY - datetime.timedelta(days=30)) for i in range(members)]
    if shift and rows:
        teams.add_shift(officer, t, member=rows[-1], start=shift[0], end=shift[1])
    return t


def role_holder(unit):
    """A user holding the crisis-team role at ``unit``: what the old rule took for a team (with any line ≥ 18 h), so
    each failing case below also failed the old rule's way."""
    return make_user(f"role_{unit.code}", [(unit, Role.CRISIS_TEAM)])


def t08(unit, day=DAY):
    """T08 of one unit by the rule (``compute``); the rebuild's form for many units (``many``) must agree."""
    one = compute(unit, day.year, day, {})
    assert indicators.many([unit], day.year, day, {}) == {unit.pk: {"": one}}
    return one


def test_the_minimum_is_three_members(tree):
    assert min_team_members(tree.county_a) == 3  # the default; a region sets its own (regions/tests)


def test_a_line_open_24_hours_every_day_and_a_ready_team_pass(tree, officer):
    line(tree.city)
    team(officer, tree.county_a)
    assert t08(tree.county_a) == (1, None)
    detail = t08_detail(tree.county_a, DAY)
    assert detail.met and detail.reasons == []
    assert detail.line.org_unit == tree.city and detail.team.team.org_unit == tree.county_a


def test_an_18_hour_line_fails_and_the_detail_gives_the_hours(tree, officer):
    role_holder(tree.county_a)
    line(tree.county_a, hours=18, name="市南区热线")
    team(officer, tree.county_a)
    assert t08(tree.county_a) == (0, None)
    with translation.override("zh-hans"):
        assert t08_detail(tree.county_a, DAY).reasons == ["热线 市南区热线 (12356)：每日服务 18 小时（需 24 小时）。"]
    with translation.override("en"):
        assert t08_detail(tree.county_a, DAY).reasons == ["Hotline 市南区热线 (12356): open 18 hours a day (24 needed)."]


def test_a_line_open_six_days_a_week_fails(tree, officer):
    role_holder(tree.county_a)
    line(tree.city, days=6, name="青岛市热线")
    team(officer, tree.county_a)
    assert t08(tree.county_a) == (0, None)
    with translation.override("zh-hans"):
        assert t08_detail(tree.county_a, DAY).reasons == ["热线 青岛市热线 (12356)：每周服务 6 天（需每天服务）。"]


def test_no_line_at_all_fails_naming_the_unit(tree, officer):
    line(tree.county_b)  # a line of a neighbouring county does not serve county A
    team(officer, tree.county_a)
    assert t08(tree.county_a) == (0, None)
    with translation.override("zh-hans"):
        assert t08_detail(tree.county_a, DAY).reasons == ["市南区及上级未登记心理援助热线。"]


@pytest.mark.parametrize("members, expected", [(2, 0), (3, 1), (4, 1)])
def test_a_team_needs_three_members(tree, officer, members, expected):
    if not expected:
        role_holder(tree.county_a)
    line(tree.city)
    team(officer, tree.county_a, members=members, name="市南区危机干预队")
    assert t08(tree.county_a) == (expected, None)
    if not expected:
        with translation.override("zh-hans"):
            assert t08_detail(tree.county_a, DAY).reasons == ["危机干预队伍 市南区危机干预队：成员 2 人（至少 3 人）。"]


def test_a_member_counts_from_since_to_the_day_before_until(tree, officer):
    role_holder(tree.county_a)
    line(tree.city)
    t = team(officer, tree.county_a, members=3)
    late = teams.add_member(officer, t, name="新队员", phone="13900000009", profession="nurse", since=DAY + datetime.timedelta(days=1))
    assert late.member_on(DAY) is False
    second = t.members.order_by("pk")[1]
    type(second).objects.filter(pk=second.pk).update(until=DAY)  # left on the day assessed
    assert len(indicators.team_status(t, DAY).members) == 2  # the one joining the next day does not count either
    assert len(indicators.team_status(t, DAY - datetime.timedelta(days=1)).members) == 3
    assert t08(tree.county_a) == (0, None)


def test_a_team_without_a_leader_fails(tree, officer):
    role_holder(tree.county_a)
    line(tree.city)
    team(officer, tree.county_a, leader=False, name="无队长队")
    assert t08(tree.county_a) == (0, None)
    with translation.override("zh-hans"):
        assert t08_detail(tree.county_a, DAY).reasons == ["危机干预队伍 无队长队：未指定队长。"]


@pytest.mark.parametrize("shift, expected", [
    ((at(DAY, 8), at(DAY, 20)), 1),  # part of the day is enough
    ((at(DAY - datetime.timedelta(days=1), 20), at(DAY, 0, 1)), 1),  # into the first minute of the day
    ((at(DAY - datetime.timedelta(days=2), 8), at(DAY, 0)), 0),  # ends as the day begins
    ((at(DAY + datetime.timedelta(days=1), 0), at(DAY + datetime.timedelta(days=1), 8)), 0),  # the next day
    (None, 0),  # no rota at all
])
def test_a_shift_must_cover_the_day(tree, officer, shift, expected):
    if not expected:
        role_holder(tree.county_a)
    line(tree.city)
    team(officer, tree.county_a, shift=shift, name="值班队")
    assert t08(tree.county_a) == (expected, None)
    if not expected:
        with translation.override("zh-hans"):
            assert t08_detail(tree.county_a, DAY).reasons == ["危机干预队伍 值班队：无覆盖 2026-03-10 的值班。"]


def test_an_inactive_team_does_not_count(tree, officer):
    role_holder(tree.county_a)
    line(tree.city)
    t = team(officer, tree.county_a)
    teams.update_team(officer, t, active=False)
    assert t08(tree.county_a) == (0, None)
    with translation.override("zh-hans"):
        assert t08_detail(tree.county_a, DAY).reasons == ["市南区及上级未登记在用的心理危机干预队伍。"]
    teams.update_team(officer, t, active=True)
    assert t08(tree.county_a) == (1, None)


def test_a_team_above_the_unit_counts_and_one_below_does_not(tree, officer):
    line(tree.city)
    team(officer, tree.city, name="青岛市危机干预队")
    assert t08(tree.county_a) == (1, None)
    assert t08(tree.county_b) == (1, None)
    assert t08(tree.city) == (1, None)


def test_a_team_below_or_beside_the_unit_does_not_count(tree, officer):
    role_holder(tree.county_a)
    line(tree.city)
    team(officer, tree.a1, name="八大关街道队")  # a township's team
    team(officer, tree.county_b, name="市北区队")  # the neighbouring county's
    assert t08(tree.county_a) == (0, None)
    assert t08(tree.city) == (0, None)
    assert t08(tree.county_b) == (1, None)
    # All units at once, as the rebuild asks: only county B and the township with its own team qualify.
    units = [tree.city, tree.county_a, tree.county_b, tree.a1, tree.a2]
    assert indicators.many(units, DAY.year, DAY, {}) == {
        tree.city.pk: {"": (0, None)}, tree.county_a.pk: {"": (0, None)}, tree.county_b.pk: {"": (1, None)},
        tree.a1.pk: {"": (1, None)}, tree.a2.pk: {"": (0, None)}}


def test_one_user_holding_the_crisis_team_role_is_not_a_team(tree):
    """What the old rule accepted: a line ≥ 18 h and one crisis-team role holder."""
    line(tree.city, hours=24)
    role_holder(tree.county_a)
    assert t08(tree.county_a) == (0, None)


def test_several_teams_and_lines_one_of_each_ready_is_enough(tree, officer):
    line(tree.county_a, hours=18)
    line(tree.city)
    team(officer, tree.county_a, members=2, name="小队")
    team(officer, tree.city, name="市队")
    detail = t08_detail(tree.county_a, DAY)
    assert detail.met and detail.line.org_unit == tree.city and detail.team.team.name == "市队"
    # The lines are listed nearest first, with their shortfalls, for the pages.
    assert [ln.org_unit for ln in detail.lines] == [tree.county_a, tree.city]
    assert indicators.line_reasons(detail.lines[0]) and not indicators.line_reasons(detail.lines[1])


def test_the_registry_row_points_at_the_rule_and_the_rollup_holds_it(tree, officer):
    from xinli.indicators import services
    from xinli.indicators.models import Rollup
    from xinli.indicators.registry import REGISTRY

    assert REGISTRY["T08"].many is indicators.many
    last = timezone.localdate().year - 1
    end = datetime.date(last, 12, 31)
    line(tree.city)
    line(tree.county_b, hours=18)
    t = teams.create_team(officer, org_unit=tree.city, name="青岛市危机干预队")
    rows = [teams.add_member(officer, t, name=f"队员{i}", phone=f"1390000001{i}", profession="counsellor", leader=i == 0,
                             since=datetime.date(last, 1, 1)) for i in range(3)]
    teams.add_shift(officer, t, member=rows[0], start=at(end, 8), end=at(end, 20))
    services.rebuild(last, codes={"T08"})
    got = {r.org_unit_id: (r.numerator, r.denominator, r.value) for r in Rollup.objects.filter(indicator="T08", period=str(last))}
    assert got[tree.city.pk][0] == 1 and got[tree.county_a.pk][0] == 1 and got[tree.county_b.pk][0] == 1
    assert got[tree.city.pk][1] is None
    # November's period end (30 November) has no shift: not met.
    services.rebuild(last, month=11, codes={"T08"})
    assert Rollup.objects.get(indicator="T08", period=f"{last}-11", org_unit=tree.county_a).numerator == 0
