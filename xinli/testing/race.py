"""Two workers racing on the same rows, for the tests of the claim-before-notify pattern (the alert sweeper's, and
the SMD and counselling reminders'). Runs on SQLite (the test database is a file; IMMEDIATE transactions queue the
writers) and on PostgreSQL (row locks; the loser's conditional UPDATE re-reads the row and matches nothing)."""

from __future__ import annotations

import threading

from django.db import connection, connections


def race(work, *, after_reading: str, workers: int = 2, timeout: float = 60) -> list:
    """Run ``work()`` in ``workers`` threads at once and return their results. Each thread pauses right after its
    first SELECT that mentions the table ``after_reading`` until every thread has made that read, so every worker
    starts from the same candidate rows — the interleaving in which an unclaimed reminder would be sent twice."""
    barrier = threading.Barrier(workers)
    results, errors = [], []

    def wait_after_first_read(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        state = context["connection"].__dict__
        if not state.get("_race_read") and sql.lstrip().upper().startswith("SELECT") and f'"{after_reading}"' in sql:
            state["_race_read"] = True
            barrier.wait(timeout)
        return result

    def run():
        try:
            with connection.execute_wrapper(wait_after_first_read):
                results.append(work())
        except Exception as exc:  # noqa: BLE001 — reported to the test below
            errors.append(exc)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    if errors:
        raise errors[0]
    return results
