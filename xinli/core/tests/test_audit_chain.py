import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from xinli.core import audit
from xinli.core.audit import verify_chain
from xinli.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _write(n=5, *, sealed=True):
    for i in range(n):
        audit.record(None, audit.Action.SYSTEM, object_type="test", object_id=str(i), detail={"i": i})
    if sealed:
        assert audit.seal() == n


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


def test_record_is_one_insert_and_sealing_links_entries_in_order():
    _write(3, sealed=False)
    assert list(AuditEntry.objects.order_by("id").values_list("seq", "hash")) == [(None, None)] * 3
    assert audit.seal() == 3
    assert audit.seal() == 0  # nothing pending: sealing twice changes nothing
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3]
    assert [e.object_id for e in entries] == ["0", "1", "2"]
    assert entries[0].prev_hash == "0" * 64
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
    _write(2, sealed=False)
    report = verify_chain()  # verification seals what is pending first
    assert (report.ok, report.checked, report.sealed_now) == (True, 5, 2)


def test_person_reads_are_one_entry_per_person(people):
    audit.record_person_reads(None, people.all(), purpose="test")
    rows = AuditEntry.objects.filter(action="read", purpose="test")
    assert sorted(rows.values_list("person_id", flat=True)) == sorted(p.pk for p in people.all())
    assert verify_chain().ok


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


@pytest.mark.parametrize("sealed", [True, False])
def test_database_refuses_update_of_an_entry(sealed):
    _write(1, sealed=sealed)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE core_auditentry SET purpose = 'x'")


def test_database_refuses_resealing_a_sealed_entry():
    _write(1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE core_auditentry SET seq = 7, prev_hash = '', hash = 'forged'")


def test_database_refuses_content_change_while_sealing():
    _write(1, sealed=False)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE core_auditentry SET seq = 1, prev_hash = '', hash = 'h', object_id = 'forged'")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the delete guard is a PostgreSQL trigger")
def test_postgresql_refuses_deleting_recent_entries():
    _write(1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditentry")


def test_nightly_verification_goes_on_from_the_checkpoint_and_the_weekly_one_from_the_start():
    from xinli.core.models import AuditCheckpoint

    _write(5)
    first = verify_chain()
    assert first.ok and first.checked == 5 and first.checkpoint[0] == 5
    assert AuditCheckpoint.objects.get().full
    _write(3)
    nightly = verify_chain(since_checkpoint=True)
    assert (nightly.ok, nightly.checked, nightly.from_seq, nightly.checkpoint[0]) == (True, 3, 6, 8)
    assert not AuditCheckpoint.objects.first().full
    assert verify_chain(since_checkpoint=True).checked == 0  # nothing new: still intact, nothing re-read
    # An edit before the checkpoint is not re-read at night, but the weekly full run finds it.
    _tamper("UPDATE core_auditentry SET object_id = %s WHERE seq = %s", ["forged", 2])
    assert verify_chain(since_checkpoint=True).ok
    full = verify_chain()
    assert (full.ok, full.broken_seq) == (False, 2)


def test_an_edit_after_or_at_the_checkpoint_is_found_at_night():
    _write(4)
    assert verify_chain().ok  # checkpoint at entry 4
    _write(2)
    _tamper("UPDATE core_auditentry SET object_id = %s WHERE seq = %s", ["forged", 6])
    assert (verify_chain(since_checkpoint=True).broken_seq) == 6
    _tamper("UPDATE core_auditentry SET object_id = %s WHERE seq = %s", ["forged", 4])
    report = verify_chain(since_checkpoint=True)
    assert (report.ok, report.broken_seq) == (False, 4) and "checkpoint" in report.reason
    with pytest.raises(CommandError, match="entry 4"):
        call_command("verify_audit", "--since-checkpoint")


def test_verify_audit_prints_the_checkpoint(capsys):
    _write(2)
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "2 entries verified from the first entry" in out and "checkpoint: entry 2 hash " in out
