"""Issue 16: T12 by the national basic public-health service norm (and the stricter local rule as an alternative),
T17 counting counselling of the patient or the family by a primary-care institution. Every number by hand."""

import datetime

import pytest

from xinli.smd import indicators, services

from .conftest import visit

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.mark.parametrize(("first", "until", "required"), [
    (D(2025, 1, 1), D(2025, 12, 31), 4),   # 365 days: floor(365/91) = 4
    (D(2025, 1, 1), D(2025, 1, 31), 1),    # 31 days: floor 0 -> at least 1
    (D(2025, 1, 1), D(2025, 3, 31), 1),    # 90 days -> 0 -> 1
    (D(2025, 1, 1), D(2025, 4, 1), 1),     # 91 days -> 1
    (D(2025, 1, 1), D(2025, 7, 1), 2),     # 182 days -> 2
    (D(2025, 1, 1), D(2025, 9, 30), 3),    # 273 days -> 3
    (D(2025, 7, 1), D(2025, 12, 31), 2),   # registered mid-year: 184 days -> 2
    (D(2025, 10, 15), D(2025, 12, 31), 1),  # 78 days -> 1
    (D(2024, 1, 1), D(2024, 12, 31), 4),   # 366 days (leap year) -> min(4, 4)
])
def test_required_follow_ups(first, until, required):
    assert indicators.required_follow_ups(first, until) == required


def _patient(doctor, person, registered_on, days, source="hospital"):
    p = services.register_patient(doctor, person, {"diagnosis": "F20", "diagnosed_by": "市精神卫生中心", "diagnosed_on": D(2019, 1, 1),
                                                   "source": source, "registered_on": registered_on, "residence": "home",
                                                   "consent_community": True})
    for day in days:
        services.record_follow_up(doctor, p, visit(date=day))
    return p


def test_national_norm_and_gap_rule_differ_and_the_rule_is_selectable(tree, doctor, people):
    # Q: four visits in 2025 but a 241-day gap (03-05 -> 11-01): national norm 4 >= 4 -> standardised; gap rule no.
    _patient(doctor, people.in_a1v1, D(2024, 1, 1), [D(2025, 1, 5), D(2025, 2, 5), D(2025, 3, 5), D(2025, 11, 1)])
    # M: moved in (registered by transfer) 2025-10-15, one visit 11-01: 78 days -> 1 required -> standardised by both
    # (gaps 17 and 60 days).
    _patient(doctor, people.in_a1v2, D(2025, 10, 15), [D(2025, 11, 1)], source="transfer")
    (k,) = indicators.compute([tree.a1], 2025)
    assert (k.in_register, k.standardised_national, k.standardised_gap, k.standardised) == (2, 2, 1, 2)
    assert k.t12_rule == "national" and k.rates["standardised_rate"] == 1.0
    (g,) = indicators.compute([tree.a1], 2025, t12_rules={tree.a1.pk: "gap92"})
    assert (g.standardised, g.t12_rule, g.rates["standardised_rate"]) == (1, "gap92", 0.5)


def test_month_end_values_do_not_fall_when_nothing_changes(tree, doctor, people):
    """Visits about every 100 days (01-10, 04-20, 07-30, 11-05). National norm, month by month (d = days from 01-01):
    Jan d=31 req 1 has 1; Apr d=120 req 1 has 2; Jul d=212 req 2 has 3; Sep d=273 req 3 has 3; Dec d=365 req 4 has 4 —
    standardised at every month end. The no-gap rule falls in April (01-10 -> 04-20 is 100 days > 92)."""
    _patient(doctor, people.in_a1v1, D(2024, 1, 1), [D(2025, 1, 10), D(2025, 4, 20), D(2025, 7, 30), D(2025, 11, 5)])
    national, gap = [], []
    for month in range(1, 13):
        end = (D(2025, month + 1, 1) if month < 12 else D(2026, 1, 1)) - datetime.timedelta(days=1)
        (k,) = indicators.compute([tree.a1], 2025, today=end)
        national.append(k.standardised_national)
        gap.append(k.standardised_gap)
    assert national == [1] * 12
    assert gap == [1, 1, 1] + [0] * 9


def test_t17_counts_patient_or_family_counselling_by_primary_care(tree, people):
    from xinli.core.policy import Role
    from xinli.testing.fixtures import make_user

    doctor = make_user("county_doc", [(tree.county_a, Role.SMD_DOCTOR)])
    a = _patient(doctor, people.in_a1v1, D(2024, 1, 1), [])
    b = _patient(doctor, people.in_a1v2, D(2024, 1, 1), [])
    c = _patient(doctor, people.in_a2v1, D(2024, 1, 1), [])
    services.add_support(doctor, a, kind="counselling", start=D(2025, 5, 1), institution="福黄街道社区卫生服务中心", primary_care=True)
    services.add_support(doctor, b, kind="family_counselling", start=D(2025, 6, 1), primary_care=True)
    services.add_support(doctor, c, kind="family_school", start=D(2025, 6, 1), primary_care=True)  # not counselling
    services.add_support(doctor, c, kind="counselling", start=D(2025, 7, 1), institution="市精神卫生中心")  # not primary care
    (county,) = indicators.compute([tree.county_a], 2025)
    # Home-dwelling in register: a, b, c. Counselled by primary care: a (patient), b (family) -> 2/3.
    assert (county.home, county.family) == (3, 2)
    assert county.rates["family_counselling_rate"] == pytest.approx(2 / 3)
