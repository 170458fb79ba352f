from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import services


@db_task()
def build_report(report_id):
    services.run(report_id)


@db_periodic_task(crontab(minute="*/5"))
def requeue_stuck_reports():
    """Reports still queued minutes after the request were never queued (the queue was down): queue them again."""
    return services.requeue_stuck()
