"""Fuzz: ``manage.py import_orgunits`` on garbled bytes, wrong encodings, NUL bytes, huge and formula-like cells
always ends in success or one clear CommandError, never an unhandled exception."""

import tempfile

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinli.regions.services import import_units

FUZZ = settings(max_examples=40, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))
HEADER = "code,name,kind,parent_code,population\n"
cells = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["=cmd|'/c calc'!A1", "+1+1", "-2+3", "@SUM(A1)", "\x00", "\ufeff", '"', "\r", "370202001001",
                     "村" * 5000, "9" * 40]),
)
rows = st.lists(st.lists(cells, min_size=0, max_size=7).map(lambda r: ",".join(r)), max_size=8).map("\n".join)


def _run_command(data: bytes):
    with tempfile.NamedTemporaryFile(suffix=".csv") as f:
        f.write(data)
        f.flush()
        try:
            call_command("import_orgunits", f.name, stdout=open("/dev/null", "w"), stderr=open("/dev/null", "w"))
        except CommandError as exc:
            assert str(exc).strip()


@pytest.mark.django_db
@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes(data):
    _run_command(data)


@pytest.mark.django_db
@FUZZ
@given(body=rows, encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"]))
def test_csv_shaped_text_in_any_encoding(body, encoding):
    _run_command((HEADER + body).encode(encoding, errors="replace"))


@pytest.mark.django_db
@FUZZ
@given(body=rows)
def test_service_reports_rows_or_succeeds(body):
    report = import_units(HEADER + body)
    assert report.ok or all(str(message) for _line, message in report.errors)


@pytest.mark.django_db
def test_gbk_file_is_a_clear_error(tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes((HEADER + "370000000000,山东省,province,,\n").encode("gbk"))
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("import_orgunits", str(path))
