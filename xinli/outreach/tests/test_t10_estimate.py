"""Issue 16, T10: the estimate with its sample size and 95 % interval, from the one home of the rule
(``outreach.indicators``), against numbers worked out by hand.

* Wilson's score interval against the published examples (Newcombe 1998, *Stat Med* 17:857–872, Table I, method 3).
* A probability sample in each county of the city (every eligible resident invited, so the frame and the respondents
  are known): design weights w = stratum population ÷ stratum respondents, the weighted share for a village, a county
  and the city, Kish's effective sample size and the interval — and the rollups of T10U/T10R the registry writes.
* Open-link answers: a convenience sample (便利样本), labelled so in the rollup breakdowns and on the indicator page,
  classified urban/rural by the village's 城乡划分代码 as it is when T10 is computed.
"""

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from django.test import Client
from django.utils import timezone

from xinli.archives.services import register_person
from xinli.core.policy import Role
from xinli.indicators import services as indicator_services
from xinli.indicators.models import Rollup
from xinli.outreach import indicators, sampling, services
from xinli.outreach.indicators import wilson
from xinli.regions.codes import Kind
from xinli.regions.models import OrgUnit
from xinli.regions.services import create_unit, import_units
from xinli.testing.fixtures import id_number, login_verified, make_user

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


@pytest.mark.parametrize(("passed", "n", "low", "high"), [
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718),
])
def test_wilson_interval_matches_newcombes_table(passed, n, low, high):
    lo, hi = wilson(passed / n, n)
    assert (round(lo, 4), round(hi, 4)) == (low, high)


def test_wilson_by_hand():
    # p = 0.8, n = 10, z = 1.96: centre (0.8 + 0.19208) / 1.38416 = 0.71677, half 1.96·√(0.016 + 0.0096040)/1.38416 = 0.22656.
    lo, hi = wilson(0.8, 10, z=1.96)
    assert (round(lo, 4), round(hi, 4)) == (0.4902, 0.9433)


def _answers(survey, right: bool):
    return {q["id"]: q["answer"] if right else next(o for o in q["options"] if o != q["answer"]) for q in survey.questions}


@pytest.fixture
def world(tree):
    """Codes: A1v1 111, A1v2 112 (urban), A2v1 210 (a 居委会 coded rural), B1v1 220, new B1c1 121 (urban).
    Eligible residents (aged 15–69): A urban 4 (A1v1 3, A1v2 1), A rural 2 (A2v1), B urban 2 (B1c1), B rural 3 (B1v1)."""
    b1c1 = create_unit(code="370203100001", name="海云社区居委会", kind=Kind.COMMUNITY, parent=tree.b1, urban_rural_code="121")
    for unit, code in ((tree.a1v1, "111"), (tree.a1v2, "112"), (tree.a2v1, "210"), (tree.b1v1, "220")):
        OrgUnit.objects.filter(pk=unit.pk).update(urban_rural_code=code)
        unit.refresh_from_db()
    registrar = make_user("registrar", [(tree.city, Role.HEALTH_OFFICER)])
    seq = iter(range(100, 200))
    for unit, count, county in ((tree.a1v1, 3, "370202"), (tree.a1v2, 1, "370202"), (tree.a2v1, 2, "370202"), (b1c1, 2, "370203"),
                                (tree.b1v1, 3, "370203")):
        for i in range(count):
            register_person(registrar, {"name": f"{unit.name[:2]}居民{i}", "id_number": id_number("19800101", next(seq), county),
                                        "phone": "13800000000", "address": "某路1号", "org_unit": unit}, consents=[{"purpose": "archive"}])
    # Too young and too old for the frame (15–69 in the year of the draw): never drawn.
    register_person(registrar, {"name": "小朋友", "id_number": id_number(f"{YEAR - 10}0101", 901), "phone": "13800000000", "address": "某路2号",
                                "org_unit": tree.a1v1}, consents=[{"purpose": "archive", "given_by": "guardian", "guardian_name": "家长"}])
    register_person(registrar, {"name": "老人家", "id_number": id_number(f"{YEAR - 80}0101", 902), "phone": "13800000000", "address": "某路3号",
                                "org_unit": tree.a1v1}, consents=[{"purpose": "archive"}])
    return {"b1c1": b1c1, "officer": registrar}


def _answer(sample, unit, results):
    """Answer the invitations of ``unit`` in order with ``results`` (True passes, False fails)."""
    invitations = list(sample.invitations.filter(org_unit=unit).order_by("pk"))
    for invitation, passed in zip(invitations, results, strict=False):
        services.answer_invitation(invitation.code, _answers(sample.survey, passed))


@pytest.fixture
def sampled(tree, world):
    officer = world["officer"]
    a = sampling.draw_sample(officer, tree.county_a, per_stratum=10, seed="a")
    b = sampling.draw_sample(officer, tree.county_b, per_stratum=10, seed="b")
    # A urban (N 4): 3 answer — A1v1 pass, fail; A1v2 pass. A rural (N 2): both answer, 1 passes.
    _answer(a, tree.a1v1, [True, False])
    _answer(a, tree.a1v2, [True])
    _answer(a, tree.a2v1, [True, False])
    # B urban (N 2): 1 answers and passes. B rural (N 3): 1 answers and passes.
    _answer(b, world["b1c1"], [True])
    _answer(b, tree.b1v1, [True])
    # One open-link answer in A1v1 that fails: a convenience answer, reported beside the design estimate, not in it.
    link = services.awareness_link(make_user("pub", [(tree.city, Role.PUBLICITY_OFFICER)]), tree.a1v1)
    services.record_awareness(link.survey, org_unit=tree.a1v1, answers=_answers(link.survey, False))
    return a, b


def test_every_eligible_resident_is_invited_and_the_frame_is_recorded(tree, world, sampled):
    a, b = sampled
    assert {(s.rural, s.population, s.invited) for s in a.strata.all()} == {(False, 4, 4), (True, 2, 2)}
    assert {(s.rural, s.population, s.invited) for s in b.strata.all()} == {(False, 2, 2), (True, 3, 3)}
    assert {i.person.name for i in a.invitations.all()}.isdisjoint({"小朋友", "老人家"})


def test_weighted_estimate_of_a_village_a_county_and_the_city(tree, world, sampled):
    # A1v1 (urban): 2 respondents, each w = 4/3; 1 passes → Σw·p = 4/3, Σw = 8/3, p = 0.5; n_eff = (8/3)² ÷ (2·16/9) = 2.
    e = indicators.estimates(tree.a1v1, YEAR)["urban"]
    assert (e.kind, e.n, e.passed, e.numerator, e.denominator, e.value) == ("design", 2, 1, Decimal("1.3333"), Decimal("2.6667"), 0.5)
    assert e.n_eff == pytest.approx(2.0) and (round(e.low, 4), round(e.high, 4)) == tuple(round(x, 4) for x in wilson(0.5, 2))
    assert (e.aside.kind, e.aside.n, e.aside.passed) == ("convenience", 1, 0)  # the open-link answer, not counted
    # County A urban: 3 respondents, w = 4/3, 2 pass: p = 2/3, Σw = 4 (the stratum population), n_eff 3.
    e = indicators.estimates(tree.county_a, YEAR)["urban"]
    assert (e.kind, e.n, e.numerator, e.denominator) == ("design", 3, Decimal("2.6667"), Decimal("4.0000"))
    assert e.value == pytest.approx(2 / 3) and e.deff == pytest.approx(1.0)
    # City urban: A 3 × w 4/3 (2 pass), B 1 × w 2/1 (passes): Σw = 6, Σw·p = 8/3 + 2 = 14/3, p = 7/9 (unweighted: 3/4).
    # Σw² = 3·16/9 + 4 = 28/3, n_eff = 36 ÷ 28/3 = 27/7 = 3.857, deff = 4 ÷ 27/7 = 28/27.
    e = indicators.estimates(tree.city, YEAR)["urban"]
    assert (e.kind, e.n, e.passed, e.numerator, e.denominator) == ("design", 4, 3, Decimal("4.6667"), Decimal("6.0000"))
    assert e.value == pytest.approx(7 / 9) and e.n_eff == pytest.approx(27 / 7) and e.deff == pytest.approx(28 / 27)
    # Wilson at n_eff: z² = 3.841459; centre (0.777778 + 0.497967) ÷ 1.995934 = 0.639172;
    # half = 1.959964 · √(0.044811 + 0.064551) ÷ 1.995934 = 0.324739.
    assert (round(e.low, 4), round(e.high, 4)) == (0.3144, 0.9639)
    # City rural: A 2 × w 1 (1 passes), B 1 × w 3 (passes): Σw = 5, Σw·p = 4, p = 0.8 (unweighted 2/3); n_eff = 25/11.
    e = indicators.estimates(tree.city, YEAR)["rural"]
    assert (e.numerator, e.denominator, e.value) == (Decimal("4.0000"), Decimal("5.0000"), 0.8)
    assert e.n_eff == pytest.approx(25 / 11)


def test_the_rollups_carry_the_weighted_value_and_say_which_sample(tree, world, sampled):
    indicator_services.rebuild(YEAR, codes={"T10U", "T10R"})

    def row(code, unit, breakdown=""):
        r = Rollup.objects.get(indicator=code, org_unit=unit, period=str(YEAR), breakdown=breakdown)
        return r.numerator, r.denominator, r.value

    num, den, value = row("T10U", tree.city)
    assert (num, den) == (Decimal("4.6667"), Decimal("6")) and abs(value - Decimal(7) / 9) < Decimal("0.0001")
    assert row("T10U", tree.city, "sample=design")[:2] == (Decimal("4.6667"), Decimal("6"))
    assert row("T10U", tree.city, "sample=convenience") == (0, 1, 0)
    assert row("T10R", tree.city) == (Decimal("4"), Decimal("5"), Decimal("0.8"))
    assert row("T10U", tree.a1v1)[:2] == (Decimal("1.3333"), Decimal("2.6667"))
    assert row("T10U", tree.county_b) == (Decimal("2"), Decimal("2"), Decimal("1"))


def test_a_sample_of_one_county_does_not_stand_for_the_city(tree, world):
    officer = world["officer"]
    a = sampling.draw_sample(officer, tree.county_a, per_stratum=10, seed="a")
    _answer(a, tree.a1v1, [True, True, True])
    link = services.awareness_link(make_user("pub", [(tree.city, Role.PUBLICITY_OFFICER)]), world["b1c1"])
    services.record_awareness(link.survey, org_unit=world["b1c1"], answers=_answers(link.survey, False))
    # County A: its sample. The city: only county A was sampled, so the city's figure is the open-link answers
    # (1 fails: 0 / 1, convenience) and county A's sample is reported beside it.
    assert indicators.estimates(tree.county_a, YEAR)["urban"].kind == "design"
    e = indicators.estimates(tree.city, YEAR)["urban"]
    assert (e.kind, e.numerator, e.denominator) == ("convenience", 0, 1)
    assert (e.aside.kind, e.aside.n, e.aside.passed) == ("design", 3, 3)


def test_open_link_answers_are_a_convenience_sample_with_a_wilson_interval(tree):
    pub = make_user("pub", [(tree.city, Role.PUBLICITY_OFFICER)])
    link = services.awareness_link(pub, tree.a1v1)
    for right in (True, True, True, True, True, True, True, True, False, False):  # 8 of 10 pass
        services.record_awareness(link.survey, org_unit=tree.a1v1, answers=_answers(link.survey, right))
    e = indicators.estimates(tree.county_a, YEAR)["urban"]
    assert (e.kind, e.n, e.passed, e.value) == ("convenience", 10, 8, 0.8)
    assert (round(e.low, 4), round(e.high, 4)) == (0.4902, 0.9433)
    indicator_services.rebuild(YEAR, codes={"T10U"})
    assert Rollup.objects.get(indicator="T10U", org_unit=tree.county_a, period=str(YEAR), breakdown="sample=convenience").numerator == 8
    # The indicator page and the publicity desk say it is a convenience sample.
    officer = make_user("officer", [(tree.city, Role.HEALTH_OFFICER)])
    client = Client()
    login_verified(client, officer)
    page = client.get(f"/indicators/T10U/?org={tree.county_a.code}&year={YEAR}").content.decode()
    assert "便利样本" in page
    client = Client()
    login_verified(client, pub)
    desk = client.get("/outreach/").content.decode()
    assert "便利样本" in desk and "n = 10" in desk and "95% 置信区间 49.0%–94.3%" in desk


def test_open_link_answers_follow_the_village_code_when_computed(tree):
    """An answer through the link of 燕儿岛社区居委会 (no code: urban by its kind) counts as rural once the
    village's code 210 is imported."""
    pub = make_user("pub", [(tree.city, Role.PUBLICITY_OFFICER)])
    link = services.awareness_link(pub, tree.a2v1)
    services.record_awareness(link.survey, org_unit=tree.a2v1, answers=_answers(link.survey, True))
    assert indicators.estimates(tree.a2, YEAR)["urban"].n == 1
    assert import_units("code,name,parent_code,kind,urban_rural_code\n"
                        f"{tree.a2v1.code},{tree.a2v1.name},{tree.a2.code},居委会,210\n").ok
    e = indicators.estimates(tree.a2, YEAR)
    assert (e["urban"].n, e["rural"].n, e["rural"].passed) == (0, 1, 1)
    indicator_services.rebuild(YEAR, codes={"T10U", "T10R"})
    assert Rollup.objects.get(indicator="T10R", org_unit=tree.a2, period=str(YEAR), breakdown="").numerator == 1


def test_a_month_counts_the_answers_and_weights_to_its_end(tree, world):
    """The monthly value is the year to the month's end: answers after it count neither as respondents nor in the
    weights."""
    officer = world["officer"]
    a = sampling.draw_sample(officer, tree.county_a, per_stratum=10, seed="a")
    _answer(a, tree.a1v1, [True, False])
    from xinli.outreach.models import AwarenessResponse

    first = AwarenessResponse.objects.order_by("pk").first()
    if timezone.localdate().month == 1:
        pytest.skip("needs a month before this one in the year")
    AwarenessResponse.objects.filter(pk=first.pk).update(answered_on=datetime.date(YEAR, 1, 15))
    c = indicators.cells([tree.county_a], YEAR, as_of=datetime.date(YEAR, 1, 31))[tree.county_a.pk]["urban"]
    assert (c.design_n, c.design_passed, c.sw) == (1, 1, Fraction(4, 1))  # w = 4 ÷ 1 respondent by the end of January
