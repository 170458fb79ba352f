"""Real browser, phone-sized (390×844): a drawn resident answers the awareness survey with the one-time code printed
on their invitation — from the portal home to the code page, the questionnaire and the thanks — and the code does not
work a second time."""

from __future__ import annotations

import pytest

from xinli.screening.tests.test_browser_campaign import assert_no_sideways_scroll
from xinli.testing.browser import PHONE, assert_accessible, chromium_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(live_server, monkeypatch):
    yield from chromium_pages(monkeypatch, **PHONE)


@pytest.fixture
def invitation(tree):
    from xinli.archives.services import register_person
    from xinli.core.policy import Role
    from xinli.outreach.sampling import draw_sample
    from xinli.testing.fixtures import id_number, make_user

    officer = make_user("officer", [(tree.county_a, Role.HEALTH_OFFICER)])
    register_person(officer, {"name": "刘一", "id_number": id_number("19700101", 555), "phone": "13900000000", "address": "某路",
                              "org_unit": tree.a1v1}, consents=[{"purpose": "archive"}])
    return draw_sample(officer, tree.county_a, per_stratum=1, seed="browser").invitations.get()


def test_a_drawn_resident_answers_with_the_invitation_code_on_a_phone(phone, live_server, invitation):
    from playwright.sync_api import expect

    from xinli.outreach.models import AwarenessResponse, Invitation

    page = phone()
    page.goto(live_server.url + "/p/")
    assert_accessible(page, "portal home")
    with page.expect_navigation():
        page.get_by_role("link", name="凭邀请码参加调查").tap()
    assert page.url == f"{live_server.url}/p/awareness/"
    assert_accessible(page, "code page")
    assert_no_sideways_scroll(page, "code page")
    page.locator("#code").tap()
    page.keyboard.type(invitation.code.lower())  # typed in small letters: still the code
    with page.expect_navigation():
        page.locator("main button[type=submit]").tap()
    assert page.url == f"{live_server.url}/p/awareness/{invitation.code}/"
    expect(page.locator("h1")).to_contain_text("心理健康核心知识知晓率调查")
    expect(page.locator("main")).to_contain_text("凭邀请码作答")
    expect(page.locator("main")).not_to_contain_text("刘一")
    assert_accessible(page, "questionnaire")
    assert_no_sideways_scroll(page, "questionnaire")
    for q in invitation.sample.survey.questions:
        label = page.locator("label.opt").filter(has=page.locator(f"input[name='q_{q['id']}'][value='{q['answer']}']"))
        label.scroll_into_view_if_needed()
        label.tap()
    submit = page.locator("main button[type=submit]")
    submit.scroll_into_view_if_needed()
    with page.expect_navigation():
        submit.tap()
    expect(page.locator("#done")).to_be_visible()
    assert_accessible(page, "thanks")
    assert not page.problems, page.problems
    response = AwarenessResponse.objects.get()
    assert (response.sample_id, response.passed, response.org_unit_id) == (invitation.sample_id, True, invitation.org_unit_id)
    assert Invitation.objects.get(pk=invitation.pk).used
    # The same code again: the survey says it was used, and nothing more is stored.
    page.goto(f"{live_server.url}/p/awareness/{invitation.code}/")
    expect(page.locator("#closed")).to_contain_text("已使用")
    assert_accessible(page, "used code")
    assert page.problems == [f"HTTP 410: GET {live_server.url}/p/awareness/{invitation.code}/"], page.problems
    assert AwarenessResponse.objects.count() == 1
