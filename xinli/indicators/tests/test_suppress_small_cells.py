"""Small cells in every indicator output (docs/indicators.md "Small cells"): the scorecard and its Excel, the
indicator page (value, trend, breakdowns, units below) and its Excel, the data-table export, the values API, the Word
reports and the federation export (with its re-import). Hand-worked table (T12, SMD standardised management, counts
patients; readers: smd.view), threshold 5:

    city 40/50
    ├ county A 30/38          (hidden: B is the one hidden numerator under the city, A the next smallest)
    │ ├ A1 27/33  ── A1v1 20/25 (hidden: A1v2's partner), A1v2 7/8 (hidden: complement 8 - 7 = 1)
    │ └ A2  3/5   ── A2v1 3/5   (small)
    └ county B 10/12          (hidden: complement 12 - 10 = 2) ── B1 10/12 ── B1v1 10/12

Shown numerators to a reader without SMD rights: the city's 40 and A1's 27; every denominator is shown.
"""

import datetime
import io
import json
import re
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from docx import Document
from openpyxl import load_workbook
from rest_framework.test import APIClient

from xinli.core.policy import Role
from xinli.indicators.federation import export_values, import_values
from xinli.indicators.models import Rollup
from xinli.regions.models import RegionParameter
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year
P = str(YEAR)
NOTE = "空白单元格按小数值抑制规则不予显示"


def put(unit, code, num, den, breakdown="", period=P):
    value = None if num is None else (Decimal(num) if den is None else (Decimal(num) / Decimal(den)).quantize(Decimal("0.000001")))
    return Rollup.objects.create(indicator=code, period=period, org_unit=unit, org_path=unit.path, breakdown=breakdown,
                                 numerator=None if num is None else Decimal(num), denominator=None if den is None else Decimal(den),
                                 value=value)


@pytest.fixture
def t12(tree):
    t = tree
    for unit, num, den in ((t.city, 40, 50), (t.county_a, 30, 38), (t.county_b, 10, 12), (t.a1, 27, 33), (t.a2, 3, 5),
                           (t.a1v1, 20, 25), (t.a1v2, 7, 8), (t.a2v1, 3, 5), (t.b1, 10, 12), (t.b1v1, 10, 12)):
        put(unit, "T12", num, den)
    put(t.county_a, "T12", 3, 38, period=f"{YEAR}-01")  # January: 3 standardised (small)
    put(t.county_a, "T12", 30, 38, period=f"{YEAR}-02")
    put(t.county_a, "T01", 1, 3)  # villages with a room: not a count of persons, never hidden
    return t


@pytest.fixture
def publicity(tree):
    return make_user("publicity_sc", [(tree.city, Role.PUBLICITY_OFFICER)])


@pytest.fixture
def doctor_officer(tree):
    """A reader with SMD person rights over the city (health officer and SMD doctor): exact numbers."""
    return make_user("officer_doctor_sc", [(tree.city, Role.HEALTH_OFFICER), (tree.city, Role.SMD_DOCTOR)])


def client_for(user):
    c = Client()
    login_verified(c, user)
    return c


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def row_of(html: str, name: str) -> str:
    """The visible text of the table row that names ``name``."""
    for tr in html.split("<tr")[1:]:
        if name in tr:
            return text(tr.split("</tr>")[0])
    raise AssertionError(name)


def test_scorecard_page_and_excel_hide_small_cells_from_the_publicity_officer(t12, publicity, doctor_officer):
    c = client_for(publicity)
    html = c.get("/indicators/", {"org": t12.city.code, "year": P, "indicator": "T12"}).content.decode()
    assert "40 / 50" in row_of(html, ">T12</a>") and "80.0%" in row_of(html, ">T12</a>")  # the city itself is shown
    below = html.split('id="below"')[1]
    assert "* / 38" in row_of(below, "市南区") and "* / 12" in row_of(below, "市北区")
    assert "30" not in row_of(below, "市南区") and "78.9%" not in below
    assert 'title="为防止由其他数字推算出被隐藏的小数值' in below  # the tooltip, in Chinese
    assert "现行小数值抑制阈值：5" in html and "平台默认值" in html and "&lt;5" in html
    wb = load_workbook(io.BytesIO(c.get("/indicators/", {"org": t12.city.code, "year": P, "indicator": "T12", "format": "xlsx"}).content))
    ranking = list(wb[wb.sheetnames[1]].iter_rows(min_row=2, values_only=True))
    assert ranking[0][:5] == ("370202000000", "市南区", None, None, 38) and ranking[1][:5] == ("370203000000", "市北区", None, None, 12)
    assert NOTE in (ranking[-1][0] or "")
    # A reader with SMD person rights over the city sees the real numbers, and no note.
    html = client_for(doctor_officer).get("/indicators/", {"org": t12.city.code, "year": P, "indicator": "T12"}).content.decode()
    below = html.split('id="below"')[1]
    assert "30 / 38" in row_of(below, "市南区") and "10 / 12" in row_of(below, "市北区") and 'class="small-cell"' not in below


def test_indicator_page_units_below_breakdowns_trend_and_excel(t12, publicity):
    put(t12.county_a, "SC2", 20, 100)
    put(t12.county_a, "SC2", 3, 40, breakdown="sex=F")
    put(t12.county_a, "SC2", 17, 60, breakdown="sex=M")
    c = client_for(publicity)
    html = c.get("/indicators/T12/", {"org": t12.county_a.code, "year": P}).content.decode()
    main = html.split("<dt>数值</dt>")[1].split("</dd>")[0]
    assert "* / 38" in text(main) and "30" not in text(main)
    assert "27 / 33" in row_of(html, "八大关街道") and "81.8%" in row_of(html, "八大关街道")
    assert "<5 / 5" in row_of(html, "香港中路街道")
    trend = json.loads(html.split('id="indicator-trend-data" type="application/json">')[1].split("</script>")[0])
    assert trend["value"][:2] == [None, 78.9474]  # January's 3 of 38 is not plotted, February's 30 of 38 is
    assert "小数值抑制" in html
    wb = load_workbook(io.BytesIO(c.get("/indicators/T12/", {"org": t12.county_a.code, "year": P, "format": "xlsx"}).content))
    head = list(wb[wb.sheetnames[0]].iter_rows(min_row=2, values_only=True))
    assert head[0][:5] == ("370202000000", "市南区", None, None, 38) and NOTE in head[-1][0]
    months = list(wb["months"].iter_rows(min_row=2, values_only=True))
    assert months[0][:4] == (f"{YEAR}-01", None, None, 38) and months[1][:4] == (f"{YEAR}-02", round(30 / 38, 6), 30, 38)
    below = list(wb["units below"].iter_rows(min_row=2, values_only=True))
    assert below[0][:5] == ("370202001000", "八大关街道", round(27 / 33, 6), 27, 33)
    assert below[1][:5] == ("370202002000", "香港中路街道", None, None, 5) and NOTE in below[-1][0]
    # Breakdowns: women 3 of 40 hidden, and men's 17 (20 - 17 = 3) with them.
    html = c.get("/indicators/SC2/", {"org": t12.county_a.code, "year": P}).content.decode()
    assert "20 / 100" in text(html.split("<dt>数值</dt>")[1].split("</dd>")[0])
    assert "<5 / 40" in row_of(html, "性别：女") and "* / 60" in row_of(html, "性别：男") and "17" not in row_of(html, "性别：男")
    wb = load_workbook(io.BytesIO(c.get("/indicators/SC2/", {"org": t12.county_a.code, "year": P, "format": "xlsx"}).content))
    rows = list(wb["breakdowns"].iter_rows(min_row=2, values_only=True))
    assert [r[2:4] for r in rows[:2]] == [(None, 40), (None, 60)] and NOTE in rows[-1][0]
    # Not a count of persons: 1 of 3 villages is shown as it is.
    html = c.get("/indicators/T01/", {"org": t12.county_a.code, "year": P}).content.decode()
    assert "1 / 3" in text(html.split("<dt>数值</dt>")[1].split("</dd>")[0])


def test_values_api_withholds_and_names_small_cells(t12, publicity, doctor_officer):
    api = APIClient()
    api.force_authenticate(publicity)
    rows = {r["org"]: r for r in api.get("/api/v1/indicators/values/", {"indicator": "T12", "period": P, "page_size": 100}).json()["results"]}
    a = rows[t12.county_a.code]
    assert (a["numerator"], a["denominator"], a["value"], a["status"]) == (None, "38", None, None)
    assert a["suppressed"] == ["numerator", "value"] and a["small_cell_threshold"] == 5
    a2 = rows[t12.a2.code]
    assert (a2["numerator"], a2["denominator"], a2["suppressed"]) == (None, "5", ["numerator", "value"])
    assert (rows[t12.a1.code]["numerator"], rows[t12.a1.code]["suppressed"]) == ("27", [])
    assert (rows[t12.city.code]["numerator"], rows[t12.city.code]["value"]) == ("40", "0.800000")
    assert {c for c, r in rows.items() if r["numerator"] is None} == {
        t12.county_a.code, t12.county_b.code, t12.a2.code, t12.a1v1.code, t12.a1v2.code, t12.a2v1.code, t12.b1.code, t12.b1v1.code}
    # The same unit asked for alone: the same mask (it does not depend on what else is listed).
    one = api.get("/api/v1/indicators/values/", {"indicator": "T12", "period": P, "org": t12.a1v1.code}).json()["results"][0]
    assert (one["numerator"], one["suppressed"]) == (None, ["numerator", "value"])
    t01 = api.get("/api/v1/indicators/values/", {"indicator": "T01", "period": P}).json()["results"][0]
    assert (t01["numerator"], t01["suppressed"], t01["small_cell_threshold"]) == ("1", [], None)
    api.force_authenticate(doctor_officer)
    rows = {r["org"]: r for r in api.get("/api/v1/indicators/values/", {"indicator": "T12", "period": P, "page_size": 100}).json()["results"]}
    assert (rows[t12.county_a.code]["numerator"], rows[t12.a2.code]["numerator"], rows[t12.a2.code]["suppressed"]) == ("30", "3", [])


def test_threshold_from_a_region_row_own_or_ancestor(t12, publicity):
    """T13 of county B 3 of 20 and of its township B1 4 of 20: default 5 hides both; the city's row (3) shows both;
    B1's own row (10) hides B1's 4 again while county B keeps the city's 3."""
    put(t12.county_b, "T13", 3, 20)
    put(t12.b1, "T13", 4, 20)
    officer = make_user("threshold_setter", [(t12.city, Role.HEALTH_OFFICER)])
    api = APIClient()
    api.force_authenticate(publicity)

    def rows():
        got = api.get("/api/v1/indicators/values/", {"indicator": "T13", "period": P}).json()["results"]
        return {r["org"]: (r["numerator"], r["small_cell_threshold"]) for r in got}

    assert rows() == {t12.county_b.code: (None, 5), t12.b1.code: (None, 5)}
    c = client_for(officer)
    r = c.post(f"/indicators/targets/?org={t12.city.code}&year={P}", {"do": "small_cell_threshold", "value": "3", "source": "青岛市统计数据发布规定"})
    assert r.status_code == 302 and RegionParameter.objects.get().value == 3
    assert rows() == {t12.county_b.code: ("3", 3), t12.b1.code: ("4", 3)}
    RegionParameter.objects.create(org_unit=t12.b1, key="small_cell_threshold", value=10, source="街道决定")
    assert rows() == {t12.county_b.code: ("3", 3), t12.b1.code: (None, 10)}
    c.post(f"/indicators/targets/?org={t12.b1.code}&year={P}", {"do": "small_cell_threshold", "value": "2", "source": "撤销"})
    assert rows() == {t12.county_b.code: ("3", 3), t12.b1.code: ("4", 2)}  # the latest row of B1
    RegionParameter.objects.filter(source="撤销").delete()
    # The targets page shows the threshold in force, where it comes from, and its history.
    page = c.get("/indicators/targets/", {"org": t12.b1.code, "year": P}).content.decode()
    assert "<strong>10</strong>" in page and "街道决定" in page and "青岛市统计数据发布规定" in page and "本单位设定" in page
    page = c.get("/indicators/", {"org": t12.a1.code, "year": P}).content.decode()
    assert "现行小数值抑制阈值：3" in page and "由青岛市设定" in page and "青岛市统计数据发布规定" in page
    # Bad input names the field; the publicity officer cannot set it.
    r = c.post(f"/indicators/targets/?org={t12.city.code}&year={P}", {"do": "small_cell_threshold", "value": "1", "source": "x"}, follow=True)
    assert "小数值抑制阈值：取 2 至 50 的整数" in r.content.decode() and RegionParameter.objects.count() == 2
    p = client_for(publicity)
    assert p.post(f"/indicators/targets/?org={t12.city.code}&year={P}", {"do": "small_cell_threshold", "value": "2", "source": "x"}).status_code == 404
    assert 'name="do" value="small_cell_threshold"' not in p.get("/indicators/targets/", {"org": t12.city.code, "year": P}).content.decode()


def test_data_table_export_and_reports(t12, publicity):
    c = client_for(publicity)
    wb = load_workbook(io.BytesIO(c.get("/indicators/export.xlsx", {"org": t12.city.code, "year": P}).content))
    rows = list(wb[P].iter_rows(min_row=2, values_only=True))
    t12rows = {r[0]: r for r in rows if r[2] == "T12"}
    assert t12rows[t12.city.code][5:7] == (40, 50) and t12rows[t12.a1.code][5:7] == (27, 33)
    assert t12rows[t12.county_a.code][4:7] == (None, None, 38) and t12rows[t12.a2.code][4:7] == (None, None, 5)
    assert NOTE in rows[-1][0]
    from xinli.reports import annual, pilot

    def cells(data):
        doc = Document(io.BytesIO(data))
        return {row.cells[0].text: [c.text for c in row.cells] for t in doc.tables for row in t.rows}, doc

    table, doc = cells(annual.build(t12.county_a, YEAR))
    assert table["T12 在册患者规范管理率"][1:3] == ["*", "* / 38"]
    assert any("“<5”为少于5人的计数" in p.text for p in doc.paragraphs)
    table, _doc = cells(annual.build(t12.a2, YEAR))
    assert table["T12 在册患者规范管理率"][1:3] == ["*", "<5 / 5"]
    table, _doc = cells(pilot.build(t12.a1, YEAR))
    assert table["T12 在册患者规范管理率"][1:3] == ["81.8%", "27 / 33"]


def test_federation_export_keeps_the_root_exact_and_import_accepts_withheld_cells(t12):
    doc = export_values(t12.city, P, instance="qingdao")
    values = {(v["indicator"], v["org"], v["period"] if "period" in v else P): v for v in doc["values"]}
    city = values[("T12", t12.city.code, P)]
    assert (city["numerator"], city["denominator"], "suppressed" not in city) == ("40.0000", "50.0000", True)
    a = values[("T12", t12.county_a.code, P)]
    assert (a["numerator"], a["denominator"], a["value"], a["suppressed"]) == (None, "38.0000", None, ["numerator", "value"])
    assert values[("T12", t12.a1.code, P)]["numerator"] == "27.0000"
    assert {o for (c, o, _p), v in values.items() if c == "T12" and v["numerator"] is None} == {
        t12.county_a.code, t12.county_b.code, t12.a2.code, t12.a1v1.code, t12.a1v2.code, t12.a2v1.code, t12.b1.code, t12.b1v1.code}
    assert values[("T01", t12.county_a.code, P)]["numerator"] == "1.0000"
    # The province instance imports it: the withheld cells are stored empty, the province is rebuilt from the exact root.
    Rollup.objects.all().delete()
    result = import_values(json.loads(json.dumps(doc)))
    assert result.imported == len(doc["values"])
    province = Rollup.objects.get(indicator="T12", org_unit=t12.province, period=P)
    assert (province.numerator, province.denominator, province.value) == (Decimal(40), Decimal(50), Decimal("0.8"))
    a = Rollup.objects.get(indicator="T12", org_unit=t12.county_a, period=P)
    assert (a.numerator, a.denominator, a.value, a.source) == (None, Decimal(38), None, "qingdao")


def test_complementary_suppression_for_a_root_with_one_small_unit(t12):
    """The export of county A: A is exact (30/38); A2's 3 is small, so A1's 27 goes too (30 - 27 would give 3)."""
    doc = export_values(t12.county_a, P, instance="shinan")
    got = {v["org"]: v["numerator"] for v in doc["values"] if v["indicator"] == "T12"}
    # Below A1 (now hidden) A1v2 is hidden (8 - 7 = 1): A1v1's 20 can stay, A1 = A1v1 + A1v2 has two unknowns.
    assert got == {t12.county_a.code: "30.0000", t12.a1.code: None, t12.a2.code: None, t12.a1v1.code: "20.0000",
                   t12.a1v2.code: None, t12.a2v1.code: None}
