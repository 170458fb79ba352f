from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(minute="*/15"))
def appointment_reminders():
    return services.send_reminders()


@db_periodic_task(crontab(hour="8", minute="0"))
def plan_review_reminders():
    return services.plan_review_reminders()
