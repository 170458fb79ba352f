from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import rebuild


@db_periodic_task(crontab(hour="3", minute="5"))
def nightly_rebuild():
    """Refresh this year's indicator values every night (the dashboards read only these rows)."""
    return rebuild(timezone.localdate().year)


@db_periodic_task(crontab(hour="6", minute="10"))
def daily_early_warning():
    """Run the aberration detection on yesterday's complete day."""
    from datetime import timedelta

    from .warning import detect

    return len(detect(timezone.localdate() - timedelta(days=1)))
