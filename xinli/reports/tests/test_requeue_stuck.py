"""The re-queue sweep takes back a report left ``running`` by a killed worker, but never one whose build has just
started: a report that waited long in the queue (the queue was down) is claimed late, and the sweep must judge it by
the time its build started, not by the time it was requested, or the same report is built twice at once."""

import datetime

import pytest
from django.utils import timezone

from xinli.core.policy import Role
from xinli.reports import annual, services
from xinli.reports.models import Report
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db


def test_a_build_claimed_late_is_not_taken_back_by_the_sweep_while_it_runs(tree, monkeypatch):
    officer = make_user("officer", [(tree.city, Role.HEALTH_OFFICER)])
    report = Report.objects.create(org_unit=tree.city, org_path=tree.city.path, year=timezone.localdate().year,
                                   requested_by=officer)
    Report.objects.filter(pk=report.pk).update(requested_at=timezone.now() - datetime.timedelta(minutes=45))
    real_build, builds = annual.build, []

    def build(*args, **kwargs):
        builds.append(1)
        if len(builds) == 1:
            services.requeue_stuck()  # the periodic sweep runs while this build is in progress (Huey immediate)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(annual, "build", build)
    services.run(report.pk)
    assert len(builds) == 1
    report.refresh_from_db()
    assert report.state == "done"


def test_a_build_started_long_ago_and_still_running_is_taken_back(tree):
    officer = make_user("officer", [(tree.city, Role.HEALTH_OFFICER)])
    report = Report.objects.create(org_unit=tree.city, org_path=tree.city.path, year=timezone.localdate().year,
                                   requested_by=officer)
    assert services.run(report.pk).state == "done"
    long_ago = timezone.now() - datetime.timedelta(minutes=31)
    # A second report whose worker was killed 31 minutes into... its claim.
    stuck = Report.objects.create(org_unit=tree.city, org_path=tree.city.path, year=timezone.localdate().year,
                                  requested_by=officer, state="running", requested_at=long_ago, started_at=long_ago)
    assert services.requeue_stuck() == 1
    stuck.refresh_from_db()
    assert stuck.state == "done"
