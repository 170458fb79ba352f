"""Real browser, desktop: the county health officer resolves a duplicate ID-number request (issue 15).

A village worker of A1v1 entered the ID number of a resident of A2v1 and was refused neutrally. The county officer
signs in, follows the home card "待处理的重复身份证号" to the list, opens the request, opens the existing record (an
audited read), comes back and transfers the record to the requesting unit with a note. Every page passes axe-core."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from xinli.alerts.models import Notification
from xinli.archives.models import DuplicateRequest, Person
from xinli.archives.services import register_person
from xinli.archives.tests.test_browser_search import browser_page  # noqa: F401 — fixture
from xinli.core.models import AuditEntry
from xinli.testing.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_county_officer_transfers_a_duplicate_from_home_to_resolution(browser_page, live_server, tree, personas, people):  # noqa: F811
    from playwright.sync_api import expect

    held = people.in_a2v1
    with pytest.raises(ValidationError):
        register_person(personas.village_worker_1, {"name": "新人", "id_number": held.id_number, "org_unit": tree.a1v1})
    request = DuplicateRequest.objects.get()

    page = browser_page
    sign_in(page, live_server, personas.county_officer)  # lands on the home page, checked
    card = page.locator("#duplicate-card")
    expect(card).to_contain_text("待处理的重复身份证号")
    expect(card.locator(".big")).to_have_text("1")
    card.get_by_role("link").click()
    page.wait_for_url(f"{live_server.url}/persons/duplicates/")
    assert_accessible(page, "duplicate list")
    expect(page.locator("main table")).to_contain_text(tree.a1v1.name)
    expect(page.locator("main table")).not_to_contain_text(held.name)

    page.get_by_role("link", name=f"申请编号 {request.pk}").click()
    page.wait_for_url(f"{live_server.url}/persons/duplicates/{request.pk}/")
    assert_accessible(page, "duplicate request")
    expect(page.locator("#dup-unit")).to_contain_text(tree.a1v1.name)

    page.locator("#dup-holder").get_by_role("link").click()
    page.wait_for_url(f"{live_server.url}/persons/{held.pk}/")
    assert_accessible(page, "existing record")
    expect(page.locator("#person-name")).to_have_text(held.name)
    assert AuditEntry.objects.filter(actor_id=personas.county_officer.pk, person_id=held.pk, action="read").exists()
    page.go_back()
    page.wait_for_url(f"{live_server.url}/persons/duplicates/{request.pk}/")
    assert_accessible(page, "duplicate request again")

    page.select_option("#id_outcome", "transfer")
    page.fill("#id_note", "电话核实：本人已迁居太平角社区")
    page.get_by_role("button", name="提交处理结果").click()
    page.wait_for_url(f"{live_server.url}/persons/duplicates/")
    assert_accessible(page, "list after resolving")
    expect(page.locator("main")).to_contain_text("已通知申请人")
    expect(page.locator("main table")).to_contain_text("暂无待处理的申请")

    request.refresh_from_db()
    assert request.status == "transferred" and Person.objects.get(pk=held.pk).org_unit == tree.a1v1
    assert Notification.objects.filter(recipient=personas.village_worker_1, kind="id_request_transferred").exists()
    assert not page.problems, page.problems
