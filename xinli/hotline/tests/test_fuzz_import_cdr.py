"""Fuzz: the call-detail-record import (service, HTML upload and API) on garbled bytes, NUL bytes, huge and
formula-like cells: always a report (success or errors with line numbers) or a clear 400, never a 500; uploads
are never written to disk under the client's file name, and oversized files are refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinli.core.policy import Role
from xinli.hotline import services
from xinli.testing.fixtures import make_user

FUZZ = settings(max_examples=40, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))
HEADER = "call_id,offered_at,answered_at,ended_at\n"
cells = st.one_of(st.text(max_size=25), st.sampled_from([
    "=HYPERLINK(\"http://evil\")", "+1", "@A1", "\x00", "2026-01-01T08:00:00", "2026-13-45T99:00", "x" * 200_000, '"',
    "\r\n", "0" * 30]))
csv_text = st.lists(st.lists(cells, max_size=5).map(",".join), max_size=6).map("\n".join)


@pytest.fixture
def line(tree):
    supervisor = make_user("supervisor", [(tree.county_a, Role.HOTLINE_SUPERVISOR)])
    return supervisor, services.create_line(supervisor, org_unit=tree.county_a, name="12356 市南")


@pytest.mark.django_db
@FUZZ
@given(text=csv_text)
def test_service_reports_or_succeeds(line, text):
    supervisor, hotline = line
    report = services.import_cdr(supervisor, hotline, HEADER + text)
    assert report.ok or all(str(m) for _n, m in report.errors)


@pytest.mark.django_db
@FUZZ
@given(data=st.binary(max_size=300), name=st.sampled_from(
    ["cdr.csv", "../../etc/passwd", "/etc/passwd", "..\\..\\boot.ini", "a\x00.csv", "evil.exe", "page.html"]))
def test_api_upload_of_any_bytes_and_name_is_a_clear_answer(client, line, data, name, tmp_path, settings_):
    from xinli.accounts.services import issue_token

    supervisor, hotline = line
    key, _t = issue_token(supervisor)
    upload = SimpleUploadedFile(name.replace("\x00", ""), data, content_type="text/csv")
    response = client.post(f"/api/v1/hotline/lines/{hotline.pk}/cdr-import/", {"file": upload},
                           HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code in (201, 400), response.content[:300]
    assert list(tmp_path.iterdir()) == []  # MEDIA_ROOT stays empty: nothing is stored


@pytest.fixture
def settings_(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return settings


@pytest.mark.django_db
def test_html_renamed_csv_and_exe_renamed_csv_are_clear_errors(client, line):
    from xinli.testing.fixtures import login_verified

    supervisor, hotline = line
    login_verified(client, supervisor)
    for name, data in (("calls.csv", b"<html><script>alert(1)</script></html>"), ("calls.csv", b"MZ\x90\x00\x03" * 50)):
        response = client.post(f"/hotline/lines/{hotline.pk}/", {"file": SimpleUploadedFile(name, data)})
        assert response.status_code == 400
        assert "call_id" in response.content.decode()  # the message names the missing columns
        assert "<script>alert(1)</script>" not in response.content.decode()


@pytest.mark.django_db
def test_oversized_upload_is_refused_before_parsing(client, line, settings):
    from xinli.accounts.services import issue_token

    settings.XINLI_MAX_UPLOAD_BYTES = 1024
    supervisor, hotline = line
    key, _t = issue_token(supervisor)
    big = SimpleUploadedFile("cdr.csv", (HEADER + "a,2026-01-01T08:00:00,,2026-01-01T08:01:00\n" * 100).encode())
    response = client.post(f"/api/v1/hotline/lines/{hotline.pk}/cdr-import/", {"file": big},
                           HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 400
    assert "MB" in response.json()["file"][0]
    assert not hotline.cdrs.exists()


@pytest.mark.django_db
def test_an_oversized_csv_sent_as_the_body_is_refused_like_an_uploaded_file(client, line, settings):
    """``Content-Type: text/csv`` bodies bypass both the upload check and DATA_UPLOAD_MAX_MEMORY_SIZE (DRF streams
    them to the parser): the parser itself must stop at XINLI_MAX_UPLOAD_BYTES."""
    from xinli.accounts.services import issue_token

    settings.XINLI_MAX_UPLOAD_BYTES = 1024
    supervisor, hotline = line
    key, _t = issue_token(supervisor)
    rows = "".join(f"c{i},2026-01-01T08:{i % 60:02d}:00,,2026-01-01T08:{i % 60:02d}:30\n" for i in range(100))
    response = client.post(f"/api/v1/hotline/lines/{hotline.pk}/cdr-import/", (HEADER + rows).encode(),
                           content_type="text/csv", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 400, response.content[:300]
    assert "MB" in response.json()["file"][0]
    assert not hotline.cdrs.exists()
