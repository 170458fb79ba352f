"""Real browser: a counsellor refers a client from the case page; the hospital's psychiatrist receives and replies;
the counsellor reads the reply. Both log in through the login form with their one-time code."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinli.archives.tests.test_browser_search import browser_page, current_code  # noqa: F401
from xinli.testing.browser import assert_accessible
from xinli.testing.fixtures import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, user):
    device = TOTPDevice.objects.create(user=user, name="browser", confirmed=True)
    page.goto(f"{live_server.url}/accounts/login/")
    assert_accessible(page)
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp", current_code(device))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    assert_accessible(page)


def test_refer_and_receive_a_reply(browser_page, live_server, personas, people, tree):  # noqa: F811
    from playwright.sync_api import expect

    from xinli.core.policy import Role
    from xinli.counselling import services
    from xinli.counselling.models import Referral
    from xinli.network import services as network
    from xinli.testing.fixtures import make_user

    page = browser_page
    officer = make_user("officer", [(tree.city, Role.HEALTH_OFFICER)])
    hospital = network.create_institution(officer, org_unit=tree.city, name="青岛市精神卫生中心", kind="psychiatric_hospital")
    psychiatrist = make_user("psychiatrist_b", [(tree.city, Role.PSYCHIATRIST)])
    case = services.open_case(personas.counsellor, people.in_a1v1, reason="情绪低落")

    login(page, live_server, personas.counsellor)
    page.goto(f"{live_server.url}/counselling/cases/{case.pk}/")
    assert_accessible(page)
    page.select_option("select[name=institution]", str(hospital.pk))
    page.select_option("select[name=urgency]", "urgent")
    page.fill("form input[name=reason]", "疑似抑郁发作，需精神科评估")
    with page.expect_navigation():
        page.locator("form:has(input[name=do][value=refer]) button[type=submit]").click()
    assert Referral.objects.get().state == "sent"
    assert_accessible(page)

    # The psychiatrist works in a browser of their own (each user logs in once: a one-time code cannot be replayed).
    hospital_context = page.context.browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    other = hospital_context.new_page()
    login(other, live_server, psychiatrist)
    other.goto(f"{live_server.url}/counselling/")
    received = other.locator("li", has_text="疑似抑郁发作")
    expect(received).to_be_visible()
    assert_accessible(other)
    with other.expect_navigation():
        received.locator("button[value=receive]").click()
    assert_accessible(other)
    other.locator("li", has_text="疑似抑郁发作").locator("textarea[name=reply]").fill("已就诊：中度抑郁发作，药物治疗，建议社区心理随访")
    with other.expect_navigation():
        other.locator("li", has_text="疑似抑郁发作").locator("button[type=submit]").click()
    assert_accessible(other)
    hospital_context.close()

    page.goto(f"{live_server.url}/counselling/")
    expect(page.locator(".reply")).to_have_text("已就诊：中度抑郁发作，药物治疗，建议社区心理随访")
    assert_accessible(page)
    ref = Referral.objects.get()
    assert ref.state == "replied" and ref.received_by == psychiatrist
    assert not page.problems, page.problems
