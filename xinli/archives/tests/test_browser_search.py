"""Real browser: a village worker logs in with password + TOTP, finds a resident by ID number and opens the record.

Drives Debian's chromium (``make browser-deps`` installs it; ``make test`` runs that first) through Playwright's
sync API against pytest-django's live server. Never ``playwright install``: the browser is the system one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinli.core.models import AuditEntry
from xinli.testing.browser import CHROMIUM, CHROMIUM_ARGS, assert_accessible, chromium_page  # noqa: F401
from xinli.testing.fixtures import PASSWORD

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(live_server, monkeypatch):
    """A fresh Chinese-locale desktop page in Debian's chromium (``xinli.testing.browser``); fails (never skips) when
    chromium is missing, and when a visited page was not checked with ``assert_accessible``."""
    yield from chromium_page(monkeypatch)


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_village_worker_finds_own_resident_by_id_number_and_not_another_villages(browser_page, live_server, personas, people):
    from playwright.sync_api import expect

    page = browser_page
    worker = personas.village_worker_1
    mine, other = people.in_a1v1, people.in_a2v1
    device = TOTPDevice.objects.create(user=worker, name="browser", confirmed=True)

    # Log in: username, password, one-time code.
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert_accessible(page)
    page.fill("#id_username", worker.username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp", current_code(device))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")  # home, not the two-factor page: the session is OTP-verified
    expect(page.locator("header .who")).to_have_text(str(worker))
    assert_accessible(page)

    # Home: the residents search box, by ID number.
    page.fill("#home-q", mine.id_number)
    page.locator("#home-q ~ button[type=submit]").click()
    page.wait_for_url(re.compile(r"/persons/\?q="))
    rows = page.locator("#results table.results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").first).to_have_text(mine.name)
    assert_accessible(page)
    row_text = rows.first.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "search_results.png"), full_page=True)
    assert mine.id_number not in row_text, "the results list shows the full ID number; it should be masked"

    # Open the record: the detail page shows the full ID number and the name.
    rows.first.get_by_role("link", name=mine.name).click()
    page.wait_for_url(f"{live_server.url}/persons/{mine.pk}/")
    expect(page.locator("#person-name")).to_have_text(mine.name)
    expect(page.locator("#person-id-number")).to_have_text(mine.id_number)
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "person_detail.png"), full_page=True)

    # Another village's resident: the htmx search box on the residents page finds nothing.
    page.goto(f"{live_server.url}/persons/")
    assert_accessible(page)
    page.fill("#q", other.id_number)
    with page.expect_response(lambda r: "/persons/?" in r.url and r.request.headers.get("hx-request") == "true") as resp:
        page.locator("form.search button[type=submit]").click()
    assert resp.value.status == 200
    page.wait_for_url(re.compile(r"/persons/\?.*q=" + other.id_number))
    rows = page.locator("#results table.results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td[colspan]")).to_have_count(1)
    expect(page.locator("#results a")).to_have_count(0)
    assert other.name not in page.locator("#results").inner_text()
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "search_other_village.png"), full_page=True)

    # The opened record was audited as a read by this user; the other resident was never shown to them.
    assert AuditEntry.objects.filter(action="read", person_id=mine.pk, actor_id=worker.pk,
                                     actor_username=worker.username, view="archives:person_detail").count() == 1
    assert not AuditEntry.objects.filter(person_id=other.pk, actor_id=worker.pk).exists()
    assert not page.problems, page.problems
