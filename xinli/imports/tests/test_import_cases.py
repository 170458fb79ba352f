"""Closed counselling cases (history, no session notes): imported through counselling.services.record_closed_case;
open cases and note columns refused naming the column; matched by source id; re-import unchanged; strategies; scope."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.test import Client

from xinli.counselling.models import Case, Session
from xinli.imports.kinds import CASE_COLUMNS
from xinli.imports.models import ImportJob, SourceLink
from xinli.testing.fixtures import login_verified

from .helpers import csv_bytes, good_rows, kind_csv, problems, run_kind, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def residents(tree, personas):
    assert run_kind(personas.county_officer, "residents", csv_bytes(good_rows(3))).created == 3


def _case(**v):
    base = {"source_id": "C1", "resident_source_id": "S0", "counsellor": "counsellor", "opened_on": "2023-09-01",
            "closed_on": "2023-12-20", "state": "已结案", "reason": "睡眠差、情绪低落", "closing_summary": "情绪好转，按计划结案"}
    base.update(v)
    return base


GOOD = [_case(), _case(source_id="C2", resident_source_id="S1", opened_on="2024-02-01", closed_on="2024-03-01")]


def test_cases_through_the_page_then_unchanged(residents, personas):
    client = Client()
    login_verified(client, personas.county_officer)
    data = kind_csv(CASE_COLUMNS, GOOD)
    upload(client, "cases", data, dry_run=True)
    dry = ImportJob.objects.get(kind="cases")
    assert (dry.state, dry.created, dry.refused) == ("done", 2, 0), list(dry.problems.values_list("message", flat=True))
    assert not Case.objects.exists()
    client.post(f"/imports/{dry.pk}/run/")
    real = ImportJob.objects.get(kind="cases", dry_run=False)
    assert (real.created, real.updated, real.unchanged, real.refused) == (2, 0, 0, 0)
    case = Case.objects.get(pk=SourceLink.objects.get(kind="cases", source_id="C1").object_id)
    assert (case.state, case.counsellor.username, case.reason, case.closing_summary) == ("closed", "counsellor", "睡眠差、情绪低落", "情绪好转，按计划结案")
    assert (case.opened_at.date(), case.closed_at.date()) == (datetime.date(2023, 9, 1), datetime.date(2023, 12, 20))
    assert not Session.objects.exists()
    upload(client, "cases", data, dry_run=False)
    again = ImportJob.objects.filter(kind="cases").order_by("-pk").first()
    assert (again.created, again.updated, again.unchanged, again.refused) == (0, 0, 2, 0) and Case.objects.count() == 2


def test_cases_command_dry_run(residents, personas, tmp_path, capsys):
    f = tmp_path / "cases.csv"
    f.write_bytes(kind_csv(CASE_COLUMNS, GOOD))
    call_command("import_records", "cases", str(f), "--dry-run", "--user", personas.county_officer.username)
    assert "created 2" in capsys.readouterr().out and not Case.objects.exists()


def test_a_notes_column_refuses_the_file_naming_the_column(residents, personas):
    job = run_kind(personas.county_officer, "cases", kind_csv(CASE_COLUMNS, GOOD, extra_header=["会谈记录 notes"]), dry_run=True)
    assert job.state == "failed" and problems(job) == [(1, "notes")]
    message = job.problems.get().message
    assert "会谈记录 notes" in message and "not imported" in message and "不予导入" in message
    assert not Case.objects.exists()


BAD = [
    _case(source_id="X1", state="进行中"),                                 # 2 open case
    _case(source_id="X2", resident_source_id="NOPE"),                      # 3 unknown resident
    _case(source_id="X3", counsellor="nobody_here"),                       # 4 unknown counsellor
    _case(source_id="X4", counsellor="county_officer"),                    # 5 not a counsellor (service rule)
    _case(source_id="X5", opened_on="2023-02-30", reason=""),              # 6 bad date
    _case(source_id="X6", closed_on="2023-01-01"),                         # 7 closed before opened (service rule)
    _case(source_id="X7", reason="", closing_summary=""),                  # 8 both required (service rules, one pass)
]


def test_bad_rows_reported_by_line_and_column(residents, personas):
    job = run_kind(personas.county_officer, "cases", kind_csv(CASE_COLUMNS, BAD), dry_run=True)
    assert (job.created, job.refused) == (0, 7)
    assert problems(job) == [(2, "state"), (3, "resident_source_id"), (4, "counsellor"), (5, "counsellor"), (6, "opened_on"),
                             (7, "closed_on"), (8, "closing_summary"), (8, "reason")]


def test_strategies_a_closed_case_is_never_changed(residents, personas):
    officer = personas.county_officer
    job = run_kind(officer, "cases", kind_csv(CASE_COLUMNS, [GOOD[0]]), strategy="update")
    assert (job.created, job.refused) == (0, 1)
    assert run_kind(officer, "cases", kind_csv(CASE_COLUMNS, [GOOD[0]]), strategy="create").created == 1
    job = run_kind(officer, "cases", kind_csv(CASE_COLUMNS, [_case(closing_summary="另一个小结")]), strategy="update")
    assert problems(job) == [(2, "closing_summary")] and Case.objects.get().closing_summary == "情绪好转，按计划结案"
    # Matched without a source id by the person, the counsellor and the opening date: unchanged, not a second case.
    job = run_kind(officer, "cases", kind_csv(CASE_COLUMNS, [_case(source_id="")]), strategy="upsert")
    assert (job.created, job.unchanged) == (0, 1) and Case.objects.count() == 1


def test_scope_refusal(residents, tree, personas):
    from xinli.core.policy import Role
    from xinli.testing.fixtures import make_user

    b = make_user("officer_b", [(tree.county_b, Role.HEALTH_OFFICER)])
    job = run_kind(b, "cases", kind_csv(CASE_COLUMNS, GOOD))
    assert (job.created, job.refused) == (0, 2) and problems(job) == [(2, "resident_source_id"), (3, "resident_source_id")]


def test_templates_of_the_new_kinds_have_a_bilingual_header_and_one_example_row(tree, personas):
    import io

    import openpyxl

    from xinli.imports import services

    client = Client()
    login_verified(client, personas.county_officer)
    for kind, first in (("plans", "来源编号 source_id"), ("emergencies", "来源编号 source_id"), ("cases", "来源编号 source_id")):
        response = client.get(f"/imports/template/{kind}/")
        assert response.status_code == 200
        header, example = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        assert header[0] == first and all(" " in h for h in header) and any(example)
        csv_text = client.get(f"/imports/template/{kind}/?format=csv").content.decode("utf-8-sig")
        assert csv_text.splitlines()[0].split(",") == list(header)
    header = services.template_csv("cases").decode("utf-8-sig").splitlines()[0]
    assert "notes" not in header and "会谈记录" not in header and "结案小结 closing_summary" in header
    page = client.get("/imports/new/").content.decode()
    assert "个性化疏导方案" in page and "严重精神障碍应急处置及个案管理组成员" in page and "已结案心理咨询个案" in page
