"""The registry's computations, each against numbers worked out by hand: breakdowns by sex and age band, hotline
and alert rates, monthly periods (the year to the month's end), the hierarchy as of the period, T20 against last
year, village rows — and the set-based scans against the modules' own per-unit functions on the demo county."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from xinli.indicators import services
from xinli.indicators.models import ExtremeIncident, Rollup
from xinli.indicators.registry import REGISTRY
from xinli.screening.models import Assessment

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
YEAR = TODAY.year
LAST = YEAR - 1


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def value(code, unit, period=str(YEAR), breakdown=""):
    r = Rollup.objects.get(indicator=code, org_unit=unit, period=period, breakdown=breakdown)
    return r.numerator, r.denominator, r.value


def assessment(person, unit, severity, when):
    return Assessment.objects.create(scale="phq9", scale_version="1", mode="self", person=person, total=severity * 5, raw_total=severity * 5,
                                     band=f"b{severity}", severity=severity, taken_at=when, org_path=unit.path, county_code=unit.code[:6])


def test_screening_positive_rate_with_sex_and_age_breakdowns(tree, people):
    # 张三丰 M 1980, 李四 F 1990, 王五 M 1975, 赵六 F 2015 (sex and birth from the ID numbers); one anonymous in A1v1.
    day = datetime.date(LAST, 6, 1)
    assessment(people.in_a1v1, tree.a1v1, 3, at(day))
    assessment(people.in_a1v2, tree.a1v2, 1, at(day))
    assessment(people.in_a2v1, tree.a2v1, 2, at(day))
    assessment(people.in_b1v1, tree.b1v1, 0, at(day))
    assessment(None, tree.a1v1, 4, at(day))
    assessment(people.in_a1v1, tree.a1v1, 4, at(datetime.date(LAST - 1, 12, 31)))  # the year before: not counted
    services.rebuild(LAST, codes={"SC2"})
    p = str(LAST)
    # City: positives 张(3) 王(2) anonymous(4) of 5.
    assert value("SC2", tree.city, p) == (3, 5, Decimal("0.6"))
    assert value("SC2", tree.city, p, "sex=M")[:2] == (2, 2)
    assert value("SC2", tree.city, p, "sex=F")[:2] == (0, 2)
    assert value("SC2", tree.city, p, "sex=U")[:2] == (1, 1)
    # Ages at LAST: 张 LAST-1980, 李 LAST-1990, 王 LAST-1975 — all 35–59 for the years this suite runs in; 赵 under 14.
    assert value("SC2", tree.city, p, "age=35-59")[:2] == (2, 3)
    assert value("SC2", tree.city, p, "age=0-13")[:2] == (0, 1)
    assert value("SC2", tree.city, p, "age=U")[:2] == (1, 1)
    assert value("SC2", tree.county_a, p)[:2] == (3, 4)
    assert value("SC2", tree.a1, p) == (2, 3, Decimal("0.666667"))
    assert value("SC2", tree.a1v1, p) == (2, 2, Decimal("1"))  # villages have rows too
    assert value("SC2", tree.county_b, p) == (0, 1, Decimal("0"))


def test_monthly_period_is_the_year_to_the_end_of_the_month(tree, people):
    assessment(people.in_a1v1, tree.a1v1, 3, at(datetime.date(LAST, 3, 31), 23))
    assessment(people.in_a1v2, tree.a1v2, 0, at(datetime.date(LAST, 2, 10)))
    assessment(people.in_a2v1, tree.a2v1, 2, at(datetime.date(LAST, 4, 1), 0))
    services.rebuild(LAST, month=3)
    services.rebuild(LAST, month=4)
    services.rebuild(LAST)
    assert value("SC2", tree.city, f"{LAST}-03")[:2] == (1, 2)  # 31 March 23:00 counts, 1 April 00:00 does not
    assert value("SC2", tree.city, f"{LAST}-04")[:2] == (2, 3)
    assert value("SC2", tree.city, str(LAST))[:2] == (2, 3)
    # Rebuilding a month replaces its rows and leaves the other periods alone.
    n = Rollup.objects.count()
    services.rebuild(LAST, month=3)
    assert Rollup.objects.count() == n


def test_hotline_and_alert_rates(tree, personas):
    from xinli.alerts.models import Alert
    from xinli.hotline.models import Call, CallDetailRecord, Line

    line = Line.objects.create(name="市南区热线", org_unit=tree.county_a, hours_per_day=24)
    day = datetime.date(LAST, 5, 5)
    for i, answered in enumerate([True, True, True, False]):
        CallDetailRecord.objects.create(line=line, external_id=str(i), offered_at=at(day), answered_at=at(day) if answered else None,
                                        org_path=line.org_path)
    Call.objects.create(line=line, org_path=line.org_path, started_at=at(day), risk="high", follow_up_done_at=at(day, 15))
    Call.objects.create(line=line, org_path=line.org_path, started_at=at(day), risk="imminent")
    Call.objects.create(line=line, org_path=line.org_path, started_at=at(day), risk="low")
    for i, (level, ack, esc) in enumerate([("red", True, 0), ("red", True, 1), ("orange", False, 0), ("yellow", True, 0)]):
        Alert.objects.create(level=level, source="manual", cause="x", summary="", subject_key=f"k{i}", org_unit=tree.a1v1, org_path=tree.a1v1.path,
                             county_code="370202", owner_unit=tree.a1, created_at=at(day), ack_due_at=at(day), contact_due_at=at(day),
                             last_signal_at=at(day), acknowledged_at=at(day) if ack else None, escalations=esc)
    services.rebuild(LAST, codes={"HL1", "HL2", "AL1"})
    p = str(LAST)
    assert value("HL1", tree.county_a, p) == (3, 4, Decimal("0.75"))
    assert value("HL1", tree.city, p)[:2] == (3, 4)
    assert value("HL1", tree.county_b, p) == (0, 0, None)  # no line: no value, not 0 %
    assert value("HL2", tree.county_a, p) == (1, 2, Decimal("0.5"))  # high and imminent; the low-risk call is not counted
    # Acknowledged in time = acknowledged and never escalated: 2 of 4 (the yellow one and the first red one).
    assert value("AL1", tree.a1v1, p) == (2, 4, Decimal("0.5"))
    assert value("AL1", tree.a1v1, p, "level=red")[:2] == (1, 2)
    assert value("AL1", tree.a1v1, p, "level=orange")[:2] == (0, 1)


def test_hierarchy_as_of_the_period_keeps_a_merged_unit_in_last_year(tree, personas):
    from xinli.network import services as network
    from xinli.regions.models import OrgUnit

    officer = personas.county_officer
    for v in (tree.a1v1, tree.a2v1):
        network.create_site(officer, org_unit=v, name=f"咨询室{v.code}", kind="village_room", opened_on=datetime.date(LAST - 1, 1, 1))
    services.rebuild(LAST, codes={"T01"})
    # Township A2 and its village are merged away this year (last day yesterday).
    OrgUnit.objects.filter(pk__in=[tree.a2.pk, tree.a2v1.pk]).update(valid_to=TODAY - datetime.timedelta(days=1))
    services.rebuild(YEAR, codes={"T01"})
    services.rebuild(LAST, codes={"T01"})  # rebuilding last year still uses last year's tree
    assert value("T01", tree.county_a, str(LAST))[:2] == (2, 3)  # A1v1, A2v1 of A1v1, A1v2, A2v1
    assert value("T01", tree.county_a)[:2] == (1, 2)  # this year A2v1 is gone
    assert value("T01", tree.a2, str(LAST))[:2] == (1, 1)  # A2 keeps last year's figure
    assert not Rollup.objects.filter(org_unit=tree.a2, period=str(YEAR)).exists()
    below = {r.org_unit_id for r in Rollup.objects.filter(indicator="T01", period=str(LAST), org_unit__parent=tree.county_a)}
    assert below == {tree.a1.pk, tree.a2.pk}


def test_staff_per_10000_residents(tree, personas):
    """WF1: county A has 3 active staff (2 in village A1v1, 1 in township A2) and 1 inactive; populations: A1v1
    8,000, A1v2 12,000, A2 10,000 (no row for A1 or county A). By hand: A = 3 ÷ 30,000 × 10,000 = 1.0;
    A1 = 2 ÷ 20,000 × 10,000 = 1.0; A2 = 1 ÷ 10,000 × 10,000 = 1.0; county B: no staff, no population → no value;
    villages are not a level of WF1. The numerator is the staff count itself (unscaled, issue 16)."""
    from xinli.network import services as network
    from xinli.network.models import Staff
    from xinli.regions.models import UnitPopulation

    officer = personas.county_officer
    staff = [network.create_staff(officer, org_unit=unit, name=name, profession="counsellor", education="master")
             for unit, name in ((tree.a1v1, "甲"), (tree.a1v1, "乙"), (tree.a2, "丙"), (tree.a2v1, "丁"))]
    Staff.objects.filter(pk=staff[-1].pk).update(active=False)
    for unit, n in ((tree.a1v1, 8000), (tree.a1v2, 12000), (tree.a2, 10000)):
        UnitPopulation.objects.create(org_unit=unit, year=YEAR, residents=n)
    services.rebuild(YEAR, codes={"WF1"})
    assert value("WF1", tree.county_a) == (3, 30000, Decimal("1"))
    assert value("WF1", tree.a1) == (2, 20000, Decimal("1"))
    assert value("WF1", tree.a2) == (1, 10000, Decimal("1"))
    assert value("WF1", tree.county_b) == (0, None, None)
    assert not Rollup.objects.filter(indicator="WF1", org_unit=tree.a1v1).exists()


def test_extreme_incidents_against_last_year(tree):
    for day in (datetime.date(LAST, 2, 1), datetime.date(LAST, 7, 1), datetime.date(LAST, 9, 1)):
        ExtremeIncident.objects.create(org_unit=tree.a1v1, org_path=tree.a1v1.path, date=day, kind="suicide")
    ExtremeIncident.objects.create(org_unit=tree.b1v1, org_path=tree.b1v1.path, date=TODAY, kind="other")
    services.rebuild(LAST, codes={"T20"})
    services.rebuild(YEAR, codes={"T20"})
    assert value("T20", tree.county_a, str(LAST)) == (3, None, Decimal("3"))
    assert value("T20", tree.city) == (1, None, Decimal("1"))
    assert services.target_for("T20", tree.county_a, YEAR) == 3  # fewer than last year
    assert services.status("T20", Decimal(0), Decimal(3)) == "green"
    assert services.status("T20", Decimal(3), Decimal(3)) == "amber"
    assert services.status("T20", Decimal(4), Decimal(3)) == "red"
    assert services.target_for("T20", tree.county_b, YEAR) == 0
    assert services.status("T20", value("T20", tree.county_b)[2], Decimal(0)) == "red"  # 1 this year after none last year


def test_scans_agree_with_the_modules_on_the_demo(tmp_path):
    """Every set-based scan gives, for every unit, what the module's own (hand-checked) per-unit function gives."""
    from django.core.management import call_command

    from xinli.counselling import indicators as counselling
    from xinli.network import coverage
    from xinli.network.inspection import satisfaction_rate
    from xinli.network.models import Staff
    from xinli.network.services import training_coverage
    from xinli.outreach.indicators import estimates
    from xinli.regions.models import OrgUnit
    from xinli.smd import indicators as smd

    call_command("seed_demo", size="tiny", seed=7, accounts_file=str(tmp_path / "a.json"))
    services.rebuild(YEAR)
    units = list(OrgUnit.objects.filter(valid_to__isnull=True, level__in=["city", "county", "township"]))
    populated = set()
    for u in units:
        checks = {"T01": (lambda u: (coverage.compute(u, TODAY)["T01"].covered, coverage.compute(u, TODAY)["T01"].total)),
                  "T09": lambda u: counselling.coverage(u, TODAY), "CA1": lambda u: counselling.coverage(u, TODAY, counselling.CARE_GROUPS),
                  "T21": lambda u: satisfaction_rate(u, YEAR), "T22": lambda u: training_coverage(u, YEAR),
                  "T10U": lambda u: (estimates(u, YEAR)["urban"].numerator, estimates(u, YEAR)["urban"].denominator),
                  "T10R": lambda u: (estimates(u, YEAR)["rural"].numerator, estimates(u, YEAR)["rural"].denominator),
                  "WF1": lambda u: (Staff.objects.filter(org_path__startswith=u.path, active=True).count(),
                                    smd.population(u, YEAR))}
        on_day = coverage.compute(u, TODAY)
        for code in coverage.MANY_CODES:  # the network's per-unit rule; the rebuild computes them for all units at once
            if u.level in REGISTRY[code].levels:
                checks[code] = lambda u, code=code, c=on_day: (c[code].covered, c[code].total)
        for code, fn in checks.items():
            expected = fn(u)
            assert value(code, u)[:2] == expected, (code, u)
            populated.add(code) if expected[1] else None
        (k,) = smd.compute([u], YEAR)
        for code, (num, den) in {"T11": (k.in_register, k.population), "T12": (k.standardised, k.in_register),
                                 "T13": (k.medicated, k.in_register), "T16": (k.rehab, k.home), "T17": (k.family, k.home)}.items():
            assert value(code, u)[:2] == (num, den), (code, u)
            populated.add(code) if den else None
    assert populated >= {"T01", "T04", "T05", "T09", "T12", "T13", "WF1"}  # the comparison is not vacuous
    villages = OrgUnit.objects.filter(level="village", valid_to__isnull=True)
    assert Rollup.objects.filter(indicator="T01", period=str(YEAR), org_unit__in=villages).count() == villages.count()
    assert Rollup.objects.filter(indicator="T01", period=f"{YEAR}-01", org_unit=units[0]).exists()  # the demo fills the months


def test_refresh_recomputes_only_what_was_written(tree, people):
    from xinli.core import audit

    services.rebuild(YEAR)
    services.rebuild(YEAR, month=TODAY.month)
    assert services.refresh() == 0  # nothing written since
    t01_before = Rollup.objects.get(indicator="T01", org_unit=tree.city, period=str(YEAR)).computed_at
    a = assessment(people.in_a1v1, tree.a1v1, 3, timezone.now())
    audit.record(None, audit.Action.CREATE, obj=a, org_path=a.org_path)
    assert services.refresh() > 0
    assert value("SC2", tree.city)[:2] == (1, 1)
    assert value("SC2", tree.city, f"{YEAR}-{TODAY.month:02d}")[:2] == (1, 1)
    assert Rollup.objects.get(indicator="T01", org_unit=tree.city, period=str(YEAR)).computed_at == t01_before  # untouched
    assert services.refresh() == 0
