"""manage.py import_smd: a good workbook, a workbook with bad rows (nothing written), --skip-invalid."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from xinli.archives.models import DuplicateRequest
from xinli.core.models import AuditEntry
from xinli.smd.importer import COLUMNS, import_workbook
from xinli.smd.models import FollowUp, Patient
from xinli.testing.fixtures import id_number

pytestmark = pytest.mark.django_db


def workbook(tmp_path, rows):
    wb = Workbook()
    ws = wb.active
    ws.append(list(COLUMNS))
    for r in rows:
        ws.append([r.get(c) for c in COLUMNS])
    path = tmp_path / "register.xlsx"
    wb.save(path)
    return str(path)


def good_rows(people):
    return [
        # In the archive already; last follow-up stable.
        {"id_number": people.in_a1v1.id_number, "diagnosis": "精神分裂症", "diagnosed_by": "市精神卫生中心",
         "diagnosed_on": datetime.date(2018, 3, 1), "source": "医院报告", "residence": "居家", "consent": "是",
         "last_follow_up": datetime.date(2026, 10, 1), "mode": "家庭访视", "risk": 0, "insight": "complete", "adherence": "regular"},
        # Not in the archive: registered with name and org unit; no follow-up yet.
        {"id_number": id_number("19800505", 901), "name": "导入患者", "org_unit_code": "370202001002", "diagnosis": "F31",
         "diagnosed_by": "市精神卫生中心", "diagnosed_on": "2021-06-01", "source": "community"},
    ]


def test_good_workbook_is_imported(tmp_path, people, doctor, capsys):
    call_command("import_smd", workbook(tmp_path, good_rows(people)), "--as", "jingfang")
    assert Patient.objects.count() == 2 and "imported 2" in capsys.readouterr().out
    fu = FollowUp.objects.get()
    assert (fu.classification, fu.next_due) == ("stable", datetime.date(2027, 1, 1))


def test_bad_rows_are_reported_by_line_and_nothing_is_written(tmp_path, people, doctor, capsys):
    rows = good_rows(people) + [
        {"id_number": id_number("19800505", 902), "name": "某", "org_unit_code": "999999999999", "diagnosis": "F20",
         "diagnosed_by": "x", "diagnosed_on": "2020-01-01", "source": "hospital"},
        {"id_number": people.in_a1v2.id_number, "diagnosis": "抑郁症", "diagnosed_by": "x", "diagnosed_on": "2020-01-01", "source": "hospital"},
        {"id_number": people.in_a2v1.id_number, "diagnosis": "F20", "diagnosed_by": "x", "diagnosed_on": "2020-01-01", "source": "hospital"},
    ]
    with pytest.raises(CommandError, match="3 bad rows"):
        call_command("import_smd", workbook(tmp_path, rows), "--as", "jingfang")
    err = capsys.readouterr().err
    assert "line 4: org_unit_code" in err and "line 5: diagnosis" in err
    # A number held outside the doctor's area reads like one not in the archive at all (issue 15: no existence oracle).
    assert "line 6: org_unit_code" in err and "outside your area" not in err
    assert not Patient.objects.exists() and not FollowUp.objects.exists()
    call_command("import_smd", workbook(tmp_path, rows), "--as", "jingfang", "--skip-invalid")
    assert Patient.objects.count() == 2


def test_missing_columns_and_files(tmp_path, doctor):
    wb = Workbook()
    wb.active.append(["name"])
    path = tmp_path / "x.xlsx"
    wb.save(path)
    with pytest.raises(CommandError):
        call_command("import_smd", str(path), "--as", "jingfang")
    with pytest.raises(CommandError, match="not found"):
        call_command("import_smd", str(tmp_path / "nope.xlsx"), "--as", "jingfang")
    (tmp_path / "junk.xlsx").write_text("not a workbook")
    with pytest.raises(CommandError):
        call_command("import_smd", str(tmp_path / "junk.xlsx"), "--as", "jingfang")


def test_a_number_held_elsewhere_is_refused_neutrally_and_its_request_outlives_the_rolled_back_batch(tmp_path, tree, people, doctor):
    """Issue 15: an import row whose ID number the archive holds outside the doctor's area (A2v1; the doctor works in
    A1) gets the archive's neutral refusal, and the duplicate request it raised reaches the county's officers although
    the batch — and the row's savepoint — rolled it back."""
    held = people.in_a2v1
    rows = good_rows(people) + [
        {"id_number": held.id_number, "name": "重复导入", "org_unit_code": tree.a1v2.code, "diagnosis": "F20",
         "diagnosed_by": "市精神卫生中心", "diagnosed_on": "2020-01-01", "source": "hospital"}]
    path = workbook(tmp_path, rows)
    report = import_workbook(doctor, path)
    assert report.created == 0 and not Patient.objects.exists()
    [(line, message)] = report.errors
    assert line == 4 and "无法在此登记" in message and "cannot be registered here" in message
    for leak in (held.name, tree.a2v1.name, tree.a2.name, str(held.pk)):
        assert leak not in message
    request = DuplicateRequest.objects.get()
    assert (request.requester, request.unit, request.org_path, request.status) == (doctor, tree.a1v2, tree.county_a.path, "open")
    assert AuditEntry.objects.filter(object_type="archives.duplicaterequest", object_id=str(request.pk)).exists()
    # With --skip-invalid the good rows are written; the same open request is kept, not doubled.
    report = import_workbook(doctor, path, skip_invalid=True)
    assert report.created == 2 and Patient.objects.count() == 2 and len(report.errors) == 1
    assert DuplicateRequest.objects.get() == request
