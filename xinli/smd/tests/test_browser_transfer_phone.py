"""Real browser, phone-sized: the receiving community mental-health doctor finds a patient moving in on the home
card, opens the transfer from the worklist, sees what arrives and accepts it; every page checked with axe-core and
for sideways scrolling."""

from __future__ import annotations

import pytest

from xinli.archives import services as archive_services
from xinli.archives.models import Transfer
from xinli.core.policy import Role
from xinli.screening.tests.test_browser_campaign import assert_no_sideways_scroll
from xinli.smd.models import Patient
from xinli.testing.browser import PHONE, assert_accessible, chromium_page, sign_in
from xinli.testing.fixtures import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone_page(live_server, monkeypatch):
    yield from chromium_page(monkeypatch, **PHONE)


def test_doctor_accepts_a_transfer_on_a_phone(phone_page, live_server, tree, personas, people, patient):
    from playwright.sync_api import expect

    doctor_a2 = make_user("doctor_a2", [(tree.a2, Role.SMD_DOCTOR)])
    archive_services.update_person(personas.county_officer, people.in_a1v1, {"org_unit": tree.a2v1})
    t = Transfer.objects.get()
    page = phone_page

    sign_in(page, live_server, doctor_a2)
    expect(page.locator("#smd-summary-transfers")).to_contain_text("1 名迁入患者待接收")
    expect(page.locator("#transfer-card")).to_contain_text("迁入待接收的居民")
    assert_no_sideways_scroll(page, "home")

    page.locator("header nav").get_by_role("link", name="严重精神障碍").click()
    page.wait_for_url(f"{live_server.url}/smd/")
    expect(page.locator("#smd-transfers")).to_contain_text(people.in_a1v1.name)
    assert_accessible(page, "worklist")
    assert_no_sideways_scroll(page, "worklist")

    page.locator("#smd-transfers").get_by_role("link", name=people.in_a1v1.name).click()
    page.wait_for_url(f"{live_server.url}/transfers/{t.pk}/")
    expect(page.locator("#transfer-items")).to_contain_text("严重精神障碍患者管理档案")
    expect(page.locator("#transfer-status")).to_contain_text("待接收")
    assert_accessible(page, "transfer")
    assert_no_sideways_scroll(page, "transfer")

    page.get_by_role("button", name="接收").click()
    page.wait_for_load_state("load")
    expect(page.locator("#transfer-status")).to_contain_text("已接收")
    assert_accessible(page, "accepted")
    assert Patient.objects.get(pk=patient.pk).doctor_id == doctor_a2.pk

    page.goto(f"{live_server.url}/transfers/?status=all")
    expect(page.locator(f"#transfer-{t.pk}")).to_contain_text("已接收")
    assert_accessible(page, "transfers")
    assert_no_sideways_scroll(page, "transfers")
    assert not page.problems, page.problems
