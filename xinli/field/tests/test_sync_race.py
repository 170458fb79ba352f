"""The same queued form sent twice at once (a retry racing the first send) is stored once (PostgreSQL: real
concurrency; SQLite serialises writers anyway)."""

import threading

import pytest
from django.db import connection

from xinli.smd.models import FollowUp

from .conftest import item, register, visit


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sends_of_one_client_id_store_one_record(doctor, patients):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is checked on PostgreSQL")
    from django.db import connections

    from xinli.field import services
    from xinli.field.api import ItemSerializer

    mine, _ = patients
    device = register(doctor)
    raw = item("smd_follow_up", {"patient": mine[0].pk, "follow_up": visit()})
    serializer = ItemSerializer(data=raw)
    assert serializer.is_valid(), serializer.errors
    one = serializer.validated_data
    results, barrier = [], threading.Barrier(2)

    def send():
        try:
            barrier.wait()
            results.append(services.sync_item(doctor, device, one))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r["outcome"] for r in results) == ["stored", "stored"]
    assert sorted(bool(r.get("replayed")) for r in results) == [False, True]
    assert FollowUp.objects.filter(patient=mine[0]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_completing_one_scheduled_visit_at_once(personas, people):
    """Two workers' devices (no shared device lock) complete the same scheduled visit at once: one note completes it,
    the other is a task_done conflict with the entry kept — never two notes on a done visit."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is checked on PostgreSQL")
    from django.db import connections
    from django.utils import timezone

    from xinli.field import services
    from xinli.field.api import ItemSerializer
    from xinli.field.models import FieldNote, ScheduledVisit

    worker, colleague = personas.village_worker_1, personas.township_worker
    scheduled = services.schedule_visit(worker, people.in_a1v1, visit_on=timezone.localdate())
    jobs = []
    for user in (worker, colleague):
        serializer = ItemSerializer(data=item("home_visit_note", {"person": people.in_a1v1.pk, "text": "走访",
                                                                  "date": timezone.localdate().isoformat(), "visit": scheduled.pk}))
        assert serializer.is_valid(), serializer.errors
        jobs.append((user, register(user), serializer.validated_data))
    results, barrier = [], threading.Barrier(2)

    def send(user, device, one):
        try:
            barrier.wait()
            results.append(services.sync_item(user, device, one))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r["outcome"] for r in results) == ["conflict", "stored"]
    assert [r["reason"] for r in results if r["outcome"] == "conflict"] == ["task_done"]
    scheduled.refresh_from_db()
    assert scheduled.state == ScheduledVisit.State.DONE
    assert FieldNote.objects.filter(kind="home_visit").count() == 1 and FieldNote.objects.filter(kind="conflict").count() == 1
    assert scheduled.done_note_id == FieldNote.objects.get(kind="home_visit").pk
