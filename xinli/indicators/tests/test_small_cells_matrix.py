"""Matrix: the publicity officer (no person rights) never sees a count of persons from 1 to threshold − 1 for an
indicator that counts persons, on any output — scorecard pages and Excel, indicator pages and Excel, the data-table
export, the values API, the Word reports and the federation export — over random small and large values for every
person-count indicator, unit and breakdown of the fixture tree (docs/indicators.md "Small cells")."""

import datetime
import io
import random
import re
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from docx import Document
from openpyxl import load_workbook
from rest_framework.test import APIClient

from xinli.core.policy import Role
from xinli.indicators.federation import export_values
from xinli.indicators.models import Rollup
from xinli.indicators.registry import REGISTRY
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year
P = str(YEAR)
LIMIT = 5
PERSONS = [code for code, ind in REGISTRY.items() if ind.counts_persons]
KEYS = {"sex": ["sex=F", "sex=M"], "age": ["age=18-34", "age=60+"], "level": ["level=red", "level=yellow"], "kind": ["kind=school"]}


def small(code: str, part: str, n) -> bool:
    """Whether ``n`` (a number as shown) is a count of persons from 1 to LIMIT − 1 in that part of the indicator."""
    ind = REGISTRY[code]
    if n is None or part not in ind.counted:
        return False
    n = Decimal(str(n))  # numerators are stored unscaled: the count itself
    return 0 < n < LIMIT


@pytest.fixture
def filled(tree):
    rng = random.Random(15)
    units = [tree.city, tree.county_a, tree.county_b, tree.a1, tree.a2, tree.b1, *tree.villages()]
    for code in PERSONS:
        ind = REGISTRY[code]
        for unit in units:
            if unit.level not in ind.levels:
                continue
            keys = [""] + [k for b in ind.breakdowns for k in KEYS[b]]
            for key in keys:
                den = rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 30])
                num = rng.randint(0, den)
                if ind.scale != 1:  # T11: patients ÷ population × 1000
                    den = rng.choice([40, 3000])
                Rollup.objects.create(indicator=code, period=P, org_unit=unit, org_path=unit.path, breakdown=key,
                                      numerator=Decimal(num), denominator=Decimal(den),
                                      value=(Decimal(num) * ind.scale / Decimal(den)).quantize(Decimal("0.000001")) if den else None)
    return tree


def fractions(html: str):
    """Every "numerator / denominator" shown in a piece of page (numbers, or the marks <5 and *)."""
    plain = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))
    return re.findall(r"(<?[\d.*]+) / (<?[\d.*]+)", plain)


def check_pair(code, num, den, where):
    for part, shown in (("numerator", num), ("denominator", den)):
        if shown is None or (isinstance(shown, str) and not re.fullmatch(r"[\d.]+", shown)):
            continue
        assert not small(code, part, shown), (where, code, part, shown)


def test_the_publicity_officer_never_sees_a_small_count(filled):
    t = filled
    publicity = make_user("publicity_matrix", [(t.city, Role.PUBLICITY_OFFICER)])
    c = Client()
    login_verified(c, publicity)
    seen = 0
    units = [t.city, t.county_a, t.county_b, t.a1, t.a2, t.b1, *t.villages()]
    parents = [t.city, t.county_a, t.county_b, t.a1, t.a2, t.b1]
    # Values API, every row and breakdown.
    api = APIClient()
    api.force_authenticate(publicity)
    url = "/api/v1/indicators/values/?breakdown=*&page_size=200"
    while url:
        answer = api.get(url).json()
        for r in answer["results"]:
            if r["indicator"] in PERSONS:
                check_pair(r["indicator"], r["numerator"], r["denominator"], ("api", r["org"], r["breakdown"]))
                seen += 1
        url = answer["next"]
    assert seen > 150
    hidden_somewhere = False
    for unit in units:
        for focus in (PERSONS if unit in parents else PERSONS[:1]):
            html = c.get("/indicators/", {"org": unit.code, "year": P, "indicator": focus}).content.decode()
            top, below = html.split('id="below"')
            for tr in top.split("<tr")[1:]:
                m = re.search(r">([A-Z][A-Z0-9]{1,4})</a>", tr)
                if m and m.group(1) in PERSONS:
                    for num, den in fractions(tr):
                        check_pair(m.group(1), num, den, ("scorecard", unit.code))
            for num, den in fractions(below.split("</section>")[0]):
                check_pair(focus, num, den, ("ranking", unit.code, focus))
            hidden_somewhere = hidden_somewhere or "small-cell" in html
            if focus not in PERSONS[:3]:
                continue
            wb = load_workbook(io.BytesIO(c.get("/indicators/", {"org": unit.code, "year": P, "indicator": focus, "format": "xlsx"}).content))
            for row in wb[wb.sheetnames[0]].iter_rows(min_row=2, values_only=True):
                if row and row[0] in PERSONS:
                    check_pair(row[0], row[3], row[4], ("scorecard.xlsx", unit.code))
            for row in wb[wb.sheetnames[1]].iter_rows(min_row=2, values_only=True):
                if len(row) > 4:
                    check_pair(focus, row[3], row[4], ("ranking.xlsx", unit.code, focus))
        for code in PERSONS:
            if unit.level not in REGISTRY[code].levels:
                continue
            html = c.get(f"/indicators/{code}/", {"org": unit.code, "year": P}).content.decode()
            for num, den in fractions(html.split("<dt>数值</dt>")[1]):
                check_pair(code, num, den, ("indicator", unit.code, code))
            if unit not in parents:
                continue
            wb = load_workbook(io.BytesIO(c.get(f"/indicators/{code}/", {"org": unit.code, "year": P, "format": "xlsx"}).content))
            for name, (ni, di) in zip(wb.sheetnames, [(3, 4), (2, 3), (2, 3), (3, 4)], strict=True):
                for row in wb[name].iter_rows(min_row=2, values_only=True):
                    if len(row) > di:
                        check_pair(code, row[ni], row[di], ("indicator.xlsx", unit.code, code, name))
    assert hidden_somewhere
    wb = load_workbook(io.BytesIO(c.get("/indicators/export.xlsx", {"org": t.city.code, "year": P}).content))
    for row in wb[P].iter_rows(min_row=2, values_only=True):
        if len(row) > 6 and row[2] in PERSONS:
            check_pair(row[2], row[5], row[6], ("export.xlsx", row[0]))
    # The Word reports: shared with every indicator reader, so masked for all.
    from xinli.reports import annual

    for unit in units:
        doc = Document(io.BytesIO(annual.build(unit, YEAR)))
        for table in doc.tables:
            for row in table.rows[1:]:
                code = row.cells[0].text.split(" ")[0]
                if code in PERSONS and "/" in row.cells[2].text:
                    num, den = row.cells[2].text.split("/")
                    check_pair(code, num, den, ("report", unit.code))
    # The federation export: the root (the city) is exact, everything below it is masked.
    for v in export_values(t.city, P, instance="qingdao")["values"]:
        if v["indicator"] in PERSONS and v["org"] != t.city.code:
            check_pair(v["indicator"], v["numerator"], v["denominator"], ("federation", v["org"], v["breakdown"]))
