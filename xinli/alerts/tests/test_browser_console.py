"""Real browser, desktop size: a township crisis team member on the duty console sees why each alert was raised and
which is overdue (in words), acknowledges one from its row and the inbox badge drops at once; the console's
10-second refresh then writes no further audit entries for the persons already shown."""

from __future__ import annotations

import pytest
from django.utils import timezone

from xinli.alerts.models import Alert
from xinli.archives.tests.test_browser_search import SCREENSHOTS, browser_page, current_code  # noqa: F401 — fixture
from xinli.core.models import AuditEntry
from xinli.screening.services import administer
from xinli.testing.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_crisis_team_works_the_duty_console(browser_page, live_server, personas, people, teams):  # noqa: F811
    from playwright.sync_api import expect

    page = browser_page
    member = teams["township"]
    administer(personas.counsellor, scale="phq9", answers=[0] * 8 + [2], person=people.in_a1v1)
    administer(personas.counsellor, scale="phq9", answers=[0] * 8 + [1], person=people.in_a1v2)
    overdue = Alert.objects.get(person=people.in_a1v1)
    Alert.objects.filter(pk=overdue.pk).update(ack_due_at=timezone.now() - timezone.timedelta(minutes=20))

    sign_in(page, live_server, member)
    page.goto(f"{live_server.url}/alerts/console/")

    table = page.locator("#console table.console")
    expect(table.locator("thead th").nth(3)).to_have_text("原因")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    first = rows.first  # the overdue one: most pressing deadline first
    expect(first).to_have_class("overdue")
    expect(first.locator("td.reason")).to_have_text("PHQ-9 第 9 题 = 2")
    expect(first).to_contain_text("⚠ 已逾期 20 分钟")
    expect(page.locator("#inbox-link .badge")).to_have_text("2")
    assert_accessible(page, "duty console")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "duty_console.png"), full_page=True)
    first_view = AuditEntry.objects.filter(actor_id=member.pk, view="alerts:console").count()
    assert first_view == 2  # one entry per person on the first view

    # Acknowledge the overdue alert from its row: the panel and the badge change without a page load.
    with page.expect_response(lambda r: r.url.endswith(f"/alerts/{overdue.pk}/acknowledge/")) as resp:
        first.get_by_role("button", name="确认接收").click()
    assert resp.value.status == 200
    expect(page.locator("#inbox-link .badge")).to_have_text("1")
    expect(rows.first.locator("td").nth(5)).to_have_text("已确认")
    expect(rows.first.get_by_role("button")).to_have_count(0)
    assert Alert.objects.get(pk=overdue.pk).state == "acknowledged"
    assert_accessible(page, "duty console after acknowledging")

    # The 10-second refresh: the same persons, no new audit entries.
    with page.expect_response(lambda r: r.url.endswith("/alerts/console/") and r.request.headers.get("hx-request") == "true",
                              timeout=15_000):
        pass
    expect(page.locator("#inbox-link .badge")).to_have_text("1")
    assert AuditEntry.objects.filter(actor_id=member.pk, view="alerts:console").count() == first_view
    page.screenshot(path=str(SCREENSHOTS / "duty_console_acknowledged.png"), full_page=True)
    assert not page.problems, page.problems
