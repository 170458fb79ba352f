"""Two reminder workers racing over the same follow-up tasks: each reminder is claimed with a conditional UPDATE
before the doctor is notified, so each is sent exactly once (SQLite and PostgreSQL)."""

import datetime

import pytest

from xinli.alerts.models import Notification
from xinli.smd import services
from xinli.smd.models import Task
from xinli.testing.race import race

from .test_patient_list import make_patient


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_each_follow_up_reminder_once(doctor, tree):
    for i in range(6):
        make_patient(doctor, tree.a1v1, f"患者{i}", 700 + i)
    day = Task.objects.order_by("due").first().due - datetime.timedelta(days=3)
    counts = race(lambda: services.send_reminders(day), after_reading="smd_task")
    assert sum(counts) == 6
    assert Notification.objects.filter(kind="smd_due", recipient=doctor).count() == 6
    assert list(Task.objects.values_list("reminded", flat=True)) == [["before"]] * 6
    # Later the overdue reminder: again once per task.
    counts = race(lambda: services.send_reminders(day + datetime.timedelta(days=6)), after_reading="smd_task")
    assert sum(counts) == 6 and Notification.objects.filter(kind="smd_overdue").count() == 6
