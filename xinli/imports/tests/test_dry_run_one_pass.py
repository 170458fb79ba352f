"""Dry-run completeness: a row with a parse problem (a column the import cannot read) and an archive-rule problem (the
service's validation) reports both in one pass, each on its column."""

from __future__ import annotations

import pytest

from xinli.archives.models import Person
from xinli.testing.fixtures import id_number

from .helpers import csv_bytes, problems, row, run_kind

pytestmark = pytest.mark.django_db


def test_parse_and_rule_problems_of_one_row_in_one_pass(tree, personas):
    rows = [
        # birth date unreadable (parse) + phone too short (archive rule)
        row(name="甲", id_number=id_number("19800501", 123), birth_date="1980-13-45", phone="12", org_unit_code="370202001001"),
        # tag unknown (parse) + name missing and check digit wrong (archive rules)
        row(name="", id_number="370202198005011234", tags="外星人", org_unit_code="370202001001"),
        # sex unknown (parse) + sex not checked again; ID number fine: only the parse problem
        row(name="乙", id_number=id_number("19800502", 124), sex="X", org_unit_code="370202001001"),
    ]
    job = run_kind(personas.county_officer, "residents", csv_bytes(rows), dry_run=True)
    assert job.refused == 3
    assert problems(job) == [(2, "birth_date"), (2, "phone"), (3, "id_number"), (3, "name"), (3, "tags"), (4, "sex")]
    assert Person.objects.count() == 0
