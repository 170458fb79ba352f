"""Fuzz: the service-network workbook import on random bytes and arbitrary cells: a report, never an exception."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from xinli.core.policy import Role
from xinli.network.transfer import import_workbook
from xinli.testing.fixtures import make_user

FUZZ = settings(max_examples=20, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))
cells = st.one_of(st.none(), st.integers(), st.floats(), st.booleans(), st.dates(),
                  st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=20),
                  st.sampled_from(["=1+1", "370202001001", "x" * 32_000, "school_room", "是"]))


@pytest.fixture
def officer(tree):
    return make_user("net_officer", [(tree.city, Role.HEALTH_OFFICER)])


@pytest.mark.django_db
@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes_are_one_clear_error(officer, tmp_path_factory, data):
    path = tmp_path_factory.mktemp("n") / "network.xlsx"
    path.write_bytes(data)
    report = import_workbook(officer, path)
    assert report.errors and report.errors[0][2]


@pytest.mark.django_db
@FUZZ
@given(sheet=st.sampled_from(["institutions", "sites", "staff"]),
       rows=st.lists(st.lists(cells, min_size=2, max_size=6), max_size=4))
def test_any_cells_give_a_report(officer, tmp_path_factory, sheet, rows):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(["org_unit_code", "name", "kind", "opened_on", "institution", "credit_code"])
    for row in rows:
        ws.append(row)
    path = tmp_path_factory.mktemp("n") / "network.xlsx"
    wb.save(path)
    report = import_workbook(officer, path)
    assert all(message for _sheet, _line, message in report.errors)
