"""Background work of the archive: escalating transfers of residents who moved that nobody accepted in time."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import transfers


@db_periodic_task(crontab(hour="*", minute="17"))
def escalate_transfers():
    """Hourly (the acceptance deadline is a day): escalate pending transfers past their acceptance day."""
    return transfers.escalate_overdue()
