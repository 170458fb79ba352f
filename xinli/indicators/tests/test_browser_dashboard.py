"""Real browser: a city officer opens the dashboard, drills down from the city to a county and into an indicator,
sees the monthly trend chart drawn (ECharts, vendored) and the early-warning charts, and downloads the Excel table."""

import datetime
import io
from pathlib import Path

import pytest
from django.utils import timezone

from xinli.archives.tests.test_browser_search import SCREENSHOTS, browser_page  # noqa: F401
from xinli.counselling.tests.test_browser_referral import login
from xinli.testing.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_drill_down_trend_and_warning_charts(browser_page, live_server, tree, personas):  # noqa: F811
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    from xinli.core.policy import Role
    from xinli.indicators import services
    from xinli.network import services as network
    from xinli.testing.fixtures import make_user

    page = browser_page
    officer = make_user("city_officer_b", [(tree.city, Role.HEALTH_OFFICER)])
    network.create_site(officer, org_unit=tree.a1v1, name="咨询室", kind="village_room", opened_on=datetime.date(2024, 1, 1))
    today = timezone.localdate()
    services.rebuild(today.year)
    for month in range(1, today.month + 1):
        services.rebuild(today.year, month=month)

    login(page, live_server, officer)
    page.goto(f"{live_server.url}/indicators/?org={tree.city.code}&indicator=T01")
    expect(page.locator("h1")).to_contain_text("青岛市")
    ranking = page.locator("#below table")
    expect(ranking).to_contain_text("市南区")
    assert_accessible(page)
    ranking.get_by_role("link", name="市南区").click()  # drill down to the county
    expect(page.locator("h1")).to_contain_text("市南区")
    assert_accessible(page)
    page.get_by_role("link", name="T01", exact=True).click()  # the indicator page
    expect(page.locator("h1")).to_contain_text("村(社区)心理咨询室或社会工作室建成率")
    expect(page.locator("#indicator-trend canvas")).to_have_count(1)  # ECharts drew the monthly trend
    expect(page.locator("main")).to_contain_text("八大关街道")  # the townships below
    assert_accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "indicator_t01.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel").click()
    wb = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert [row[1] for row in wb["units below"].iter_rows(min_row=2, values_only=True)] == ["八大关街道", "香港中路街道"]

    page.goto(f"{live_server.url}/indicators/warning/?org={tree.county_a.code}")
    expect(page.locator("canvas").first).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "early_warning.png"), full_page=True)
    assert not page.problems, page.problems
