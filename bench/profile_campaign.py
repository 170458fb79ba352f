"""Profile campaign submissions (POST /api/v1/campaign-submissions/) in-process with cProfile.

    .venv/bin/python bench/profile_campaign.py -n 500        # after bench/bench_campaign.py has set up its database

Uses the database and campaign of the last ``bench/bench_campaign.py`` setup (xinli_bench_campaign on
127.0.0.1:5432) and its unused codes; sends ``-n`` submissions through Django's test client (the whole middleware
and DRF stack, no HTTP server) one at a time. Prints the wall and CPU time per submission, the SQL statements per
submission (with their time), and the top functions by cumulative and by own time, plus the share of a few phases
(DRF dispatch, code look-up, scoring, storing, audit, alerts, SQL, commit, encryption, validation). Writes
bench/results/profile-campaign-<time>.txt. Uses up ``-n`` codes. Only talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PATH = "/api/v1/campaign-submissions/"

# (label, substrings of "file:function" in the profile) for the phase breakdown; cumulative time, so phases nest.
PHASES = [
    ("whole request (test client)", ["django/test/client.py:generic"]),
    ("DRF view dispatch", ["rest_framework/views.py:dispatch"]),
    ("campaigns.submit", ["screening/campaigns.py:submit"]),
    ("participant_for_code", ["screening/campaigns.py:participant_for_code"]),
    ("blind index (HMAC-SM3)", ["core/crypto.py:blind_index"]),
    ("scoring engine", ["scales/engine.py:score"]),
    ("store_result", ["screening/services.py:store_result"]),
    ("audit.record", ["core/audit.py:record"]),
    ("alerts.raise_for_assessment", ["alerts/__init__.py:raise_for_assessment"]),
    ("SQL execute (psycopg)", ["psycopg/cursor.py:execute"]),
    ("transaction commit", ["django/db/backends/base/base.py:commit"]),
    ("SM4-GCM encrypt + decrypt", ["core/crypto.py:encrypt", "core/crypto.py:decrypt"]),
    ("serializer validation", ["rest_framework/serializers.py:is_valid"]),
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="xinli_bench_campaign")
    parser.add_argument("--key-file", default=str(ROOT / "var" / "bench-keys.json"))
    parser.add_argument("-n", type=int, default=500, help="profiled submissions")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--code", default="HEAD", help="commit to profile (exported like bench_campaign.py), or 'worktree'")
    args = parser.parse_args(argv)
    if not args.db.replace("_", "").isalnum() or args.db == "xinli_bench":
        parser.error("--db must be a plain identifier of the campaign benchmark database")
    if not 1 <= args.n <= 20_000:
        parser.error("-n 1..20000")
    state = json.loads((ROOT / "var" / f"{args.db}-campaign.json").read_text())
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_campaign import prepare_code

    app, code_desc = prepare_code(args.code)
    os.environ.update({
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.db}", "XINLI_KEY_FILE": args.key_file,
        "XINLI_DEMO": "1", "DJANGO_SETTINGS_MODULE": "xinli.settings", "XINLI_NOTIFY_CHANNELS": "",
        "XINLI_VAR_DIR": str(ROOT / "var" / "bench-campaign"), "XINLI_STATIC_ROOT": str(ROOT / "var" / "static"),
    })
    os.environ.pop("XINLI_DEBUG", None)
    sys.path.insert(0, str(app))
    import django

    import xinli

    if not Path(xinli.__file__).resolve().is_relative_to(app.resolve()):
        raise SystemExit(f"imported xinli from {xinli.__file__}, not from {app}")
    django.setup()
    from django.db import connection
    from django.test import Client

    from xinli.screening.models import Participant

    need = args.n + args.warmup
    codes = [p.code for p in Participant.objects.filter(campaign_id=state["campaign"], completed_at__isnull=True)
             .only("code")[:need]]
    if len(codes) < need:
        raise SystemExit(f"only {len(codes)} unused codes; run bench/bench_campaign.py (setup) first")
    rng = random.Random(1)

    def body(code):
        items = {str(i): rng.choices((0, 1, 2, 3), weights=(60, 25, 10, 5))[0] for i in range(1, 9)}
        items["9"] = rng.choices((0, 1, 2), weights=(95, 4, 1))[0]
        return json.dumps({"code": code, "responses": {"phq9": items}})

    client = Client(HTTP_HOST="127.0.0.1")

    def post(code):
        r = client.post(PATH, body(code), content_type="application/json")
        if r.status_code != 201:
            raise SystemExit(f"HTTP {r.status_code}: {r.content[:300]!r}")

    for code in codes[:args.warmup]:
        post(code)

    measured = codes[args.warmup:]
    # 1. Plain timing (a third), 2. the SQL statements (a third), 3. cProfile (the rest).
    third = len(measured) // 3
    t0, c0 = time.perf_counter(), time.process_time()
    for code in measured[:third]:
        post(code)
    wall_ms = (time.perf_counter() - t0) * 1000 / max(1, third)
    cpu_ms = (time.process_time() - c0) * 1000 / max(1, third)
    queries: list[dict] = []

    def record(execute, sql, params, many, context):
        # Django's test client clears connection.queries at every request, so record them here.
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append({"sql": sql, "time": time.perf_counter() - t})

    with connection.execute_wrapper(record):
        for code in measured[third:2 * third]:
            post(code)
    shapes = Counter()
    sql_ms = 0.0
    for q in queries:
        sql = q["sql"]
        shapes[re.split(r" WHERE | SET | VALUES ", sql)[0][:110] if not sql.startswith(("SAVEPOINT", "RELEASE"))
               else sql.split(" ")[0]] += 1
        sql_ms += float(q["time"]) * 1000
    # 3. cProfile.
    prof = cProfile.Profile()
    t1 = time.perf_counter()
    prof.enable()
    for code in measured[2 * third:]:
        post(code)
    prof.disable()
    prof_wall_ms = (time.perf_counter() - t1) * 1000 / max(1, len(measured) - 2 * third)

    out = io.StringIO()
    n_prof = len(measured) - 2 * third
    print(f"code: {code_desc}", file=out)
    print(f"campaign {state['campaign']} in {args.db}; {args.warmup} warm-up submissions, then {third} timed, "
          f"{third} with SQL recorded and {n_prof} profiled", file=out)
    print(f"unprofiled: {wall_ms:.2f} ms wall, {cpu_ms:.2f} ms CPU of this process per submission (client + "
          f"Django; PostgreSQL's own CPU not included); {len(queries) / max(1, third):.1f} SQL statements "
          f"per submission taking {sql_ms / max(1, third):.2f} ms (wall, as seen by Django, with the wrapper's overhead)", file=out)
    print(f"profiled:   {prof_wall_ms:.2f} ms wall per submission (cProfile overhead included)\n", file=out)
    print("SQL statements per submission (shape before WHERE):", file=out)
    for shape, n in shapes.most_common(20):
        print(f"  {n / max(1, third):5.2f}  {shape}", file=out)
    stats = pstats.Stats(prof)
    cum = {}
    for (filename, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        key = f"{filename}:{func}"
        cum[key] = cum.get(key, 0.0) + ct
    request_total = sum(v for k, v in cum.items() if k.endswith("django/test/client.py:generic")) or 1e-9
    print("\nphases (cumulative time per submission, share of the whole request; phases nest):", file=out)
    for label, keys in PHASES:
        t = sum(v for k, v in cum.items() if any(k.endswith(s) for s in keys))
        print(f"  {label:<32} {t * 1000 / n_prof:7.2f} ms  {100 * t / request_total:5.1f} %", file=out)
    for sort in ("cumulative", "tottime"):
        s = io.StringIO()
        pstats.Stats(prof, stream=s).strip_dirs().sort_stats(sort).print_stats(args.top)
        print(f"\n--- top {args.top} by {sort} (totals over {n_prof} submissions) ---", file=out)
        print("\n".join(s.getvalue().splitlines()[6:]), file=out)
    text = out.getvalue()
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"profile-campaign-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.txt"
    path.write_text(text)
    print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
