"""Real browser, phone-sized: a pupil takes a school screening campaign with the one-time code on their slip.

Drives Debian's chromium (``make browser-deps`` installs it; ``make test`` runs that first) through Playwright's
sync API against pytest-django's live server, emulating a phone (390×844 CSS px, touch, 2× pixels, zh-CN).
Never ``playwright install``: the browser is the system one.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from xinli.core.policy import Role
from xinli.screening import campaigns
from xinli.screening.models import Assessment, Participant
from xinli.testing.browser import PHONE, assert_accessible, chromium_page
from xinli.testing.fixtures import make_user

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone_page(live_server, monkeypatch):
    """A fresh Chinese-locale page in Debian's chromium emulating a phone (``xinli.testing.browser``); fails (never
    skips) when chromium is missing, and when a visited page was not checked with ``assert_accessible``."""
    yield from chromium_page(monkeypatch, **PHONE)


# Elements sticking out past the right edge of the viewport, deepest first: names the culprit when the page scrolls
# sideways on a phone.
OVERFLOW_JS = """() => {
  const w = window.innerWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > w + 0.5) {
      out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
               (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
               ` right=${Math.round(r.right)} width=${Math.round(r.width)}`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: w, overflowing: out.reverse().slice(0, 10)};
}"""


def assert_no_sideways_scroll(page, where: str) -> None:
    m = page.evaluate(OVERFLOW_JS)
    assert m["scrollWidth"] <= m["innerWidth"], (
        f"{where}: the page scrolls sideways on a phone ({m['scrollWidth']} > {m['innerWidth']} px); "
        f"overflowing elements: {m['overflowing']}")


def enter_code(page, live_server, code: str, expect_status: int) -> None:
    """Type ``code`` on the start page as a pupil would and tap Start; check the response status."""
    page.goto(f"{live_server.url}/s/")
    assert_accessible(page)
    page.locator("#code").tap()
    page.locator("#code").press_sequentially(code)
    with page.expect_response(lambda r: r.url == f"{live_server.url}/s/" and r.request.method == "POST") as resp:
        page.locator("main form button[type=submit]").tap()
    assert resp.value.status == expect_status
    page.wait_for_load_state()
    if expect_status == 400:
        page.locator("main p.error[role=alert]").wait_for()
        assert_accessible(page)
    if expect_status == 400:
        # The expected refusal is the one error response; anything else is a problem.
        assert page.problems == [f"HTTP 400: POST {live_server.url}/s/"], page.problems
        page.problems.clear()


@pytest.fixture
def school_campaign(tree):
    psychologist = make_user("school_psy", [(tree.county_a, Role.SCHOOL_PSYCHOLOGIST)])
    now = timezone.now()
    campaign = campaigns.create_campaign(
        psychologist, name="2026秋季心理普查", kind="school", institution="市南区第一中学", org_unit=tree.county_a,
        scales=["phq9"], opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(days=7),
        groups=[{"grade": "初二", "name": "3班", "participants": [{"label": "学生甲", "minor_under_14": False},
                                                                   {"label": "学生乙", "minor_under_14": True}]}])
    return campaign


def test_pupil_takes_phq9_on_a_phone_with_the_code_on_their_slip(phone_page, live_server, school_campaign):
    from playwright.sync_api import expect

    page = phone_page
    by_label = {p.label: p for p in school_campaign.participants.all()}  # labels are encrypted: no SQL lookup
    fifteen, under_14 = by_label["学生甲"], by_label["学生乙"]
    assert under_14.guardian_consent_at is None
    assert re.fullmatch(r"[A-Z2-9]{8}", fifteen.code) and fifteen.code.lower() != fifteen.code
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # (1) Under 14 without a guardian's consent: refused in Chinese (the page's language only), no questionnaire.
    enter_code(page, live_server, under_14.code, expect_status=400)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    error = page.locator("main p.error[role=alert]")
    expect(error).to_contain_text("须先取得监护人同意")
    expect(error).not_to_contain_text("a guardian's consent is needed first (under 14)")
    expect(page.locator("form.participant")).to_have_count(0)
    expect(page.locator("input[type=radio]")).to_have_count(0)
    assert_no_sideways_scroll(page, "start page with an error")
    page.screenshot(path=str(SCREENSHOTS / "campaign_phone_consent_error.png"), full_page=True)

    # (2) The 15-year-old types their code in lower case: redirected to the PHQ-9 form under the canonical code.
    enter_code(page, live_server, fifteen.code.lower(), expect_status=302)
    page.wait_for_url(f"{live_server.url}/s/{fifteen.code.upper()}/")
    expect(page.locator("form.participant h1")).to_contain_text("PHQ-9")
    items = page.locator("form.participant fieldset.item")
    expect(items).to_have_count(10)  # 9 scored items and the difficulty question
    expect(page.locator("form.participant input[type=radio]")).to_have_count(40)
    assert_accessible(page)
    expect(items.nth(9).locator("legend")).to_contain_text("造成了多大的困难")
    # Phone ergonomics: every option row is a tap target at least 44 px high spanning the card, and the question sits
    # above its options inside the box (not drawn over the border).
    heights = page.eval_on_selector_all("form.participant label.opt", "els => els.map(e => e.getBoundingClientRect().height)")
    assert min(heights) >= 44, f"option rows too small to tap: {min(heights)} px"
    first = items.nth(0)
    box, legend = first.bounding_box(), first.locator("legend").bounding_box()
    assert legend["y"] > box["y"], "the question is drawn over the box border"
    # Participant pages speak to the participant, not to staff.
    footer = page.locator("footer")
    expect(footer).to_contain_text("12356")
    expect(footer).not_to_contain_text("所有访问均被记录")

    wanted = {str(i): (0, "完全不会") for i in range(1, 9)} | {"9": (1, "好几天"), "10": (0, "毫无困难")}
    for item_id, (value, label_text) in wanted.items():
        radio = page.locator(f"input[type=radio][name='phq9_{item_id}'][value='{value}']")
        label = page.locator("label.opt").filter(has=radio)
        expect(label).to_have_text(label_text)
        label.scroll_into_view_if_needed()
        label.tap()
        expect(radio).to_be_checked()
    # One answer per item, and exactly the ones tapped.
    assert page.eval_on_selector_all("form.participant input[type=radio]:checked",
                                     "els => els.map(e => [e.name, e.value])") == \
        [[f"phq9_{i}", str(v)] for i, (v, _) in wanted.items()]

    assert_no_sideways_scroll(page, "PHQ-9 form")
    page.screenshot(path=str(SCREENSHOTS / "campaign_phone_form.png"), full_page=True)

    submit = page.locator("form.participant button[type=submit]")
    submit.scroll_into_view_if_needed()
    with page.expect_navigation():
        submit.tap()
    expect(page.locator("#done")).to_be_visible()
    banner = page.locator(".alert-banner[role=alert]")
    expect(banner).to_be_visible()  # item 9 answered above 0 is critical
    expect(banner).to_contain_text("12356")
    expect(banner.locator("a[href='tel:12356']")).to_be_visible()
    assert_no_sideways_scroll(page, "thank-you page")
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "campaign_phone_done.png"), full_page=True)

    # (3) The code is used up.
    enter_code(page, live_server, fifteen.code, expect_status=400)
    error = page.locator("main p.error[role=alert]")
    expect(error).to_contain_text("已被使用")
    expect(error).not_to_contain_text("already used")
    expect(page.locator("form.participant")).to_have_count(0)

    # The database: one PHQ-9 assessment for this participant, scored 1 with item 9 critical; the code is spent.
    rows = list(Assessment.objects.filter(participant=fifteen))
    assert len(rows) == 1
    a = rows[0]
    assert (a.scale, a.total, a.critical_items, a.mode) == ("phq9", Decimal(1), ["9"], "campaign")
    assert a.campaign_id == school_campaign.pk
    assert a.answers.get("9") == 1
    assert Participant.objects.get(pk=fifteen.pk).completed_at is not None
    assert Participant.objects.get(pk=under_14.pk).completed_at is None
    assert not Assessment.objects.filter(participant=under_14).exists()
    assert not page.problems, page.problems
