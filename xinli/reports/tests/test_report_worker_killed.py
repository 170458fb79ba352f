"""A worker killed (SIGKILL) while building a report leaves it ``running``; Huey does not re-run that task, so the
periodic re-queue sweep takes it back after 30 minutes and builds it once."""

import datetime

import pytest
from django.utils import timezone

from xinli.core.policy import Role
from xinli.reports.models import Report
from xinli.reports.tasks import requeue_stuck_reports
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db


def test_a_report_left_running_by_a_killed_worker_is_built_again_once(tree):
    officer = make_user("officer", [(tree.city, Role.HEALTH_OFFICER)])
    year = timezone.localdate().year
    report = Report.objects.create(org_unit=tree.city, org_path=tree.city.path, year=year, requested_by=officer,
                                   state="running", progress=40)
    assert requeue_stuck_reports.call_local() == 0  # still being built, as far as anyone can tell
    Report.objects.filter(pk=report.pk).update(requested_at=timezone.now() - datetime.timedelta(minutes=31))
    assert requeue_stuck_reports.call_local() == 1  # Huey in immediate mode: built at once
    report.refresh_from_db()
    assert report.state == "done" and bytes(report.content)[:2] == b"PK"
    assert requeue_stuck_reports.call_local() == 0
