"""The rollup writer of the rebuild (``services.write_rollups``): plain tuples in, the same stored rows on whichever
database runs the tests — ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere. Expected values by hand, rounded to the
columns' decimal places (numerator and denominator 4, value 6)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from xinli.indicators import services
from xinli.indicators.models import Rollup

pytestmark = pytest.mark.django_db
AT = datetime.datetime(2026, 3, 1, 8, 30, tzinfo=datetime.UTC)
FIELDS = ("indicator", "period", "org_unit_id", "org_path", "breakdown", "numerator", "denominator", "value", "computed_at", "source")


def rows_for(tree, period="2026"):
    city, village = tree.city, tree.a1v1
    return [
        ("T01", period, city.pk, city.path, "", 3, 4, Decimal("0.75"), AT),  # ints, as the scans count
        ("T09", period, village.pk, village.path, "sex=F", Decimal("12.3456"), Decimal("20.5"), Decimal("0.602224"), AT),
        ("T08", period, city.pk, city.path, "", True, None, Decimal("1"), AT),  # a yes/no flag given as a bool
        ("T10U", period, city.pk, city.path, "sample=design", Decimal("1.00004999"), Decimal("2.123456789"), Decimal("0.4709434"), AT),
        ("T11", period, village.pk, village.path, "", None, None, None, AT),  # no population figure: no value
    ]


def stored(period="2026"):
    return list(Rollup.objects.filter(period=period).order_by("indicator").values_list(*FIELDS))


def test_written_rows_are_the_expected_ones(tree):
    city, village = tree.city, tree.a1v1
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        assert services.write_rollups(rows_for(tree)) == 5
    inserts = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == (0 if connection.vendor == "postgresql" else 1)  # PostgreSQL: one COPY, no INSERT
    assert stored() == [
        ("T01", "2026", city.pk, city.path, "", Decimal("3"), Decimal("4"), Decimal("0.75"), AT, ""),
        ("T08", "2026", city.pk, city.path, "", Decimal("1"), None, Decimal("1"), AT, ""),
        ("T09", "2026", village.pk, village.path, "sex=F", Decimal("12.3456"), Decimal("20.5"), Decimal("0.602224"), AT, ""),
        # 1.00004999 -> 1.0000 and 2.123456789 -> 2.1235 (4 places); 0.4709434 -> 0.470943 (6 places)
        ("T10U", "2026", city.pk, city.path, "sample=design", Decimal("1.0000"), Decimal("2.1235"), Decimal("0.470943"), AT, ""),
        ("T11", "2026", village.pk, village.path, "", None, None, None, AT, ""),
    ]


def test_source_and_nothing_to_write(tree):
    with transaction.atomic():
        assert services.write_rollups([]) == 0
        assert services.write_rollups(rows_for(tree)[:1], source="peer") == 1
    assert stored() == [("T01", "2026", tree.city.pk, tree.city.path, "", Decimal("3"), Decimal("4"), Decimal("0.75"), AT, "peer")]


def test_copy_and_bulk_create_store_the_same_rows(tree):
    """On PostgreSQL both writers exist: the same tuples through each, into two periods, read back equal."""
    if connection.vendor != "postgresql":
        pytest.skip("COPY is the PostgreSQL writer")
    with transaction.atomic():
        services._copy_rollups("default", rows_for(tree, "2026"), "")
        services._bulk_create_rollups("default", rows_for(tree, "2027"), "")
    copied, created = stored("2026"), stored("2027")
    assert len(copied) == 5
    assert [r[:1] + r[2:] for r in copied] == [r[:1] + r[2:] for r in created]


def test_the_rebuild_writes_through_it(tree, monkeypatch):
    written = []
    real = services.write_rollups

    def spy(rows, **kw):
        written.append(len(rows))
        return real(rows, **kw)

    monkeypatch.setattr(services, "write_rollups", spy)
    n = services.rebuild(2026, codes={"T01"})
    assert written == [n] == [10]  # the city, 2 counties, 3 townships and 4 villages
    assert Rollup.objects.filter(period="2026", indicator="T01").count() == 10


def _rows_of(period):
    return sorted(Rollup.objects.filter(period=period, source="").values_list(
        "indicator", "org_unit_id", "breakdown", "numerator", "denominator", "value"))


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_on_postgresql_the_rows_are_written_by_a_thread_and_are_the_same(tree, monkeypatch):
    """The nightly rebuild (no transaction around it) on PostgreSQL writes on a connection of its own while the
    indicators are computed (``services._Writer``); the stored rows equal those of the in-line writer, and an error
    while computing leaves the previous rows in place (the thread's transaction rolls back)."""
    import threading

    from xinli.indicators.registry import REGISTRY

    codes = {"T01", "T02", "T04", "T08", "T11", "T12"}
    with transaction.atomic():  # in line: inside a transaction
        services.rebuild(2026, codes=codes)
    inline = _rows_of("2026")
    assert len(inline) > 20

    threads = []
    real = services._write_in_thread

    def spy(*args):
        threads.append(threading.current_thread() is not threading.main_thread())
        return real(*args)

    monkeypatch.setattr(services, "_write_in_thread", spy)
    Rollup.objects.filter(period="2026", indicator="T12", org_unit=tree.city).update(numerator=999)  # replaced below
    assert services.rebuild(2026, codes=codes) == len(inline)
    assert threads == ([True] if connection.vendor == "postgresql" else [])
    assert _rows_of("2026") == inline

    Rollup.objects.filter(period="2026", indicator="T01", org_unit=tree.city).update(numerator=7)
    before = _rows_of("2026")

    def broken(*args):
        raise RuntimeError("the database went away")

    import dataclasses

    monkeypatch.setitem(REGISTRY, "T12", dataclasses.replace(REGISTRY["T12"], many=broken, compute=broken))
    with pytest.raises(RuntimeError, match="went away"):
        services.rebuild(2026, codes=codes)
    assert _rows_of("2026") == before  # T01's row was computed and queued before T12 failed: rolled back with the delete
