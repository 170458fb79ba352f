"""A full disk while a report is built or stored: the job is marked failed with a bilingual message naming the
cause and the fix, no partial document is kept, and the download answers 404."""

import datetime
import errno

import pytest
from django.db import OperationalError
from django.test import Client

from xinli.core.policy import Role
from xinli.reports import annual, services
from xinli.reports.models import Report
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year


@pytest.fixture
def officer(tree):
    return make_user("officer", [(tree.city, Role.HEALTH_OFFICER)])


def queued(tree, officer):
    return Report.objects.create(org_unit=tree.city, org_path=tree.city.path, year=YEAR, requested_by=officer)


def test_enospc_while_writing_marks_the_job_failed_with_a_clear_message(tree, officer, monkeypatch):
    def half_written(unit, year, progress=None):
        progress(40)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(annual, "build", half_written)
    report = queued(tree, officer)
    with pytest.raises(OSError):
        services.run(report.pk)
    report.refresh_from_db()
    assert report.state == "failed" and report.content is None
    # The bilingual message (Chinese / English once the catalogue has it) names the cause and the fix.
    assert report.error == services.failure_message(OSError(errno.ENOSPC, ""))
    assert "disk is full" in report.error and "request the report again" in report.error
    client = Client()
    login_verified(client, officer)
    assert client.get(f"/reports/{report.pk}/download/").status_code == 404
    page = client.get("/reports/").content.decode()
    assert "磁盘已满" in page and "disk is full" not in page  # the reader's half of the stored message


def test_database_disk_full_while_storing_the_document_keeps_no_partial_content(tree, officer, monkeypatch):
    """PostgreSQL refusing the UPDATE that stores the document (SQLSTATE 53100): state and content are written by
    that one statement, so nothing of the document is kept."""
    real_update = services.Report.objects.filter(pk=0).update.__func__

    class DiskFull(Exception):
        pgcode = "53100"

    def update(qs, **kwargs):
        if kwargs.get("content"):
            raise OperationalError("could not extend file: No space left on device") from DiskFull()
        return real_update(qs, **kwargs)

    monkeypatch.setattr(type(services.Report.objects.all()), "update", update)
    report = queued(tree, officer)
    with pytest.raises(OperationalError):
        services.run(report.pk)
    report.refresh_from_db()
    assert (report.state, report.content) == ("failed", None)
    assert "disk is full" in report.error


def test_other_failures_are_bilingual_and_a_report_is_built_once(tree, officer, monkeypatch):
    monkeypatch.setattr(annual, "build", lambda unit, year, progress=None: 1 / 0)
    report = queued(tree, officer)
    with pytest.raises(ZeroDivisionError):
        services.run(report.pk)
    report.refresh_from_db()
    assert report.state == "failed" and "ZeroDivisionError" in report.error and "disk" not in report.error
    # A failed (or done) report is not built again by a second queued task.
    monkeypatch.setattr(annual, "build", lambda unit, year, progress=None: b"docx")
    assert services.run(report.pk).state == "failed"


def test_a_request_refused_by_a_full_database_is_a_message_not_a_500(tree, officer, monkeypatch):
    def full(*args, **kwargs):
        raise OperationalError("database or disk is full")

    monkeypatch.setattr(Report.objects, "create", full)
    client = Client()
    login_verified(client, officer)
    response = client.post("/reports/", {"org": tree.city.code, "year": str(YEAR), "kind": "annual_summary"}, follow=True)
    assert response.status_code == 200
    assert "请清理数据库服务器的磁盘空间" in response.content.decode()
    assert not Report.objects.exists()
