import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .audit import seal, verify_chain

log = logging.getLogger("xinli.audit")


@db_periodic_task(crontab(minute="*"))
def seal_audit_entries():
    """Link the entries appended since the last run into the SM3 chain (a missed run only delays sealing)."""
    return seal()


@db_periodic_task(crontab(hour="2", minute="17"))
def nightly_audit_verification():
    """Verify the audit hash chain every night — the entries since the last checkpoint, and on Sundays the whole
    chain from the first entry; a broken chain is logged as an error for the security admin."""
    report = verify_chain(since_checkpoint=timezone.localdate().weekday() != 6)
    if not report.ok:
        log.error("audit chain broken at entry %s: %s", report.broken_seq, report.reason)
    return report.ok
