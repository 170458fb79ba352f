"""Periodic tasks run at the platform's local wall-clock time: the nightly rebuild at 03:05 Beijing time, not 03:05 UTC
(11:05 in Beijing, in the middle of the working day)."""

import datetime

from django.utils import timezone
from huey.contrib.djhuey import HUEY


def test_huey_schedules_in_local_time():
    assert HUEY.utc is False
    local_now = timezone.localtime().replace(tzinfo=None)
    assert abs(HUEY._get_timestamp() - local_now) < datetime.timedelta(seconds=5)


def test_nightly_rebuild_fires_at_0305_local():
    from xinli.indicators.tasks import nightly_rebuild

    assert nightly_rebuild.task_class().validate_datetime(datetime.datetime(2026, 3, 2, 3, 5))
    assert not nightly_rebuild.task_class().validate_datetime(datetime.datetime(2026, 3, 2, 11, 5))
