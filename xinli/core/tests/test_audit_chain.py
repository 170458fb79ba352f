import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from xinli.core import audit
from xinli.core.audit import verify_chain
from xinli.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _write(n=5):
    for i in range(n):
        audit.record(None, audit.Action.SYSTEM, object_type="test", object_id=str(i), detail={"i": i})


def _tamper(sql, params):
    """Change the table behind the application's back, with the database guard switched off for this test."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE core_auditentry DISABLE TRIGGER xinli_audit_guard")
        else:
            cur.execute("DROP TRIGGER IF EXISTS xinli_audit_no_update")
        cur.execute(sql, params)


def test_intact_chain_verifies():
    _write()
    report = verify_chain()
    assert report.ok and report.checked == 5
    call_command("verify_audit")


def test_edited_entry_is_detected_at_its_link():
    _write()
    _tamper("UPDATE core_auditentry SET object_id = %s WHERE seq = %s", ["forged", 3])
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == 3
    with pytest.raises(CommandError, match="entry 3"):
        call_command("verify_audit")


def test_removed_entry_is_detected():
    _write()
    _tamper("DELETE FROM core_auditentry WHERE seq = %s", [2])
    report = verify_chain()
    assert (report.ok, report.broken_seq) == (False, 2)


def test_removed_tail_is_detected():
    _write()
    _tamper("DELETE FROM core_auditentry WHERE seq = %s", [5])
    report = verify_chain()
    assert not report.ok and report.broken_seq == 5


def test_application_refuses_to_change_or_delete_entries():
    _write(1)
    entry = AuditEntry.objects.get()
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.update(purpose="x")


def test_database_refuses_update_of_an_entry():
    _write(1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE core_auditentry SET purpose = 'x'")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the delete guard is a PostgreSQL trigger")
def test_postgresql_refuses_deleting_recent_entries():
    _write(1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditentry")
