"""Real browser: typing a woman's resident ID number on the registration form fills sex (女) and birth date from it
(static/js/id-fill.js, no inline script), and the record saves without the worker touching either field."""

from __future__ import annotations

import pytest

from xinli.archives.models import Person
from xinli.archives.tests.test_browser_search import SCREENSHOTS, browser_page, current_code  # noqa: F401 — fixture
from xinli.testing.browser import assert_accessible, sign_in
from xinli.testing.fixtures import id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_id_number_fills_sex_and_birth_date(browser_page, live_server, personas, tree):  # noqa: F811
    from playwright.sync_api import expect

    page = browser_page
    worker = personas.village_worker_1
    sign_in(page, live_server, worker)

    page.goto(f"{live_server.url}/persons/new/")
    expect(page.locator("#id_sex")).to_have_value("")  # no default sex
    assert_accessible(page, "registration form")
    page.fill("#id_name", "王丽")
    page.locator("#id_id_number").press_sequentially(id_number("19880305", 124), delay=5)
    expect(page.locator("#id_sex")).to_have_value("F")
    expect(page.locator("#id_birth_date")).to_have_value("1988-03-05")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "register_from_id.png"), full_page=True)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/persons/*/")
    assert_accessible(page, "registered")
    person = Person.objects.get()
    assert (person.sex, str(person.birth_date)) == ("F", "1988-03-05")
    assert not page.problems, page.problems
