"""Indicators on a hand-built register; every expected number is worked out by hand in the comments."""

import datetime

import pytest

from xinli.regions.models import UnitPopulation
from xinli.smd import indicators, services
from xinli.smd.models import Support

from .conftest import visit

pytestmark = pytest.mark.django_db
D = datetime.date


def register(doctor, person, diagnosis, registered_on, residence="home"):
    return services.register_patient(doctor, person, {"diagnosis": diagnosis, "diagnosed_by": "市精神卫生中心",
                                                      "diagnosed_on": D(2019, 1, 1), "source": "hospital",
                                                      "registered_on": registered_on, "residence": residence, "consent_community": True})


@pytest.fixture
def register_2025(tree, people):
    from xinli.archives.services import register_person
    from xinli.core.policy import Role
    from xinli.testing.fixtures import id_number, make_user

    doc = make_user("county_doc", [(tree.county_a, Role.SMD_DOCTOR)])
    registrar = make_user("reg", [(tree.county_a, Role.COMMUNITY_WORKER)])

    def person(unit, n):
        return register_person(registrar, {"name": f"患者{n}", "id_number": id_number("19700101", 600 + n), "org_unit": unit},
                               consents=[{"purpose": "archive"}]).person

    # P1 a1v1 F20 home: visits 02-10 S, 05-05 S, 08-01 basically stable (intermittent), 10-20 S (regular).
    p1 = register(doc, people.in_a1v1, "F20", D(2024, 1, 1))
    for day, ch in ((D(2025, 2, 10), {}), (D(2025, 5, 5), {}), (D(2025, 8, 1), {"risk": 1, "adherence": "intermittent"}),
                    (D(2025, 10, 20), {})):
        services.record_follow_up(doc, p1, visit(date=day, **ch))
    services.add_support(doc, p1, kind="rehab", start=D(2024, 6, 1), end=D(2025, 2, 1), institution="社区康复站")
    # P2 a1v2 F31 home: visits 03-01 and 09-01, both basically stable, not taking medication; family school 04-01,
    # family counselling by the community health centre 06-01.
    p2 = register(doc, people.in_a1v2, "F31", D(2024, 1, 1))
    for day in (D(2025, 3, 1), D(2025, 9, 1)):
        services.record_follow_up(doc, p2, visit(date=day, risk=1, adherence="none"))
    services.add_support(doc, p2, kind="family_school", start=D(2025, 4, 1))  # a family school: not counselling (T17)
    services.add_support(doc, p2, kind="family_counselling", start=D(2025, 6, 1), primary_care=True)
    # P1's own counselling came from the psychiatric hospital, not a primary-care institution: not T17.
    services.add_support(doc, p1, kind="counselling", start=D(2025, 3, 1), institution="市精神卫生中心")
    services.add_support(doc, p2, kind="rehab", start=D(2026, 3, 1), institution="社区康复站")
    # P3 a2v1 F20 institution: one lost-to-follow-up visit 06-01.
    p3 = register(doc, people.in_a2v1, "F20", D(2024, 1, 1), residence="institution")
    services.record_follow_up(doc, p3, {"date": D(2025, 6, 1), "mode": "phone", "lost_reason": "moved"})
    # P4 a1v1 F20 home, registered 2025-07-01: visits 07-10 S, 10-01 S; family counselling 2024-12-30 (not in 2025).
    p4 = register(doc, person(tree.a1v1, 4), "F20", D(2025, 7, 1))
    for day in (D(2025, 7, 10), D(2025, 10, 1)):
        services.record_follow_up(doc, p4, visit(date=day))
    Support.objects.create(patient=p4, kind="family_counselling", start=D(2024, 12, 30), org_path=p4.org_path, primary_care=True)
    # P5 a1v1 moved out 2025-03-01: not in the 2025 register. P6 a1v2 died 2026-02-01: in the 2025 register, no visit.
    p5 = register(doc, person(tree.a1v1, 5), "F25", D(2024, 1, 1))
    services.change_status(doc, p5, status="moved_out", reason="迁居外省", on=D(2025, 3, 1))
    p6 = register(doc, person(tree.a1v2, 6), "F22", D(2024, 1, 1))
    services.change_status(doc, p6, status="died", reason="病故", on=D(2026, 2, 1))
    for unit, n in ((tree.a1v1, 3000), (tree.a1v2, 2500), (tree.a2v1, 4000)):
        UnitPopulation.objects.create(org_unit=unit, year=2025, residents=n)
    return tree


def test_township_indicators_match_hand_counts(register_2025):
    tree = register_2025
    (a1,) = indicators.compute([tree.a1], 2025)
    # In register: P1, P2, P4, P6 (P3 is in A2, P5 moved out in 2025). Population 3000 + 2500.
    assert (a1.in_register, a1.population) == (4, 5500)
    assert a1.rates["prevalence_per_mille"] == pytest.approx(4 / 5500 * 1000)
    # Managed: P1, P2, P4. Standardised by the national norm: P1 (4 complete visits, 365 days -> 4 required) and P4
    # (registered 07-01: 184 days -> floor(184/91) = 2 required, visits 07-10 and 10-01); not P2 (2 of 4).
    # The local no-gap rule agrees here: P1 (gaps 40, 84, 88, 80, 72 days), P4 (9, 83, 91); not P2 (184 days).
    assert (a1.managed, a1.standardised, a1.standardised_national, a1.standardised_gap) == (3, 2, 2, 2)
    assert a1.rates["management_rate"] == 0.75 and a1.rates["standardised_rate"] == 0.5
    # Medication (last complete visit regular or intermittent): P1, P4. Regular: P1, P4. Schizophrenia: P1, P4 of 2.
    assert (a1.medicated, a1.regular, a1.schizophrenia, a1.schizophrenia_medicated) == (2, 2, 2, 2)
    # Home-dwelling: P1, P2, P4, P6; managed among them 3; stable at last visit: P1, P4 -> 2/3.
    assert (a1.home, a1.home_managed, a1.stable) == (4, 3, 2)
    assert a1.rates["stable_rate"] == pytest.approx(2 / 3)
    # Rehabilitation overlapping 2025: P1 only (P2's starts in 2026) -> 1/4. Counselling of patient or family by a
    # primary-care institution in 2025: P2 only (P1's was by the hospital, P4's in 2024) -> 1/4.
    assert (a1.rehab, a1.family) == (1, 1) and a1.rates["rehab_rate"] == 0.25 and a1.rates["family_counselling_rate"] == 0.25
    # Tasks due in 2025: P1 05-10 (done 05-05), 08-05 (done 08-01), 08-15 (done 10-20, late); P2 03-15 (done 09-01,
    # late), 09-15 (never done); P4 10-10 (done 10-01). 6 due, 3 on time.
    assert (a1.tasks_due, a1.tasks_on_time) == (6, 3) and a1.rates["on_time_rate"] == 0.5


def test_county_adds_the_institutionalised_patient(register_2025):
    tree = register_2025
    county, a2 = indicators.compute([tree.county_a, tree.a2], 2025)
    # County A: P1, P2, P3, P4, P6; population 3000 + 2500 + 4000 (no row of its own).
    assert (county.in_register, county.population, county.managed) == (5, 9500, 3)
    # Schizophrenia: P1, P3, P4; medicated P1, P4. P3 lives in an institution: home-dwelling still 4.
    assert (county.schizophrenia, county.schizophrenia_medicated, county.home) == (3, 2, 4)
    # P3's 06-15 task (after the lost visit) was never done: 7 due, 3 on time.
    assert (county.tasks_due, county.tasks_on_time) == (7, 3)
    assert (a2.in_register, a2.managed, a2.rates["management_rate"]) == (1, 0, 0.0)


def test_population_row_of_the_unit_itself_wins(register_2025):
    tree = register_2025
    UnitPopulation.objects.create(org_unit=tree.a1, year=2025, residents=8000)
    assert indicators.compute([tree.a1], 2025)[0].population == 8000
    assert indicators.compute([tree.a1], 2024)[0].population is None


def test_populations_of_many_units_equal_population_of_each(tree):
    """Rows at mixed levels: county A has its own row (it wins over its villages'), township a1 none (sum of its two
    villages), township a2 its own row, county B only a village row; the city sums A's row and B's village row.
    By hand: city = 50,000 + 700 = 50,700; a1 = 1,000 + 2,000 = 3,000; province likewise 50,700."""
    for unit, n in ((tree.county_a, 50000), (tree.a1v1, 1000), (tree.a1v2, 2000), (tree.a2, 4000), (tree.b1v1, 700)):
        UnitPopulation.objects.create(org_unit=unit, year=2025, residents=n)
    units = [tree.province, tree.city, tree.county_a, tree.county_b, tree.a1, tree.a2, tree.b1, *tree.villages()]
    many = indicators.populations(units, 2025)
    assert many == {u.pk: indicators.population(u, 2025) for u in units}
    assert (many[tree.city.pk], many[tree.a1.pk], many[tree.county_b.pk], many[tree.a2v1.pk]) == (50700, 3000, 700, None)
    # Units from two branches only (the common root is the city, which is not asked for).
    assert indicators.populations([tree.a1, tree.b1], 2025) == {tree.a1.pk: 3000, tree.b1.pk: 700}
    assert indicators.populations([tree.a1], 2024) == {tree.a1.pk: None}
