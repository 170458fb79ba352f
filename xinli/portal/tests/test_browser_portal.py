"""Real browser, phone-sized (390×844): the portal's layout on every page (12356 bar, residents' privacy note, logo to
the portal), plain-text article summaries, the mobile-number check, slots within opening hours, the site finder's
"near me" (mocked geolocation, and refused), paging with a short page, and the larger-text mode across pages."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from xinli.screening.tests.test_browser_campaign import assert_no_sideways_scroll
from xinli.testing.browser import PHONE, assert_accessible, chromium_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESIDENT = {"latitude": 36.07, "longitude": 120.38}
MAX_LIST_HEIGHT = 3000  # px: a page of sites stays a couple of phone screens (one district was 17,468 px)


@pytest.fixture
def phone(live_server, monkeypatch):
    """Opens phone-sized pages in Debian's chromium; ``phone(**context_options)`` (e.g. geolocation) gives a page
    whose ``problems`` lists JavaScript errors and error responses; every page visited must pass axe-core."""
    yield from chromium_pages(monkeypatch, **PHONE)


@pytest.fixture
def world(tree, personas):
    """A district with 23 sites near the resident (one is a room open on working days with slots), and two articles."""
    from xinli.core.policy import Role
    from xinli.counselling.models import Slot
    from xinli.network.models import Site, SiteStatus
    from xinli.outreach import services as outreach
    from xinli.testing.fixtures import make_user

    sites = Site.objects.bulk_create([
        Site(name=f"第{i:02d}心理咨询室", kind="village_room", org_unit=tree.a1v1, org_path=tree.a1v1.path, hours="工作日",
             phone=f"0532-8000{i:04d}", address=f"太平角一路{i}号", latitude=round(36.07 + 0.01 * (i + 1), 6), longitude=120.38)
        for i in range(23)])
    SiteStatus.objects.bulk_create([SiteStatus(site=s, status="active", start=datetime.date(2024, 1, 1)) for s in sites])
    room = sites[0]
    day = timezone.localdate() + datetime.timedelta(days=1)
    starts = [timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=d), datetime.time(10))) for d in range(7)]
    # Written straight to the table, as slots published before the hours were recorded: the weekend ones must not show.
    Slot.objects.bulk_create([Slot(site=room, counsellor=personas.counsellor, starts_at=s, org_path=room.org_path) for s in starts])
    writer = make_user("writer", [(tree.county_a, Role.PUBLICITY_OFFICER)])
    editor = make_user("editor", [(tree.county_a, Role.PUBLICITY_OFFICER)])
    for title, body, summary in (("如何识别抑郁情绪", "<p>情绪低落持续两周以上，应及时求助。</p><p>可拨打 12356。</p>", "情绪低落持续两周以上，应及时求助。</p><p>可拨"),
                                 ("睡不好怎么办", "<p>保持规律作息，睡前少看手机。</p>", "")):
        a = outreach.write_article(writer, org_unit=tree.county_a, title=title, category="self_help", body=body, summary=summary)
        outreach.submit(writer, a)
        outreach.review(editor, a, approve=True)
    return {"room": room, "starts": starts, "county": tree.county_a}


def assert_portal_frame(page, where):
    from playwright.sync_api import expect

    expect(page.locator(".hotline-bar a[href='tel:12356']"), where).to_be_visible()
    expect(page.locator("header .brand"), where).to_have_attribute("href", "/p/")
    footer = page.locator("footer")
    expect(footer, where).to_contain_text("您的隐私")
    expect(footer.locator("a[href='/p/privacy/']"), where).to_be_visible()
    expect(footer, where).not_to_contain_text("所有访问均被记录")
    expect(page.locator("#text-size"), where).to_be_visible()


def test_every_portal_page_has_the_bar_the_privacy_note_and_the_portal_logo(phone, live_server, world):
    page = phone()
    for path in ("/p/", "/p/test/phq9/", "/p/sites/", f"/p/sites/?unit={world['county'].pk}", "/p/articles/", "/p/events/",
                 f"/p/book/{world['room'].pk}/", "/p/cancel/", "/p/account/login/", "/p/account/register/", "/p/privacy/"):
        page.goto(live_server.url + path)
        assert_portal_frame(page, path)
        assert_accessible(page, path)
        assert_no_sideways_scroll(page, path)
    page.goto(live_server.url + "/p/cancel/")
    with page.expect_navigation():
        page.locator("header .brand").tap()
    assert page.url == f"{live_server.url}/p/"
    assert_accessible(page)
    assert not page.problems, page.problems


def test_article_list_shows_plain_text_summaries(phone, live_server, world):
    from playwright.sync_api import expect

    page = phone()
    page.goto(f"{live_server.url}/p/articles/")
    assert_accessible(page)
    teasers = page.locator(".teaser")
    expect(teasers).to_have_count(2)
    text = page.locator("main").inner_text()
    assert "</p>" not in text and "<p>" not in text
    expect(teasers.first).to_have_text("保持规律作息，睡前少看手机。")
    expect(teasers.nth(1)).to_have_text("情绪低落持续两周以上，应及时求助。 可拨")
    assert not page.problems, page.problems


def test_booking_offers_only_open_days_and_wants_a_mobile_number(phone, live_server, world):
    from playwright.sync_api import expect

    from xinli.counselling.models import Booking

    page = phone()
    page.goto(f"{live_server.url}/p/book/{world['room'].pk}/")
    assert_accessible(page)
    weekdays = [s for s in world["starts"] if timezone.localtime(s).weekday() < 5]
    options = page.locator("input[name=slot]")
    expect(options).to_have_count(len(weekdays))
    for label in page.locator("label.opt").all_inner_texts():
        assert "星期六" not in label and "星期日" not in label, label
    page.locator("label.opt").first.tap()
    page.fill("#n", "王女士")
    page.fill("#ph", "1234567")
    with page.expect_navigation():
        page.locator("button[type=submit].big-button").tap()
    assert_accessible(page, "booking refused")
    error = page.locator("#ph-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("手机号")
    expect(error).to_contain_text("11 位")
    expect(page.locator("#ph")).to_have_value("1234567")
    expect(page.locator("#ph")).to_have_attribute("aria-invalid", "true")
    assert not Booking.objects.exists()
    assert page.problems == [f"HTTP 400: POST {live_server.url}/p/book/{world['room'].pk}/"], page.problems
    page.problems.clear()
    page.fill("#ph", "139 1234 5678")
    with page.expect_navigation():
        page.locator("button[type=submit].big-button").tap()
    expect(page.locator("#booked")).to_contain_text(Booking.objects.get().reference)
    assert_accessible(page, "booked")
    assert_no_sideways_scroll(page, "booking")
    assert not page.problems, page.problems


def test_near_me_sorts_by_distance_from_the_phone_position(phone, live_server, world):
    from playwright.sync_api import expect

    page = phone(geolocation=RESIDENT, permissions=["geolocation"])
    page.goto(f"{live_server.url}/p/sites/")
    assert_accessible(page)
    with page.expect_navigation():
        page.locator("#near-me").tap()
    assert "near=36.07%2C120.38" in page.url
    assert_accessible(page, "near me")
    expect(page.locator("#site-list-title")).to_contain_text("离您最近")
    first = page.locator(".site").first
    expect(first).to_contain_text("第00心理咨询室")
    expect(first.locator(".distance")).to_have_text("距您 1.1 公里")
    expect(first.locator("a[href='tel:053280000000']")).to_be_visible()
    assert_no_sideways_scroll(page, "near me")
    assert not page.problems, page.problems


def test_near_me_refused_says_what_to_do(phone, live_server, world):
    from playwright.sync_api import expect

    page = phone()  # no geolocation permission: the browser refuses
    page.goto(f"{live_server.url}/p/sites/")
    assert_accessible(page)
    page.locator("#near-me").tap()
    expect(page.locator("#near-status")).to_contain_text("未获得您的位置")
    assert page.url == f"{live_server.url}/p/sites/"
    assert not page.problems, page.problems


def test_a_long_district_list_is_paged_and_stays_short(phone, live_server, world):
    from playwright.sync_api import expect

    page = phone()
    page.goto(f"{live_server.url}/p/sites/")
    assert_accessible(page)
    with page.expect_navigation():
        page.locator(".area-links a", has_text=world["county"].name).tap()
    assert_accessible(page, "district")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= MAX_LIST_HEIGHT, f"the district list is {height} px tall on a phone"
    expect(page.locator(".site")).to_have_count(10)
    pager = page.locator("nav.pager")
    expect(pager.locator("[aria-current=page]")).to_have_text("1")
    pager.locator("a", has_text="3").scroll_into_view_if_needed()
    with page.expect_navigation():
        pager.locator("a", has_text="3").tap()
    expect(page.locator(".site")).to_have_count(3)
    assert_accessible(page, "page 3")
    expect(page.locator(".site").last).to_contain_text("第22心理咨询室")
    assert not page.problems, page.problems


def test_larger_text_stays_on_across_pages_and_visits(phone, live_server, world):
    from playwright.sync_api import expect

    page = phone()
    page.goto(f"{live_server.url}/p/")
    assert_accessible(page)
    size = lambda: page.evaluate("parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)")  # noqa: E731
    normal = size()
    with page.expect_navigation():
        page.locator("#text-size").tap()
    assert page.url == f"{live_server.url}/p/"
    expect(page.locator("html")).to_have_class("large-text")
    assert_accessible(page, "larger text")
    assert size() >= normal * 1.2
    expect(page.locator("#text-size")).to_have_text("标准字号")  # the switch now offers the way back
    for path in ("/p/articles/", "/p/cancel/", "/p/account/login/"):
        page.goto(live_server.url + path)
        expect(page.locator("html"), path).to_have_class("large-text")
        assert_accessible(page, path)
        assert_no_sideways_scroll(page, f"{path} in larger text")
    # A return visit later: a new tab of the same browser profile keeps the choice.
    again = page.context.new_page()
    again.goto(f"{live_server.url}/p/sites/")
    expect(again.locator("html")).to_have_class("large-text")
    assert_accessible(again)
    with again.expect_navigation():
        again.locator("#text-size").tap()
    expect(again.locator("html")).not_to_have_class("large-text")
    assert_accessible(again)
    assert not page.problems, page.problems
