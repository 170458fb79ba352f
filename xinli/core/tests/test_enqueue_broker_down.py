"""The queue (Redis) down when a request enqueues work after its commit: the request still succeeds, the work
stays in the database (pending deliveries, queued reports) and the periodic sweeps queue it once the broker is back.

Both tests commit for real (``transaction=True``) so that the ``on_commit`` enqueue runs inside the request, as in
production: an exception escaping it would turn the response into a 500."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIClient

from xinli.alerts.models import Alert, Delivery, Notification
from xinli.core.policy import Role
from xinli.reports.models import Report
from xinli.screening import campaigns
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def broker_down(task):
    raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_a_submission_that_raises_an_alert_succeeds_and_its_deliveries_are_sent_later(tree, monkeypatch):
    make_user("team_a1", [(tree.a1, Role.CRISIS_TEAM)], email="a1@example.org", mobile="13900000001")
    psy = make_user("school_psy", [(tree.a1, Role.SCHOOL_PSYCHOLOGIST)])
    now = timezone.now()
    c = campaigns.create_campaign(psy, name="普查", kind="workplace", institution="某公司", org_unit=tree.a1, scales=["phq9"],
                                  opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(days=1),
                                  groups=[{"name": "A", "count": 1}])
    code = c.participants.get().code
    monkeypatch.setattr(HUEY, "enqueue", broker_down)
    r = APIClient().post("/api/v1/campaign-submissions/",
                         {"code": code, "responses": {"phq9": {str(i): 2 for i in range(1, 10)}}}, format="json")
    assert r.status_code == 201
    assert Alert.objects.exists()
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING)
    assert pending.count() == Delivery.objects.count() >= 2  # e-mail and SMS to the team, nothing sent
    monkeypatch.undo()  # the broker is back
    from xinli.alerts.tasks import requeue_stuck_deliveries

    assert requeue_stuck_deliveries.call_local() == 0  # too recent: the first enqueue may still be on its way
    Notification.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=3))
    assert requeue_stuck_deliveries.call_local() == Delivery.objects.count()
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == Delivery.objects.count()


def test_a_report_request_succeeds_and_the_report_is_built_once_later(tree, monkeypatch):
    officer = make_user("officer", [(tree.city, Role.HEALTH_OFFICER)])
    client = Client()
    login_verified(client, officer)
    monkeypatch.setattr(HUEY, "enqueue", broker_down)
    r = client.post("/reports/", {"org": tree.city.code, "year": str(timezone.localdate().year)})
    assert r.status_code == 302
    report = Report.objects.get()
    assert report.state == "queued"
    monkeypatch.undo()
    from xinli.reports.tasks import requeue_stuck_reports

    assert requeue_stuck_reports.call_local() == 0
    Report.objects.update(requested_at=timezone.now() - datetime.timedelta(minutes=3))
    assert requeue_stuck_reports.call_local() == 1
    report.refresh_from_db()
    assert report.state == "done" and bytes(report.content)[:2] == b"PK"  # a .docx (zip)
    # Queued twice (e.g. the first task was only delayed): built once, the second run finds it done.
    from xinli.reports import services

    assert services.run(report.pk).state == "done"
    assert requeue_stuck_reports.call_local() == 0
