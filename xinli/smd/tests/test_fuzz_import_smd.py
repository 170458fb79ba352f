"""Fuzz: the SMD register import (.xlsx) on random bytes, renamed files, formula-like, huge and control-character
cells, zip bombs and over-long sheets: always a report with a clear error (or success), never an exception."""

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from xinli.core.policy import Role
from xinli.smd.importer import REQUIRED, import_workbook
from xinli.testing.fixtures import make_user

FUZZ = settings(max_examples=25, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))
# openpyxl refuses to write most control characters, so the cells mix what a workbook can really hold.
cells = st.one_of(st.none(), st.integers(), st.floats(allow_nan=True), st.booleans(), st.dates(),
                  st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=30),
                  st.sampled_from(["=1+1", "=HYPERLINK(\"http://evil\",\"x\")", "@SUM(A1)", "-2+3", "精神分裂症",
                                   "医院报告", "370202198001011110", "x" * 32_000]))


def _xlsx(tmp_path, header, rows, name="smd.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    path = tmp_path / name
    wb.save(path)
    return path


@pytest.fixture
def doctor(tree):
    return make_user("doctor", [(tree.a1, Role.SMD_DOCTOR)])


@pytest.mark.django_db
@FUZZ
@given(data=st.binary(max_size=500))
def test_random_bytes_are_one_clear_error(doctor, tmp_path_factory, data):
    path = tmp_path_factory.mktemp("x") / "smd.xlsx"
    path.write_bytes(data)
    report = import_workbook(doctor, path)
    assert report.created == 0 and report.errors and report.errors[0][1]


@pytest.mark.django_db
@FUZZ
@given(rows=st.lists(st.lists(cells, min_size=len(REQUIRED), max_size=len(REQUIRED) + 2), max_size=4))
def test_any_cells_give_a_report(doctor, tmp_path_factory, rows):
    header = [*REQUIRED, "name", "phone"]
    report = import_workbook(doctor, _xlsx(tmp_path_factory.mktemp("x"), header, rows))
    assert report.created >= 0
    assert all(isinstance(line, int) and message for line, message in report.errors)


@pytest.mark.django_db
def test_html_renamed_xlsx_is_a_clear_error(doctor, tmp_path):
    path = tmp_path / "smd.xlsx"
    path.write_bytes(b"<html><body>not a workbook</body></html>")
    report = import_workbook(doctor, path)
    assert report.errors and ".xlsx" in report.errors[0][1]


@pytest.mark.django_db
def test_zip_bomb_is_refused_before_openpyxl_unpacks_it(doctor, tmp_path, settings):
    settings.XINLI_MAX_XLSX_UNPACKED_BYTES = 1024 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (8 * 1024 * 1024))  # 8 MB of zeros: a few KB zipped
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size < 100_000
    report = import_workbook(doctor, path)
    assert report.errors and "MB" in report.errors[0][1]


@pytest.mark.django_db
def test_over_long_sheet_stops_at_the_row_limit(doctor, tmp_path, settings):
    settings.XINLI_MAX_IMPORT_ROWS = 5
    path = _xlsx(tmp_path, REQUIRED, [["x"] * len(REQUIRED)] * 20)
    report = import_workbook(doctor, path)
    assert report.created == 0
    assert any("5" in message and line == 7 for line, message in report.errors), report.errors
