from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import rebuild


@db_periodic_task(crontab(hour="3", minute="5"))
def nightly_rebuild():
    """Refresh this year's indicator values every night (the dashboards read only these rows)."""
    return rebuild(timezone.localdate().year)
