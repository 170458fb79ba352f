"""Background work: the work-order sweeper (every five minutes: deadlines are in hours)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(minute="*/5"))
def sweep_work_orders():
    """Escalate the orders past a deadline; a missed run only delays it (the next one takes everything overdue)."""
    return services.escalate_overdue()
