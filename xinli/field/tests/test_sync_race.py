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
