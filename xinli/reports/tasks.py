from huey.contrib.djhuey import db_task

from . import services


@db_task()
def build_report(report_id):
    services.run(report_id)
