"""Real browser, desktop size: the county's health officer registers the county's crisis team, adds three members
(a crisis-team user as leader and two outside professionals), is told in Chinese which field is wrong when a phone
number is bad, puts a member on call today, and sees the team count for T08 — with the county's 18-hour line listed as
short of the 24-hour standard and the city's line open 24 hours every day."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from xinli.alerts.models import CrisisTeam, OnCallShift
from xinli.archives.tests.test_browser_search import SCREENSHOTS, browser_page  # noqa: F401 — fixture
from xinli.hotline.models import Line
from xinli.testing.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_health_officer_registers_a_team_members_and_a_shift(browser_page, live_server, tree, personas):  # noqa: F811
    from playwright.sync_api import expect

    page = browser_page
    Line.objects.create(name="青岛市心理援助热线", number="12356", org_unit=tree.city, hours_per_day=24, days_per_week=7)
    Line.objects.create(name="市南区心理援助热线", number="12356", org_unit=tree.county_a, hours_per_day=18, days_per_week=7)
    today = timezone.localdate()

    sign_in(page, live_server, personas.county_officer)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="危机干预队伍").click()
    page.wait_for_url(f"{live_server.url}/crisis/teams/")
    expect(page.locator("#teams")).to_contain_text("您的辖区尚未登记危机干预队伍")
    expect(page.locator("#t08")).to_contain_text("未达标")
    expect(page.locator("#t08")).to_contain_text("市南区及上级未登记在用的心理危机干预队伍")
    assert_accessible(page, "team list, empty")

    page.select_option("#team-unit", label="市南区")
    page.fill("#team-name", "市南区心理危机干预队")
    page.get_by_role("button", name="登记队伍").click()
    team = CrisisTeam.objects.get()
    page.wait_for_url(f"{live_server.url}/crisis/teams/{team.pk}/")
    expect(page.locator(".messages")).to_contain_text("危机干预队伍已登记")
    assert_accessible(page, "new team")

    form = page.locator("#add-user")
    form.locator("select[name=user]").select_option(label=str(personas.crisis_team))
    form.locator("select[name=profession]").select_option(label="精神科医师")
    form.get_by_label("队长").check()
    form.get_by_role("button", name="添加成员").click()
    page.wait_for_load_state("load")
    expect(page.locator("#members tbody tr").first).to_contain_text("队长")

    external = page.locator("#add-external")
    external.locator("input[name=name]").fill("周医生")
    external.locator("input[name=phone]").fill("12345")  # not a number: the field is named, nothing is saved
    external.get_by_role("button", name="添加成员").click()
    page.wait_for_load_state("load")
    expect(page.locator(".messages .error")).to_contain_text("联系电话：号码无效")
    assert team.members.count() == 1
    assert_accessible(page, "bad phone")
    for name, phone, profession in (("周医生", "13900001111", "心理治疗师"), ("吴社工", "13900002222", "社会工作者")):
        external = page.locator("#add-external")
        external.locator("input[name=name]").fill(name)
        external.locator("input[name=phone]").fill(phone)
        external.locator("select[name=profession]").select_option(label=profession)
        external.get_by_role("button", name="添加成员").click()
        page.wait_for_load_state("load")
    expect(page.locator("#members tbody tr")).to_have_count(3)
    expect(page.locator("#readiness")).to_contain_text("3 / 3")
    expect(page.locator("#readiness")).to_contain_text("无覆盖")

    shift = page.locator("#add-shift")
    shift.locator("select[name=member]").select_option(label="周医生")
    shift.locator("input[name=start]").fill(f"{today:%Y-%m-%d}T00:00")
    shift.locator("input[name=end]").fill(f"{today + datetime.timedelta(days=1):%Y-%m-%d}T00:00")
    shift.get_by_role("button", name="添加班次").click()
    page.wait_for_load_state("load")
    assert [s.member.name for s in OnCallShift.objects.select_related("member")] == ["周医生"]
    expect(page.locator("#rota tbody tr")).to_have_count(1)
    expect(page.locator("#readiness")).to_contain_text("是")
    assert_accessible(page, "team with members and a shift")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "crisis_team.png"), full_page=True)

    page.get_by_role("link", name="全部危机干预队伍").click()
    page.wait_for_url(f"{live_server.url}/crisis/teams/")
    expect(page.locator("#t08")).to_contain_text("达标")
    expect(page.locator("#t08")).to_contain_text("每日服务 18 小时、每周 7 天")
    expect(page.locator("#t08")).to_contain_text("不是 24 小时热线")
    expect(page.locator("#t08")).to_contain_text("青岛市心理援助热线 (12356) 每天 24 小时服务")
    assert_accessible(page, "team list")
    page.screenshot(path=str(SCREENSHOTS / "crisis_teams.png"), full_page=True)
    assert not page.problems, page.problems
