"""Dry run: every bad row is reported with its line, column and fix (both languages); nothing is written."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from xinli.archives.models import Consent, Person, PopulationTag
from xinli.core.models import AuditEntry
from xinli.imports import services
from xinli.imports.models import ImportJob, ImportRow
from xinli.testing.fixtures import id_number

from .helpers import csv_bytes, good_rows, row

pytestmark = pytest.mark.django_db


def _job(user, tmp_path, rows, *, dry_run=True, strategy="upsert") -> ImportJob:
    f = tmp_path / "in.csv"
    f.write_bytes(csv_bytes(rows))
    path, digest, _ = services.store_file("in.csv", [f.read_bytes()])
    job = services.create_job(user, kind="residents", strategy=strategy, dry_run=dry_run, file_name="in.csv", path=path, digest=digest)
    return services.run(job.pk)


BAD = [
    row(name="", id_number=id_number("19800501"), org_unit_code="370202001001"),                      # 2 name missing
    row(name="李四", id_number="370202198005011234", org_unit_code="370202001001"),                   # 3 bad check digit
    row(name="王五", id_number=id_number("19800502", 124), sex="X", org_unit_code="370202001001"),     # 4 sex unknown
    row(name="赵六", id_number=id_number("19800503", 125), birth_date="1980-13-45", org_unit_code="370202001001"),  # 5 date
    row(name="钱七", id_number=id_number("19800504", 126), org_unit_code="999999999999"),              # 6 unknown unit
    row(name="孙八", id_number=id_number("19800505", 127), org_unit_code="370203100200"),              # 7 outside area
    row(name="周九", id_number=id_number("19800506", 128), org_unit_code="370202001001", tags="外星人"),  # 8 tag
    row(name="吴十", id_number=id_number("19800507", 129), org_unit_code="370202001001", consents="乱用"),  # 9 consent
    row(name="郑一", id_number=id_number("19800508", 131), phone="12", org_unit_code="370202001001"),   # 10 phone
    row(name="冯二", id_number=id_number("19800509", 133), sex="女", org_unit_code="370202001001"),    # 11 sex vs ID (odd=male)
]
EXPECTED = {2: "name", 3: "id_number", 4: "sex", 5: "birth_date", 6: "org_unit_code", 7: "org_unit_code", 8: "tags",
            9: "consents", 10: "phone", 11: "sex"}


def test_dry_run_reports_every_bad_row_and_writes_nothing(tree, personas, tmp_path):
    officer = personas.county_officer
    persons, audits = Person.objects.count(), AuditEntry.objects.count()
    job = _job(officer, tmp_path, BAD + good_rows(2))
    assert job.state == "done" and job.dry_run
    assert (job.created, job.updated, job.unchanged, job.refused, job.rows_done) == (2, 0, 0, 10, 12)
    found = {(p.line, p.column) for p in ImportRow.objects.filter(job=job)}
    assert found == set(EXPECTED.items())
    for p in ImportRow.objects.filter(job=job):
        assert " / " in p.message, p.message  # Chinese / English
    # Nothing written to the archive (only the job's own create/finish audit entries).
    assert Person.objects.count() == persons
    assert PopulationTag.objects.count() == 0 and Consent.objects.filter(person__name__startswith="居民").count() == 0
    assert AuditEntry.objects.count() == audits + 2
    # The report as Excel: header + one line per problem, line and column named.
    wb = openpyxl.load_workbook(__import__("io").BytesIO(services.report_workbook(job)))
    values = list(wb.active.iter_rows(values_only=True))
    assert len(values) == 1 + 10
    assert values[1][0] == 2 and values[1][1] == "姓名 name"
    assert all(v[2] and v[3] for v in values[1:])


def test_bad_header_fails_with_the_missing_column(tree, personas, tmp_path):
    f = tmp_path / "x.csv"
    f.write_bytes("姓名 name,电话 phone\n张三,\n".encode())
    path, digest, _ = services.store_file("x.csv", [f.read_bytes()])
    job = services.create_job(personas.county_officer, kind="residents", strategy="upsert", dry_run=True, file_name="x.csv",
                              path=path, digest=digest)
    job = services.run(job.pk)
    assert job.state == "failed"
    assert list(job.problems.values_list("line", "column")) == [(1, "org_unit_code")]


def test_template_has_bilingual_header_and_an_example_that_imports(tree, personas, tmp_path):
    wb = openpyxl.load_workbook(__import__("io").BytesIO(services.template_workbook("residents")))
    header, example = list(wb.active.iter_rows(values_only=True))
    assert header[1] == "姓名 name" and header[7] == "居住地区划代码 org_unit_code"
    f = tmp_path / "t.xlsx"
    f.write_bytes(services.template_workbook("residents"))
    path, digest, _ = services.store_file("t.xlsx", [f.read_bytes()])
    job = services.create_job(personas.county_officer, kind="residents", strategy="create", dry_run=False,
                              file_name="t.xlsx", path=Path(path), digest=digest)
    job = services.run(job.pk)
    assert (job.created, job.refused) == (1, 0), list(job.problems.values_list("message", flat=True))
    p = Person.objects.get()
    assert sorted(p.tags.values_list("tag", flat=True)) == ["elderly_empty_nest", "elderly_left_behind"]
    assert services.created_person_ids(job) == [p.pk]
