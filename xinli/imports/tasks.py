from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from xinli.core.i18n import both_languages

from . import services


@db_task()
def run_import(job_id):
    """Run an import in the background (resumes from its checkpoint when run again). The report keeps both languages
    even when the task runs inline in the page request (immediate mode)."""
    with both_languages():
        services.run(job_id)


@db_periodic_task(crontab(minute="*/5"))
def resume_stuck_imports():
    """Imports whose worker died (no progress for 10 minutes) are resumed from their checkpoint."""
    for job_id in services.stuck_jobs():
        run_import(job_id)
