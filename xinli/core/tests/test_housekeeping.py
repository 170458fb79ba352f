import logging

import pytest
from django.core.management import call_command
from django.db import connection

from xinli.core import audit
from xinli.core.tasks import nightly_audit_verification

pytestmark = pytest.mark.django_db


def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_nightly_task_verifies_the_chain_and_logs_a_break(caplog, monkeypatch):
    """Weekdays: from the latest checkpoint (the checkpoint entry included); Sundays: the whole chain."""
    import datetime

    from xinli.core import tasks

    monkeypatch.setattr(tasks.timezone, "localdate", lambda: datetime.date(2026, 11, 25))  # a Wednesday
    audit.record(None, audit.Action.SYSTEM, object_type="test", object_id="1")
    audit.record(None, audit.Action.SYSTEM, object_type="test", object_id="2")
    assert nightly_audit_verification.call_local() is True  # checkpoint at entry 2
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE core_auditentry DISABLE TRIGGER xinli_audit_guard")
        else:
            cur.execute("DROP TRIGGER IF EXISTS xinli_audit_no_update")
        cur.execute("UPDATE core_auditentry SET object_id = 'x' WHERE seq = 1")
    assert nightly_audit_verification.call_local() is True  # before the checkpoint: left to Sunday
    monkeypatch.setattr(tasks.timezone, "localdate", lambda: datetime.date(2026, 11, 29))  # Sunday
    with caplog.at_level(logging.ERROR, logger="xinli.audit"):
        assert nightly_audit_verification.call_local() is False
    assert "entry 1" in caplog.text
