"""Real browser, phone-sized: a resident takes a PHQ-9 on the portal and lands on the crisis screen."""

import pytest

from xinli.screening.tests.test_browser_campaign import PHONE, assert_no_sideways_scroll, phone_page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_resident_self_test_ends_on_the_crisis_screen(phone_page, live_server):  # noqa: F811
    from playwright.sync_api import expect

    page = phone_page
    page.goto(f"{live_server.url}/p/")
    expect(page.locator(".hotline-bar a[href='tel:12356']")).to_be_visible()
    page.locator("a[href='/p/test/phq9/']").tap()
    page.wait_for_url(f"{live_server.url}/p/test/phq9/")
    for item in range(1, 10):
        value = 2 if item == 9 else 1
        label = page.locator("label.opt").filter(has=page.locator(f"input[name='q_{item}'][value='{value}']"))
        label.scroll_into_view_if_needed()
        label.tap()
    assert_no_sideways_scroll(page, "self-test form")
    submit = page.locator("button[type=submit]")
    submit.scroll_into_view_if_needed()
    with page.expect_navigation():
        submit.tap()
    crisis = page.locator("#crisis[role=alert]")
    expect(crisis).to_be_visible()
    expect(crisis.locator("a[href='tel:12356']")).to_be_visible()
    expect(page.locator("#result")).to_be_visible()
    assert_no_sideways_scroll(page, "crisis screen")
    assert not page.problems, page.problems
