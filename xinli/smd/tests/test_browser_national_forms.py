"""Real browser: the doctor prints a patient's transfer letter from the patient's page (form, purpose, receiving
place, the PDF downloaded), and opens the blank forms from the worklist."""

import datetime
import io
import re

import pytest
from django.utils import timezone
from pypdf import PdfReader

from xinli.archives.tests.test_browser_search import browser_page  # noqa: F401
from xinli.core.models import AuditEntry
from xinli.smd import services
from xinli.testing.browser import assert_accessible, sign_in

from .conftest import visit
from .test_patient_list import make_patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_doctor_prints_a_transfer_letter_and_finds_the_blank_forms(browser_page, live_server, doctor, tree):  # noqa: F811
    from playwright.sync_api import expect

    patient = make_patient(doctor, tree.a1v1, "钱一", 801)
    services.record_follow_up(doctor, patient, visit(date=timezone.localdate() - datetime.timedelta(days=7), risk=2,
                                                     medications=[{"name": "奥氮平", "dose": "10mg", "usage": "每晚一次"}]))
    page = browser_page
    sign_in(page, live_server, doctor)
    page.goto(f"{live_server.url}/smd/patients/{patient.pk}/")
    assert_accessible(page, "patient with the forms links")
    page.locator("main").get_by_role("link", name="打印国家规范表单").click()
    page.wait_for_url(f"{live_server.url}/smd/patients/{patient.pk}/forms/")
    assert_accessible(page, "national forms of a patient")
    page.get_by_label("转出单（迁往未使用本平台的地区）").check()
    page.get_by_label("接收地").fill("四川省成都市武侯区")
    page.get_by_label("目的").fill("患者迁居外地")
    with page.expect_download() as info:
        page.get_by_role("button", name="下载 PDF").click()
    pdf = open(info.value.path(), "rb").read()
    text = re.sub(r"\s", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    assert "严重精神障碍患者转出单" in text and "钱一" in text and "四川省成都市武侯区" in text and "奥氮平" in text
    assert AuditEntry.objects.filter(action="export", person_id=patient.person_id, purpose="患者迁居外地").exists()

    page.goto(f"{live_server.url}/smd/")
    assert_accessible(page, "worklist with the forms link")
    page.get_by_role("link", name="空白国家规范表单").click()
    page.wait_for_url(f"{live_server.url}/smd/forms/blank/")
    expect(page.locator("main")).to_contain_text("应急处置记录单")
    assert_accessible(page, "blank national forms")
