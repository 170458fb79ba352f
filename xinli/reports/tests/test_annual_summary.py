"""The annual work summary: a real .docx with the eight chapters and the computed figures, built by the task."""

import datetime
import io

import pytest
from django.test import Client
from docx import Document

from xinli.core.policy import Role
from xinli.indicators import services as indicators
from xinli.reports.annual import CHAPTERS
from xinli.reports.models import Report
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year


def test_report_contains_the_chapters_and_the_figures(tree, django_capture_on_commit_callbacks):
    from xinli.network import services as network

    officer = make_user("officer", [(tree.city, Role.HEALTH_OFFICER)])
    network.create_site(officer, org_unit=tree.a1v1, name="咨询室1", kind="village_room", opened_on=datetime.date(2024, 1, 1))
    indicators.rebuild(YEAR, codes={"T01"})
    client = Client()
    login_verified(client, officer)
    with django_capture_on_commit_callbacks(execute=True):  # the task runs when the request's transaction commits
        client.post("/reports/", {"org": tree.city.code, "year": str(YEAR)})
    report = Report.objects.get()
    assert (report.state, report.progress) == ("done", 100)
    r = client.get(f"/reports/{report.pk}/download/")
    doc = Document(io.BytesIO(r.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = " ".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    for i, title in enumerate(CHAPTERS, 1):
        assert f"{i}. {title}" in text
    assert "青岛市" in text and "【请填写" in text and "心理服务站点 1 个" in text
    # T01 for the city: 1 of 4 villages = 25.0 %, target 80.0 %, not met.
    assert "T01 村(社区)心理咨询室或社会工作室建成率" in cells and "25.0%" in cells and "1 / 4" in cells and "未达标" in cells
    assert client.get("/reports/").status_code == 200


def test_reports_are_scoped(tree, personas):
    other = make_user("officer_b", [(tree.county_b, Role.HEALTH_OFFICER)])
    report = Report.objects.create(org_unit=tree.county_a, org_path=tree.county_a.path, year=YEAR, state="done", content=b"x")
    client = Client()
    login_verified(client, other)
    assert client.get(f"/reports/{report.pk}/download/").status_code == 404
    assert client.post("/reports/", {"org": tree.county_a.code, "year": str(YEAR)}).status_code == 404
    login_verified(client, personas.village_worker_1)
    assert client.get("/reports/").status_code == 404
    # A bad year is a message naming the field, and nothing is queued.
    login_verified(client, make_user("officer_a", [(tree.county_a, Role.HEALTH_OFFICER)]))
    n = Report.objects.count()
    page = client.post("/reports/", {"org": tree.county_a.code, "year": "20x6", "kind": "annual_summary"}, follow=True).content.decode()
    assert "年度：2000 年至今年之间的年份" in page and Report.objects.count() == n
    assert "Data tables (Excel)" in page or "数据表" in page


def test_pilot_report_follows_annex_2(tree, django_capture_on_commit_callbacks):
    from xinli.regions.models import UnitPopulation

    officer = make_user("officer2", [(tree.city, Role.HEALTH_OFFICER)])
    UnitPopulation.objects.create(org_unit=tree.city, year=YEAR, residents=5_000_000)
    indicators.rebuild(YEAR, codes={"T01", "T19"})
    client = Client()
    login_verified(client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/reports/", {"org": tree.city.code, "year": str(YEAR), "kind": "pilot_report"})
    report = Report.objects.get()
    assert (report.kind, report.state) == ("pilot_report", "done")
    doc = Document(io.BytesIO(bytes(report.content)))
    text = "\n".join(p.text for p in doc.paragraphs)
    for heading in ("一、基本情况", "二、工作基础", "三、工作计划", "四、保障措施", "（四）督导评估"):
        assert heading in text
    # 2 counties, 3 townships, 4 villages in the fixture tree; T01 0 of 4 is red, so it is listed as a problem.
    assert "常住人口 5000000 人" in text and "县（区、市）2 个" in text and "乡镇（街道）3 个" in text and "行政村（社区）4 个" in text
    assert "T01 村(社区)心理咨询室或社会工作室建成率：0.0%" in text
