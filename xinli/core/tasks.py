import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .audit import verify_chain

log = logging.getLogger("xinli.audit")


@db_periodic_task(crontab(hour="2", minute="17"))
def nightly_audit_verification():
    """Verify the audit hash chain every night; a broken chain is logged as an error for the security admin."""
    report = verify_chain()
    if not report.ok:
        log.error("audit chain broken at entry %s: %s", report.broken_seq, report.reason)
    return report.ok
