"""A long import refreshes the planner statistics of the tables it grows as they grow (2,000 rows, then at every
doubling, and at the end of the run), so that its look-ups stay on their indexes (bench/BENCHMARKS.md)."""

import pytest
from django.db import connection

from xinli.imports import services
from xinli.imports.services import statistics_due


def test_due_at_2000_then_at_every_doubling():
    batches = [(b, b + 500) for b in range(0, 20_000, 500)]
    assert [after for before, after in batches if statistics_due(before, after)] == [2000, 4000, 8000, 16000]
    # Batches of a patient's whole history are uneven: the threshold is passed, not hit.
    assert statistics_due(1900, 2600) and not statistics_due(2600, 3300) and statistics_due(3300, 4100)


def test_due_at_the_end_of_a_run_of_2000_rows_or_more():
    assert statistics_due(0, 2000) and statistics_due(0, 1_000_000)
    assert not statistics_due(0, 1999) and not statistics_due(0, 0)


@pytest.mark.django_db
def test_analyze_runs_on_postgresql_only(monkeypatch):
    statements = []

    def wrapper(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        services._refresh_statistics(1500, 2000)
        services._refresh_statistics(2000, 2500)
    analyzed = [s for s in statements if s.startswith("ANALYZE")]
    if connection.vendor == "postgresql":
        assert len(analyzed) == 1 and '"archives_person"' in analyzed[0] and '"smd_followup"' in analyzed[0]
    else:
        assert analyzed == []
