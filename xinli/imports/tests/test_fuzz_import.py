"""Fuzz: random bytes as CSV or .xlsx, and any cells under the residents header: the job ends done or failed with a
clear message, never an exception; a refused row is always reported with its line."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinli.imports import services
from xinli.imports.kinds import RESIDENT_COLUMNS, SMD_COLUMNS

FUZZ = settings(max_examples=15, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
cells = st.one_of(st.text(max_size=20), st.sampled_from(["370202001001", "370202198001011110", "男", "空巢老人、孤儿", "²", "1980-02-30",
                                                          "=1+1", "x" * 300]))


def _job(user, data: bytes, name: str, kind="residents", dry_run=False):
    path, digest, _ = services.store_file(name, [data])
    job = services.create_job(user, kind=kind, strategy="upsert", dry_run=dry_run, file_name=name, path=path, digest=digest)
    return services.run(job.pk)


@pytest.mark.django_db
@FUZZ
@given(data=st.binary(max_size=400), xlsx=st.booleans())
def test_random_bytes_end_in_a_clear_state(tree, personas, data, xlsx):
    job = _job(personas.county_officer, (b"PK" + data) if xlsx else data, "f.xlsx" if xlsx else "f.csv")
    assert job.state in ("done", "failed")
    if job.state == "failed":
        assert job.error and job.problems.exists()


@pytest.mark.django_db
@FUZZ
@given(rows=st.lists(st.lists(cells, min_size=3, max_size=16), max_size=5), smd=st.booleans())
def test_any_cells_give_a_report(tree, personas, rows, smd):
    columns = SMD_COLUMNS if smd else RESIDENT_COLUMNS
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([c.header for c in columns])
    w.writerows(rows)
    user = personas.smd_doctor if smd else personas.county_officer
    job = _job(user, buf.getvalue().encode(), "f.csv", kind="smd_patients" if smd else "residents")
    assert job.state == "done"
    assert job.created + job.updated + job.unchanged + job.refused <= len(rows)
    assert job.refused == 0 or job.problems.filter(line__gte=2).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("smd", [False, True])
def test_nul_characters_in_cells_are_read_as_the_text_around_them(tree, personas, smd):
    """PostgreSQL refuses NUL in any text it is sent (a query or a row); a cell carrying one (a spreadsheet never shows
    it) is read without it and checked like any other — never a database error."""
    columns = SMD_COLUMNS if smd else RESIDENT_COLUMNS
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([c.header for c in columns])
    w.writerow(["\x00" + (c.example or "") + "\x00" if i < 4 else "\x00" for i, c in enumerate(columns)])
    user = personas.smd_doctor if smd else personas.county_officer
    job = _job(user, buf.getvalue().encode(), "f.csv", kind="smd_patients" if smd else "residents")
    assert job.state == "done" and job.created + job.updated + job.unchanged + job.refused == 1
