"""Real browser, desktop: the county health officer compares two records of the same resident and merges them, then
undoes the merge (issue 17 §3).

孙七 was registered twice (A1v1 and A1v2, no ID number); a scan put the pair on the review list. The officer opens the
archive, follows "疑似重复档案", opens the comparison (both reads audited), keeps the A1v1 record and merges; the merge
page lists what moved; the officer undoes it. Every page passes axe-core."""

from __future__ import annotations

import datetime

import pytest

from xinli.archives.duplicates import flag_possible_duplicates
from xinli.archives.models import Consent, Person, PersonMerge
from xinli.archives.services import register_person
from xinli.archives.tests.test_browser_search import browser_page  # noqa: F401 — fixture
from xinli.core.models import AuditEntry
from xinli.testing.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_county_officer_compares_merges_and_undoes(browser_page, live_server, tree, personas):  # noqa: F811
    from playwright.sync_api import expect

    officer = personas.county_officer
    keep = register_person(officer, {"name": "孙七", "birth_date": datetime.date(1970, 3, 3), "phone": "13911110001",
                                     "org_unit": tree.a1v1}, tags=["elderly_empty_nest"]).person
    other = register_person(officer, {"name": "孙七", "birth_date": datetime.date(1970, 3, 3), "phone": "13911110002",
                                      "org_unit": tree.a1v2}, consents=[{"purpose": "archive"}]).person
    assert flag_possible_duplicates([other.pk]) == 1

    page = browser_page
    sign_in(page, live_server, officer)
    page.goto(f"{live_server.url}/persons/")
    assert_accessible(page, "archive list")
    page.locator("#possible-duplicates-link").get_by_role("link").click()
    page.wait_for_url(f"{live_server.url}/persons/possible-duplicates/")
    assert_accessible(page, "review list")
    expect(page.locator("main table")).to_contain_text("姓名和出生日期相同")
    expect(page.locator("main table")).not_to_contain_text("孙七")

    page.locator("main table").get_by_role("link").first.click()
    page.wait_for_url(f"{live_server.url}/persons/{keep.pk}/compare/{other.pk}/")
    assert_accessible(page, "comparison")
    fields = page.locator("#compare-fields")
    expect(fields).to_contain_text("13911110001")
    expect(fields).to_contain_text("13911110002")
    expect(page.locator("#compare-counts")).to_contain_text("知情同意")
    assert {e.person_id for e in AuditEntry.objects.filter(actor_id=officer.pk, action="read", purpose="merge")} == {keep.pk, other.pk}

    page.get_by_label(f"保留档案 {keep.pk}（{tree.a1v1.name}）").check()
    page.get_by_role("button", name="合并这两份档案").click()
    record = PersonMerge.objects.get()
    page.wait_for_url(f"{live_server.url}/persons/merges/{record.pk}/")
    assert_accessible(page, "merge page")
    expect(page.locator("main")).to_contain_text("档案已合并")
    expect(page.locator("#merge-moved")).to_contain_text("知情同意")
    assert Person.objects.get(pk=other.pk).status == "merged"
    assert Consent.objects.get().person_id == keep.pk

    page.get_by_role("button", name="撤销这次合并").click()
    page.wait_for_url(f"{live_server.url}/persons/merges/{record.pk}/")
    assert_accessible(page, "merge page after undo")
    expect(page.locator("#merge-state")).to_contain_text("撤销")
    assert Person.objects.get(pk=other.pk).status == "active" and Consent.objects.get().person_id == other.pk
    assert not page.problems, page.problems
