"""Issue 19 part 4: the appraisal of a region and of a department, against numbers worked out by hand.

County A (市南区), this year. Stored values: T04 60 % (the county's own target 80 %), WO1 90 % for the region and
50 % for civil affairs (registry target 95 %), WO3 2 overdue civil-affairs orders (target 0). Leading-group tasks of
the county due this year: civil affairs 1 done on time and 1 open; justice 2 done on time. T12 has no value.

Region scheme (T04 ×40, WO1 ×30, tasks ×30, T12 ×10):
  T04 100 × 0.60 / 0.80 = 75.0; WO1 100 × 0.90 / 0.95 = 94.74 → 94.7; tasks 3 / 4 → 75.0; T12 not scored;
  total (40 × 75.0 + 30 × 94.7 + 30 × 75.0) / 100 = 80.91 → 80.9.
Civil-affairs scheme (WO1 ×50, WO3 ×25, tasks ×25):
  WO1 (dept) 100 × 0.50 / 0.95 = 52.63 → 52.6; WO3 2 over a target of 0 → 0; tasks 1 / 2 → 50.0;
  total (50 × 52.6 + 25 × 0 + 25 × 50.0) / 100 = 38.8."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from xinli.governance.models import GroupTask
from xinli.governance.tests.conftest import offices  # noqa: F401  (the departments and their staff)
from xinli.indicators import appraisal
from xinli.indicators.models import Rollup, Target
from xinli.regions.models import Department
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year
D = Decimal


def _rollup(unit, code, value, breakdown=""):
    Rollup.objects.create(indicator=code, period=str(YEAR), org_unit=unit, org_path=unit.path, breakdown=breakdown,
                          numerator=None, denominator=None, value=D(value))


@pytest.fixture
def county(tree, offices):  # noqa: F811
    dept = {d.code: d for d in Department.objects.all()}
    a = tree.county_a
    _rollup(a, "T04", "0.6")
    Target.objects.create(indicator="T04", org_unit=a, year=YEAR, value=D("0.8"))
    _rollup(a, "WO1", "0.9")
    _rollup(a, "WO1", "0.5", "dept=civil_affairs")
    _rollup(a, "WO3", "2", "dept=civil_affairs")
    jan = datetime.date(YEAR, 1, 1)
    for department, state, done_on in (("civil_affairs", "done", jan), ("civil_affairs", "open", None),
                                       ("justice", "done", jan), ("justice", "done", jan)):
        GroupTask.objects.create(org_unit=a, org_path=a.path, department=dept[department], title="任务", due_on=jan,
                                 state=state, done_on=done_on)
    return dept


def test_the_region_and_the_department_scores_match_the_hand_computation(tree, offices, county):  # noqa: F811
    officer = offices.governance_county_a
    region = appraisal.save_scheme(officer, unit=tree.county_a, year=YEAR, name="年度考核",
                                   items=[("T04", D(40)), ("WO1", D(30)), ("tasks", D(30)), ("T12", D(10))])
    s = appraisal.score(region, tree.county_a)
    assert [p.score for p in s.parts] == [D("75.0"), D("94.7"), D("75.0"), None]
    assert s.parts[3].why == "本年无数值" or s.parts[3].why == "no value this year"
    assert s.parts[2].value == "3 / 4"
    assert s.total == D("80.9")

    civil = appraisal.save_scheme(officer, unit=tree.county_a, year=YEAR, name="民政部门考核", department=county["civil_affairs"],
                                  items=[("WO1", D(50)), ("WO3", D(25)), ("tasks", D(25))])
    s = appraisal.score(civil, tree.county_a)
    assert [p.score for p in s.parts] == [D("52.6"), D("0.0"), D("50.0")]
    assert s.total == D("38.8")
    # The regions below: nothing stored, no task there -> no part scored, no total.
    below = appraisal.scores(region)
    assert [x.unit for x in below] == [tree.county_a, tree.a1, tree.a2]
    assert below[1].total is None


def test_the_score_rule_each_way():
    assert appraisal.indicator_score("T04", D("0.9"), D("0.8")) == 100  # more than the target: capped
    assert appraisal.indicator_score("WO3", D("0"), D("0")) == 100  # less is better, at the target
    assert appraisal.indicator_score("WO3", D("4"), D("2")) == 50  # target ÷ value
    assert appraisal.indicator_score("T04", None, D("0.8")) is None


def test_bad_schemes_are_refused_and_write_nothing(tree, offices, county):  # noqa: F811
    officer = offices.governance_county_a
    for items in ([], [("T99", D(10))], [("T04", D(0))], [("T04", D(10)), ("T04", D(5))]):
        with pytest.raises(ValidationError) as exc:
            appraisal.save_scheme(officer, unit=tree.county_a, year=YEAR, name="x", items=items)
        assert "items" in exc.value.message_dict
    assert not appraisal.AppraisalScheme.objects.exists()


def test_the_pages_and_the_excel_file(tree, offices, county):  # noqa: F811
    client = Client()
    login_verified(client, offices.governance_county_a)
    r = client.post("/indicators/appraisal/", {"org_unit": tree.county_a.pk, "year": YEAR, "name": "年度考核",
                                               "w_T04": "40", "w_WO1": "abc"})
    assert r.status_code == 400 and "权重" in r.content.decode()
    assert not appraisal.AppraisalScheme.objects.exists()
    r = client.post("/indicators/appraisal/", {"org_unit": tree.county_a.pk, "year": YEAR, "name": "年度考核",
                                               "w_T04": "40", "w_WO1": "30", "w_tasks": "30", "w_T12": "10"})
    assert r.status_code == 302
    scheme = appraisal.AppraisalScheme.objects.get()
    page = client.get(f"/indicators/appraisal/{scheme.pk}/").content.decode()
    assert "80.9" in page and "市南区" in page and "权重 40" in page
    r = client.get(f"/indicators/appraisal/{scheme.pk}/?format=xlsx")
    sheet = load_workbook(io.BytesIO(r.content))["考核得分"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1] == "总分" and rows[1][1] == "市南区" and rows[1][-1] == pytest.approx(80.9)
    # County B's department staff do not see county A's scheme.
    other = Client()
    login_verified(other, offices.civil_county_b_worker)
    assert other.get(f"/indicators/appraisal/{scheme.pk}/").status_code == 404
