from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import rebuild


@db_periodic_task(crontab(hour="3", minute="5"))
def nightly_rebuild():
    """Refresh this year's indicator values and this month's (the year to date, for the trend charts) every night;
    the dashboards read only these rows. On the first of a month the closing values of the month before (and on
    1 January of the year before) are completed first."""
    today = timezone.localdate()
    if today.day == 1:
        prev = today - timezone.timedelta(days=1)
        rebuild(prev.year, month=prev.month)
        if today.month == 1:
            rebuild(prev.year)
    return rebuild(today.year) + rebuild(today.year, month=today.month)


@db_periodic_task(crontab(minute="*/15"))
def refresh_indicators():
    """Between nightly rebuilds, every 15 minutes: recompute the indicators whose sources were written since."""
    from .services import refresh

    return refresh()


@db_periodic_task(crontab(hour="6", minute="10"))
def daily_early_warning():
    """Run the aberration detection on yesterday's complete day."""
    from datetime import timedelta

    from .warning import detect

    return len(detect(timezone.localdate() - timedelta(days=1)))


@db_periodic_task(crontab(day_of_week="1", hour="6", minute="20"))
def weekly_early_warning():
    """Every Monday, run the aberration detection on the weekly series of the ISO week that ended yesterday."""
    from datetime import timedelta

    from .warning import detect

    return len(detect(timezone.localdate() - timedelta(days=7), weekly=True))
