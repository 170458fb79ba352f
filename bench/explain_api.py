"""Explain where the time of one person-search API request goes (run on the seeded benchmark database).

    .venv/bin/python bench/explain_api.py                       # county_officer, both kinds, 200 requests each
    .venv/bin/python bench/explain_api.py --user city_officer --kind name -n 100

In-process (django.test.Client, no HTTP server), for random residents of the user's area:

1. one request with every SQL statement captured, its own duration, and EXPLAIN (ANALYZE, BUFFERS) of each
   read-only SELECT;
2. the mean wall time of ``-n`` requests, the mean number of statements and of commits, and the mean time spent
   inside SQL (client-side, round trip included);
3. the same requests again with ``SET synchronous_commit = off`` on the session, to show what the WAL flush of
   each commit costs (a diagnostic only: nothing is changed in the configuration);
4. the top functions of a cProfile of the requests.

Writes bench/results/explain-<user>-<kind>.txt. Reads and writes only the benchmark database (the audit log grows
by one entry per person shown, as with the real API). Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def phase_breakdown(client, urls: list[str], max_seconds: float) -> str:
    """Mean milliseconds per request spent in a few functions (wrapped here, in this process only)."""
    from rest_framework import pagination, renderers, serializers

    from xinli.accounts import authentication
    from xinli.archives import api, selectors
    from xinli.core import scoping

    phases = [
        ("auth: TokenAuthentication.authenticate (token+user query)", authentication.TokenAuthentication, "authenticate"),
        ("  scope: scope_paths (assignments query)", scoping, "scope_paths"),
        ("view: PersonViewSet.list", api.PersonViewSet, "list"),
        ("  pagination: paginate_queryset (COUNT + page SELECT + decrypt)", pagination.PageNumberPagination,
         "paginate_queryset"),
        ("  audit: record_listing (per person shown: lock head, INSERT, UPDATE, COMMIT)", selectors, "record_listing"),
        ("  serializer: ListSerializer.to_representation", serializers.ListSerializer, "to_representation"),
        ("render: JSONRenderer.render", renderers.JSONRenderer, "render"),
    ]
    spent = {label: 0.0 for label, _o, _n in phases}
    originals = []

    def wrap(label, original):
        def wrapper(*a, **kw):
            t = time.perf_counter()
            try:
                return original(*a, **kw)
            finally:
                spent[label] += (time.perf_counter() - t) * 1000
        return wrapper

    for label, owner, name in phases:
        original = owner.__dict__[name]
        originals.append((owner, name, original))
        setattr(owner, name, wrap(label, original))
    total, n = 0.0, 0
    deadline = time.monotonic() + max_seconds
    try:
        for u in urls:
            if time.monotonic() > deadline:
                break
            t = time.perf_counter()
            client.get(u)
            total += (time.perf_counter() - t) * 1000
            n += 1
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    lines = [f"## phase breakdown over {n} requests (mean ms per request; indented = inside the line above)",
             f"  {'whole request (django.test.Client.get)':<80} {total / n:7.2f}"]
    for label, _o, _n in phases:
        lines.append(f"  {label:<80} {spent[label] / n:7.2f}")
    top = spent[phases[0][0]] + spent["view: PersonViewSet.list"] + spent["render: JSONRenderer.render"]
    lines.append(f"  {'rest: middleware, routing, DRF dispatch, test client':<80} {(total - top) / n:7.2f}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="xinli_bench")
    parser.add_argument("--key-file", default=str(ROOT / "var" / "bench-keys.json"))
    parser.add_argument("--user", default="county_officer")
    parser.add_argument("--kind", default="id_number,name", help="comma-separated: id_number, name")
    parser.add_argument("-n", "--requests", type=int, default=200)
    parser.add_argument("--max-seconds", type=float, default=180.0, help="time bound of each loop")
    args = parser.parse_args(argv)
    if not args.db.replace("_", "").isalnum():
        parser.error("--db must be a plain identifier")
    if not 1 <= args.requests <= 10_000:
        parser.error("-n must be between 1 and 10000")

    os.environ.update({
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.db}",
        "XINLI_KEY_FILE": str(Path(args.key_file).resolve()),
        "XINLI_DEMO": "1",
        "DJANGO_SETTINGS_MODULE": "xinli.settings",
    })
    os.environ.pop("XINLI_DEBUG", None)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from xinli.accounts.models import User
    from xinli.accounts.services import issue_token
    from xinli.archives.selectors import visible_persons

    user = User.objects.get(username=args.user)
    key, _token = issue_token(user)
    rows = list(visible_persons(user).select_related(None).order_by("?").only("id", "id_number", "name")[: args.requests + 1])
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")

    # Time every statement (client side, round trip included) and every commit (which waits for the WAL flush when
    # synchronous_commit is on). CaptureQueriesContext only has millisecond resolution.
    log: list[tuple[str, tuple, float]] = []
    commit_times: list[float] = []
    real_commit = connection.commit

    def timing_commit():
        t = time.perf_counter()
        try:
            return real_commit()
        finally:
            commit_times.append((time.perf_counter() - t) * 1000)

    def timing_wrapper(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            log.append((sql, params, (time.perf_counter() - t) * 1000))

    connection.commit = timing_commit
    connection.execute_wrappers.append(timing_wrapper)

    def url(kind, person):
        from urllib.parse import urlencode

        return "/api/v1/persons/?" + urlencode({"id_number": person.id_number} if kind == "id_number" else {"q": person.name})

    RESULTS.mkdir(parents=True, exist_ok=True)
    for kind in [k.strip() for k in args.kind.split(",") if k.strip()]:
        out = io.StringIO()
        w = out.write
        w(f"# {args.user} {kind} on {args.db}\n\n")
        # Warm up (imports, connection, caches).
        for p in rows[:5]:
            client.get(url(kind, p))

        # 1. one request, every statement
        probe = rows[0]
        log.clear()
        commit_times.clear()
        t0 = time.perf_counter()
        response = client.get(url(kind, probe))
        total = (time.perf_counter() - t0) * 1000
        captured = list(log)
        body = response.json()
        w(f"## one request: HTTP {response.status_code}, count={body.get('count')}, {total:.2f} ms, "
          f"{len(captured)} statements taking {sum(d for _s, _p, d in captured):.2f} ms, "
          f"{len(commit_times)} commits taking {sum(commit_times):.2f} ms\n\n")
        for i, (sql, _params, dur) in enumerate(captured, 1):
            w(f"[{i}] {dur:.3f} ms  {sql[:400]}\n")
        w("\n")
        log.clear()
        for i, (sql, params, _dur) in enumerate(captured, 1):
            if not sql.lstrip().upper().startswith("SELECT") or "FOR UPDATE" in sql.upper():
                continue
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = "\n".join("    " + r[0] for r in cur.fetchall())
            w(f"EXPLAIN ANALYZE of [{i}] (params {list(params or ())}):\n{plan}\n\n")

        # 2 and 3. many requests, with and without a WAL flush per commit
        for label, setting in (("synchronous_commit = on (as configured)", "on"),
                               ("synchronous_commit = off (diagnostic)", "off")):
            with connection.cursor() as cur:
                cur.execute(f"SET synchronous_commit TO {setting}")
            times, nq, sqltime, ncommit, committime = [], 0, 0.0, 0, 0.0
            deadline = time.monotonic() + args.max_seconds
            for p in rows[1: args.requests + 1]:
                if time.monotonic() > deadline:
                    break
                log.clear()
                commit_times.clear()
                t0 = time.perf_counter()
                client.get(url(kind, p))
                times.append((time.perf_counter() - t0) * 1000)
                nq += len(log)
                sqltime += sum(d for _s, _p, d in log)
                ncommit += len(commit_times)
                committime += sum(commit_times)
            times.sort()
            n = len(times)
            w(f"## {n} requests, {label}: mean {sum(times) / n:.2f} ms, p50 {times[n // 2]:.2f} ms, "
              f"p95 {times[max(0, -(-95 * n // 100) - 1)]:.2f} ms; per request {nq / n:.1f} statements, "
              f"{sqltime / n:.2f} ms in them; {ncommit / n:.1f} commits, {committime / n:.2f} ms in them\n")
        with connection.cursor() as cur:
            cur.execute("SET synchronous_commit TO DEFAULT")

        # 3b. where the wall time goes: selected functions timed by wrapping them in this process
        w("\n" + phase_breakdown(client, [url(kind, p) for p in rows[1: args.requests + 1]], args.max_seconds))

        # 4. profile
        log.clear()
        connection.execute_wrappers.remove(timing_wrapper)
        connection.commit = real_commit
        profiler = cProfile.Profile()
        deadline = time.monotonic() + args.max_seconds
        profiler.enable()
        for p in rows[1: args.requests + 1]:
            if time.monotonic() > deadline:
                break
            client.get(url(kind, p))
        profiler.disable()
        w("\n## cProfile of the requests (cumulative)\n")
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(20)
        connection.execute_wrappers.append(timing_wrapper)
        connection.commit = timing_commit
        text = out.getvalue()
        (RESULTS / f"explain-{args.user}-{kind}.txt").write_text(text)
        print(text)
    connection.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
