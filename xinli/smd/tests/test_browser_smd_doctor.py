"""Real browser, desktop: the community mental-health doctor's journey — log in, land on a worklist with due and
overdue patients, filter the patient list, open a patient, find the follow-up form pre-filled, save it."""

import datetime

import pytest
from django.utils import timezone

from xinli.archives.tests.test_browser_search import SCREENSHOTS, browser_page, current_code  # noqa: F401
from xinli.smd import services
from xinli.smd.models import FollowUp, Task
from xinli.testing.browser import assert_accessible, sign_in

from .conftest import visit
from .test_patient_list import make_patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_smd_doctor_from_worklist_to_a_saved_follow_up(browser_page, live_server, doctor, tree):  # noqa: F811
    from playwright.sync_api import expect

    today = timezone.localdate()
    due = make_patient(doctor, tree.a1v1, "钱一", 801)
    services.record_follow_up(doctor, due, visit(date=today - datetime.timedelta(days=14), risk=1, insight="partial", mode="phone",
                                                 medications=[{"name": "奥氮平", "dose": "10mg", "usage": "每晚一次"}]))
    overdue = make_patient(doctor, tree.a1v2, "孙二", 802)
    Task.objects.filter(patient=overdue).update(due=today - datetime.timedelta(days=5))
    page = browser_page

    sign_in(page, live_server, doctor)
    # Landing: the home page's SMD card counts the overdue and this week's follow-ups.
    expect(page.locator("#smd-summary")).to_contain_text("已逾期 1 人")
    expect(page.locator("#smd-summary")).to_contain_text("本周待随访 1 人")
    assert_accessible(page, "home")

    # The SMD link of the top navigation lands on the worklist: overdue and due this week.
    page.locator("header nav").get_by_role("link", name="严重精神障碍").click()
    page.wait_for_url(f"{live_server.url}/smd/")
    expect(page.locator("tr.overdue")).to_contain_text("孙二")
    expect(page.locator("main")).to_contain_text("钱一")
    assert_accessible(page, "worklist")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "smd_worklist.png"), full_page=True)

    # The patient list from the SMD navigation, filtered to the basically stable.
    page.locator("nav.subnav").get_by_role("link", name="患者名单").click()
    page.wait_for_url(f"{live_server.url}/smd/patients/")
    assert_accessible(page, "patient list")
    page.select_option("#id_classification", "basically_stable")
    page.get_by_role("button", name="显示").click()
    page.wait_for_url(f"{live_server.url}/smd/patients/?*classification=basically_stable*")
    rows = page.locator("table.patients tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("基本稳定")
    assert_accessible(page, "filtered list")
    page.screenshot(path=str(SCREENSHOTS / "smd_patient_list.png"), full_page=True)

    # Open the patient, then the follow-up form: today's date, the last mode and medication list carried over.
    rows.first.get_by_role("link", name="钱一").click()
    page.wait_for_url(f"{live_server.url}/smd/patients/{due.pk}/")
    assert_accessible(page, "patient")
    page.locator("main").get_by_role("link", name="记录随访").click()
    page.wait_for_url(f"{live_server.url}/smd/patients/{due.pk}/follow-up/")
    expect(page.locator("#id_date")).to_have_value(today.isoformat())
    expect(page.locator("#id_mode")).to_have_value("phone")
    expect(page.locator("#id_medications")).to_have_value("奥氮平, 10mg, 每晚一次")
    expect(page.locator("#id_risk")).to_have_value("")
    assert_accessible(page, "follow-up form")
    page.screenshot(path=str(SCREENSHOTS / "smd_follow_up_form.png"), full_page=True)

    # Today's assessment, then save: back on the patient's page with the new follow-up.
    page.select_option("#id_risk", "0")
    page.select_option("#id_insight", "complete")
    page.select_option("#id_adherence", "regular")
    page.select_option("#id_sleep", "good")
    page.select_option("#id_diet", "good")
    page.select_option("#id_social_self_care", "good")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{live_server.url}/smd/patients/{due.pk}/")
    expect(page.locator(".messages")).to_contain_text("随访已保存")
    assert_accessible(page, "saved")
    fu = FollowUp.objects.filter(patient=due).first()
    assert fu.date == today and fu.mode == "phone" and fu.classification == "stable" and "奥氮平" in fu.medications
    assert not page.problems, page.problems
