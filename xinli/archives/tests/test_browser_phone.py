"""Real browser, phone-sized: a village worker uses the staff pages on a phone — the header wraps without squeezing
the log-out button, and the residents list, a search that finds nobody and the registration form never scroll
sideways (a select was wider than the screen)."""

from __future__ import annotations

import pytest

from xinli.screening.tests.test_browser_campaign import assert_no_sideways_scroll
from xinli.testing.browser import PHONE, assert_accessible, chromium_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone_page(live_server, monkeypatch):
    yield from chromium_page(monkeypatch, **PHONE)


def test_village_worker_uses_the_residents_pages_on_a_phone(phone_page, live_server, personas, people):
    from playwright.sync_api import expect

    page = phone_page
    worker = personas.village_worker_1
    sign_in(page, live_server, worker)
    logout = page.locator("header button.link")
    expect(logout).to_be_visible()
    box = logout.bounding_box()  # a 44 px tap target on one line, not its text squeezed into a column
    assert box["height"] <= 48 and box["width"] > box["height"], "the log-out button is squeezed into a column"
    for path in ("/persons/", "/persons/?q=%E7%8E%8B", "/persons/new/"):
        page.goto(live_server.url + path)
        assert_accessible(page, path)
        assert_no_sideways_scroll(page, path)
    assert not page.problems, page.problems
