"""Fuzz: any cells under the header of plans, emergencies or cases: the job ends done, every refused row reported
with its line, never an exception."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinli.imports.kinds import CASE_COLUMNS, EMERGENCY_COLUMNS, PLAN_COLUMNS

from .helpers import run_kind

FUZZ = settings(max_examples=12, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
cells = st.one_of(st.text(max_size=12), st.sampled_from(["370202196001101001", "2024-02-30", "2024-03-01 25:00", "9999-12-31 23:59",
                                                          "已结案", "有效", "counsellor", "李四（民警）", "（）", "是", "x" * 300, "=1+1"]))
KINDS = {"plans": PLAN_COLUMNS, "emergencies": EMERGENCY_COLUMNS, "cases": CASE_COLUMNS}


@pytest.mark.django_db
@FUZZ
@given(rows=st.lists(st.lists(cells, min_size=3, max_size=12), max_size=4), kind=st.sampled_from(sorted(KINDS)))
def test_any_cells_give_a_report(tree, personas, rows, kind):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([c.header for c in KINDS[kind] if not c.forbidden])
    w.writerows(rows)
    user = personas.smd_doctor if kind == "emergencies" else personas.county_officer
    job = run_kind(user, kind, buf.getvalue().encode())
    assert job.state == "done"
    assert job.created + job.updated + job.unchanged + job.refused <= len(rows)
    assert job.refused == 0 or job.problems.filter(line__gte=2).exists()
