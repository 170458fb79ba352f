"""The indicator page (definition, value, monthly trend, breakdowns, units below, Excel), the drill-down to villages
and the target page (set with history; bad input names the field and writes nothing; only officers)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from xinli.core.policy import Role
from xinli.indicators import services
from xinli.indicators.models import Target
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year


@pytest.fixture
def officer_client(tree, personas):
    from xinli.network import services as network

    officer = make_user("ind_officer", [(tree.city, Role.HEALTH_OFFICER)])
    for v in (tree.a1v1, tree.a1v2):
        network.create_site(officer, org_unit=v, name=f"咨询室{v.code}", kind="village_room", opened_on=datetime.date(YEAR - 1, 1, 1))
    services.rebuild(YEAR)
    services.rebuild(YEAR, month=1)
    client = Client()
    login_verified(client, officer)
    return client


def test_indicator_page_with_trend_units_below_and_excel(officer_client, tree):
    page = officer_client.get("/indicators/T01/", {"org": "370202000000", "year": str(YEAR)}).content.decode()
    assert "村(社区)心理咨询室或社会工作室建成率" in page and "villages existing on the period end" not in page  # zh definition shown
    assert "indicator-trend-data" in page  # the January value is plotted
    assert "八大关街道" in page and "香港中路街道" in page  # townships below
    # Drill down to a township: its villages, each covered (1/1) or not (0/1).
    township = officer_client.get("/indicators/T01/", {"org": "370202001000", "year": str(YEAR)}).content.decode()
    assert "太平角社区居委会" in township and "汇泉社区居委会" in township
    r = officer_client.get("/indicators/T01/", {"org": "370202000000", "year": str(YEAR), "format": "xlsx"})
    wb = load_workbook(io.BytesIO(r.content))
    assert list(wb["units below"].iter_rows(min_row=2, values_only=True))[0][:5] == ("370202001000", "八大关街道", 1, 2, 2)
    head = list(wb[wb.sheetnames[0]].iter_rows(min_row=2, values_only=True))[0]
    assert head[2:5] == (round(2 / 3, 6), 2, 3)
    assert officer_client.get("/indicators/T99/", {"org": "370202000000"}).status_code == 404


def test_scorecard_ranks_villages_of_a_township(officer_client):
    page = officer_client.get("/indicators/", {"org": "370202001000", "indicator": "T01"}).content.decode()
    assert "太平角社区居委会" in page and "SC2" in page
    r = officer_client.get("/indicators/", {"org": "370202001000", "indicator": "T01", "format": "xlsx"})
    ranking = list(load_workbook(io.BytesIO(r.content)).worksheets[1].iter_rows(min_row=2, values_only=True))
    assert [row[2] for row in ranking] == [1, 1]


def test_targets_page(officer_client, tree, personas):
    url = "/indicators/targets/?org=370202000000&year=" + str(YEAR)
    assert "T01" in officer_client.get(url).content.decode()
    officer_client.post(url, {"indicator": "T01", "value": "66"})  # typed in the unit the page shows: 66 %
    assert services.target_for("T01", tree.county_a, YEAR) == Decimal("0.66")
    assert services.target_for("T01", tree.a1, YEAR) == Decimal("0.66")  # inherited below
    page = officer_client.get(url).content.decode()
    assert "66.0%" in page and "0.66" not in page and "ind_officer" in page  # in its unit; the history names who set it
    officer_client.post(url, {"indicator": "T11", "value": "4.2‰"})  # per mille as shown
    assert services.target_for("T11", tree.county_a, YEAR) == Decimal("4.2")
    n = Target.objects.count()
    for bad in ("八成", "120", "-5", "NaN", "Infinity"):
        follow = officer_client.post(url, {"indicator": "T01", "value": bad}, follow=True).content.decode()
        assert Target.objects.count() == n, bad
        assert "80 表示 80%" in follow, bad  # the message names the field and the fix, in the page's unit
    assert officer_client.post(url, {"indicator": "T99", "value": "1"}).status_code == 302 and Target.objects.count() == n
    worker = Client()
    login_verified(worker, personas.village_worker_1)
    assert worker.get(url).status_code == 404
    assert worker.get("/indicators/T01/", {"org": "370202000000"}).status_code == 404
    assert worker.post(url, {"indicator": "T01", "value": "0.1"}).status_code == 404 and Target.objects.count() == n
