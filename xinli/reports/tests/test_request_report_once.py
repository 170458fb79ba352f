"""Issue 15 item 8: two identical POST /reports/ (a double click, a retried request) build one document."""

import datetime

import pytest
from django.test import Client

from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.reports import services
from xinli.reports.models import Report
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year


def test_two_identical_posts_build_once(tree, django_capture_on_commit_callbacks):
    officer = make_user("officer", [(tree.city, Role.HEALTH_OFFICER)])
    client = Client()
    login_verified(client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/reports/", {"org": tree.city.code, "year": str(YEAR)})
        second = client.post("/reports/", {"org": tree.city.code, "year": str(YEAR)})
    assert first.status_code == second.status_code == 302
    assert Report.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="reports.report").count() == 1  # nothing new was requested


def test_a_different_request_or_a_later_one_builds_again(tree, monkeypatch):
    officer = make_user("officer", [(tree.city, Role.HEALTH_OFFICER)])
    monkeypatch.setattr(services, "enqueue_build", lambda pk: None)
    first = services.request_report(officer, tree.city, YEAR)
    assert services.request_report(officer, tree.city, YEAR).pk == first.pk
    assert services.request_report(officer, tree.city, YEAR - 1).pk != first.pk  # other parameters
    assert services.request_report(officer, tree.county_a, YEAR).pk != first.pk
    assert services.request_report(officer, tree.city, YEAR, kind="pilot_report").pk != first.pk
    other = make_user("officer2", [(tree.city, Role.HEALTH_OFFICER)])
    assert services.request_report(other, tree.city, YEAR).pk != first.pk  # another user
    Report.objects.filter(pk=first.pk).update(requested_at=first.requested_at - services.SAME_REQUEST_WINDOW)
    assert services.request_report(officer, tree.city, YEAR).pk != first.pk  # after the window: a new build
    failed = services.request_report(officer, tree.county_b, YEAR)
    Report.objects.filter(pk=failed.pk).update(state=Report.State.FAILED)
    assert services.request_report(officer, failed.org_unit, YEAR).pk != failed.pk  # a failed build may be retried
