from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(hour="7", minute="30"))
def smd_follow_up_reminders():
    """Every morning: remind responsible doctors of follow-ups due soon and of overdue ones."""
    return services.send_reminders()
