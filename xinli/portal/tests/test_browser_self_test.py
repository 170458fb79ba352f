"""Real browser, phone-sized: a resident takes a PHQ-9 on the portal and lands on the crisis screen."""

import pytest

from xinli.screening.tests.test_browser_campaign import PHONE, assert_no_sideways_scroll, phone_page  # noqa: F401
from xinli.testing.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_resident_self_test_ends_on_the_crisis_screen(phone_page, live_server):  # noqa: F811
    from playwright.sync_api import expect

    page = phone_page
    page.goto(f"{live_server.url}/p/")
    expect(page.locator(".hotline-bar a[href='tel:12356']")).to_be_visible()
    assert_accessible(page)
    page.locator("a[href='/p/test/phq9/']").tap()
    page.wait_for_url(f"{live_server.url}/p/test/phq9/")
    assert_accessible(page)
    for item in range(1, 10):
        value = 2 if item == 9 else 1
        label = page.locator("label.opt").filter(has=page.locator(f"input[name='q_{item}'][value='{value}']"))
        label.scroll_into_view_if_needed()
        label.tap()
    assert_no_sideways_scroll(page, "self-test form")
    submit = page.locator("main button[type=submit]")
    submit.scroll_into_view_if_needed()
    with page.expect_navigation():
        submit.tap()
    crisis = page.locator("#crisis[role=alert]")
    expect(crisis).to_be_visible()
    expect(crisis.locator("a[href='tel:12356']")).to_be_visible()
    expect(page.locator("#result")).to_be_visible()
    assert_no_sideways_scroll(page, "crisis screen")
    assert_accessible(page)
    assert not page.problems, page.problems


def test_resident_reads_an_article_and_books_a_time_on_a_phone(phone_page, live_server, tree):  # noqa: F811
    import datetime

    from django.utils import timezone
    from playwright.sync_api import expect

    from xinli.core.policy import Role
    from xinli.counselling import services as counselling
    from xinli.counselling.models import Booking
    from xinli.network import services as network
    from xinli.outreach import services as outreach
    from xinli.testing.fixtures import make_user

    writer = make_user("writer", [(tree.county_a, Role.PUBLICITY_OFFICER)])
    editor = make_user("editor", [(tree.county_a, Role.PUBLICITY_OFFICER)])
    article = outreach.write_article(writer, org_unit=tree.county_a, title="睡不好怎么办", category="self_help",
                                     body="<p>保持规律作息，睡前少看手机。</p>")
    outreach.submit(writer, article)
    outreach.review(editor, article, approve=True)
    officer = make_user("officer", [(tree.county_a, Role.HEALTH_OFFICER)])
    site = network.create_site(officer, org_unit=tree.a1v1, name="太平角心理咨询室", kind="village_room", opened_on=datetime.date(2024, 1, 1))
    counsellor = make_user("counsellor_b", [(tree.a1, Role.COUNSELLOR)])
    day = timezone.localdate() + datetime.timedelta(days=1)
    counselling.add_slots(counsellor, site, starts=[timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))])

    page = phone_page
    page.goto(f"{live_server.url}/p/")
    assert_accessible(page)
    page.locator("a[href='/p/articles/']").tap()
    page.wait_for_url(f"{live_server.url}/p/articles/")
    assert_accessible(page)
    page.locator("a", has_text="睡不好怎么办").tap()
    expect(page.locator("article h1")).to_have_text("睡不好怎么办")
    assert_accessible(page)
    expect(page.locator(".article-body")).to_contain_text("保持规律作息")
    assert_no_sideways_scroll(page, "article")

    page.goto(f"{live_server.url}/p/sites/?unit={tree.county_a.pk}")
    assert_accessible(page)
    page.locator(f"a[href='/p/book/{site.pk}/']").tap()
    page.wait_for_url(f"{live_server.url}/p/book/{site.pk}/")
    assert_accessible(page)
    page.locator("label.opt").first.tap()
    page.fill("#n", "王女士")
    page.fill("#ph", "13900000000")
    with page.expect_navigation():
        page.locator("button[type=submit].big-button").tap()
    expect(page.locator("#booked")).to_contain_text(Booking.objects.get().reference)
    assert_accessible(page)
    assert_no_sideways_scroll(page, "booking")
    assert not page.problems, page.problems
