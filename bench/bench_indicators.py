"""Indicators on the `city` demo (issue 8): full rebuild time, its floor, and the dashboard page p95. See BENCHMARKS.md.

    .venv/bin/python bench/bench_indicators.py                       # set up (drop, migrate, seed city: long), measure
    .venv/bin/python bench/bench_indicators.py --skip-setup          # measure again on the same database
    .venv/bin/python bench/bench_indicators.py --skip-setup --profile            # also cProfile + SQL per indicator
    .venv/bin/python bench/bench_indicators.py --skip-setup --code worktree      # the working tree instead of HEAD
    .venv/bin/python bench/bench_indicators.py --skip-setup --phases pages --pages city,county,township,village -n 500

Targets (issue 8): with the `city` demo on PostgreSQL, a full rebuild of all indicators for all org units and the
current year takes <= 60 s on the 2-core machine (reported with its ratio to the floor: one bare ``SELECT count(*)``
over each fact table the indicators read); the dashboard page ``/indicators/?org=<code>&year=<y>`` has p95 <= 100 ms
for the city and for a village.

1. Setup (unless ``--skip-setup``): drop and create the PostgreSQL database ``--db`` (default
   xinli_bench_indicators) on 127.0.0.1:5432 (user postgres, trust authentication), keys in var/bench-keys.json
   (``manage.py generate_keys --file``, never overwritten), XINLI_DEMO=1, migrate, ``seed_demo --size city`` (2,000,000
   residents with the demo activity: hotline, alerts, SMD register, network, outreach; 15-40 minutes; progress is
   printed with the elapsed time), then ``VACUUM ANALYZE`` (as bench/seed_city.sh does). Accounts go to
   var/<db>-accounts.json.
2. ``rebuild``: ``xinli.indicators.services.rebuild(year)`` of the current year (or ``--year``) for all units, in a
   fresh Python process per run (``--runs``, default 2: a first and a second, warm run). PostgreSQL's cache and the
   OS page cache are not flushed (other databases share the server), and the seed itself ends with a rebuild, so
   "first" means first after the setup or the previous phase, not cold. ``--clear-rollups`` deletes the year's
   rollups before the first run (that run then inserts every row). Reported: wall time of the ``rebuild()`` call,
   the value it returns, the rollup rows of the period before and after, per org level, and the CPU seconds of
   the Python process, of PostgreSQL (this database's backends) and of everything else on the machine (other
   processes: other jobs, other databases' backends) during the process's life.
3. ``floor``: one bare ``SELECT count(*)`` over each fact table the registry reads (the tables are found through
   the models' ``_meta.db_table``; a model missing at the code under test is skipped), twice; the second (warm)
   sum is the floor, and rebuild ÷ floor is reported for every rebuild run. After ``VACUUM`` PostgreSQL answers
   most of these with an index-only scan, so a third pass forces a scan of the tables themselves (index and bitmap
   scans off) — the cost of touching every row once; rebuild ÷ that is reported too.
4. ``pages``: gunicorn (2 sync workers by default, no DEBUG, XINLI_DEMO=1 so that demo accounts skip the second
   factor) on 127.0.0.1; the demo ``city_officer`` (health officer of the city) logs in through the login form and
   GETs ``/indicators/?org=<code>&year=<y>`` for each page of ``--pages`` (default: the city and a village — the
   demo village_worker's village unless ``--village``), ``--warmup`` times then ``-n`` times, one request at a time.
   p50/p95/p99/max in ms, status codes (a non-200 answer is reported, not hidden), and the unit's rollup rows.
5. ``--profile``: in one more process, (a) one full rebuild under cProfile (top 25 by cumulative and top 20 by
   internal time, in bench/results/indicators-<time>-profile.txt); (b) one full rebuild without the profiler, each
   indicator's ``compute``/``many`` wrapped (in that process only) so that its wall time, SQL statements
   (``connection.execute_wrapper``), SQL time and slowest statement are attributed to it — work shared through
   the rebuild's memo is charged to the first indicator that does it, and "outside indicators" is the rest
   (listing units, deleting and writing the rollups); (c) ``rebuild(year, codes=[code])`` for each indicator
   alone (shared work is then repeated for each).

The code under test is the committed code of ``--code`` (default HEAD), exported read-only with ``git archive`` to
var/bench-campaign/src-<sha>/ (shared with bench_campaign.py), so edits in progress in the working tree cannot break
a run; ``--code worktree`` uses the working tree. Results: a Markdown summary on stdout and
bench/results/indicators-<time>.json (+ -profile.txt with --profile). Only 127.0.0.1 is contacted; every wait is
bounded in time; nothing outside ``--db``, var/ and bench/results/ is written.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookies
import json
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
VAR = ROOT / "var" / "bench-indicators"
APP = ROOT  # the code under test (set by --code)
TARGET_REBUILD_S, TARGET_PAGE_P95_MS = 60.0, 100.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
CHILD_MARK = "BENCH_CHILD_RESULT "

sys.path.insert(0, str(ROOT / "bench"))
from bench_campaign import env_for as env_for_app  # noqa: E402
from bench_campaign import (  # noqa: E402 — bench/ is not a package
    free_port,
    machine_cpu,
    machine_info,
    percentile,
    port_free,
    postgres_info,
    prepare_code,
    stop_gunicorn,
    wait_idle,
)

# The fact tables of the registry (at HEAD and in the set-based rewrite): (app label, model, what it holds).
FACT_MODELS = [
    ("archives", "Person", "residents"),
    ("archives", "PopulationTag", "special-population tags"),
    ("counselling", "Plan", "personalised plans"),
    ("smd", "Patient", "SMD patients"),
    ("smd", "FollowUp", "SMD follow-ups"),
    ("smd", "Task", "SMD follow-up tasks"),
    ("smd", "Support", "SMD rehabilitation / family support"),
    ("regions", "UnitPopulation", "population per unit (SMD, workforce)"),
    ("regions", "OrgUnit", "org units (villages, townships: T01, T19)"),
    ("network", "Site", "service sites"),
    ("network", "SiteStatus", "site status history"),
    ("network", "Institution", "institutions"),
    ("network", "ManagementGroup", "township management groups"),
    ("network", "Staff", "service staff"),
    ("network", "Attendance", "training attendance"),
    ("outreach", "AwarenessResponse", "awareness responses"),
    ("network", "SatisfactionResponse", "satisfaction responses"),
    ("alerts", "Alert", "alerts"),
    ("hotline", "Line", "hotline lines"),
    ("hotline", "Call", "hotline call records"),
    ("hotline", "CallDetailRecord", "hotline call-detail records"),
    ("screening", "Assessment", "assessments"),
    ("screening", "Participant", "campaign participants"),
    ("indicators", "ExtremeIncident", "extreme incidents"),
]


# --- arguments ------------------------------------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", default="xinli_bench_indicators", help="throwaway PostgreSQL database (dropped by the setup!)")
    p.add_argument("--key-file", default=str(ROOT / "var" / "bench-keys.json"))
    p.add_argument("--code", default="HEAD", help="commit to test (exported with git archive), or 'worktree'")
    p.add_argument("--setup-code", default="",
                   help="commit (or 'worktree') whose code seeds the database (default: --code); the schema and the fact rows "
                        "rarely change between commits, so a database seeded by one commit can serve the measurement of another")
    p.add_argument("--skip-setup", action="store_true",
                   help="reuse the database and accounts of the last setup (only `migrate` is run, for new migrations)")
    p.add_argument("--size", default="city", help="seed_demo --size for the setup (city = 2,000,000 residents)")
    p.add_argument("--year", type=int, default=0, help="year to rebuild and show (default: the current year)")
    p.add_argument("--phases", default="rebuild,floor,pages", help="comma-separated subset of rebuild,floor,pages")
    p.add_argument("--runs", type=int, default=2, help="rebuild runs (first/cold, then warm)")
    p.add_argument("--clear-rollups", action="store_true",
                   help="delete the year's rollups before the first rebuild run (needed to run an older per-unit "
                        "rebuild on rows written by the set-based one, which adds breakdown rows)")
    p.add_argument("--rebuild-timeout", type=int, default=3600, help="seconds allowed for one rebuild process")
    p.add_argument("--pages", default="city,village",
                   help="pages to time, comma-separated: city, county, township, village (the demo accounts' units)")
    p.add_argument("--village", default="", help="village code for the village page (default: village_worker's)")
    p.add_argument("--user", default="city_officer", help="demo account that views the pages (needs indicators.view)")
    p.add_argument("-n", type=int, default=300, help="timed requests per page")
    p.add_argument("--warmup", type=int, default=20, help="untimed requests per page first")
    p.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    p.add_argument("--port", type=int, default=0, help="gunicorn port on 127.0.0.1 (0: a free one)")
    p.add_argument("--profile", action="store_true", help="also profile one rebuild (cProfile, SQL per indicator)")
    p.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                   help="before measuring, wait up to this long for 10 s in a row with the machine < 10 %% busy")
    p.add_argument("--out", default="", help="result file (default bench/results/indicators-<time>.json)")
    p.add_argument("--child", default="", help=argparse.SUPPRESS)  # internal: info | rebuild | floor | profile
    p.add_argument("--child-arg", default="", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if not args.db.replace("_", "").isalnum() or not args.db.islower() or args.db in ("xinli_bench", "postgres", "xinli_dev"):
        p.error("--db must be a plain lower-case identifier of a throwaway database (not xinli_bench)")
    args.phase_set = {x.strip() for x in args.phases.split(",") if x.strip()}
    if not args.phase_set <= {"rebuild", "floor", "pages"}:
        p.error("--phases: a subset of rebuild,floor,pages")
    args.page_list = [x.strip() for x in args.pages.split(",") if x.strip()]
    if not set(args.page_list) <= {"city", "county", "township", "village"}:
        p.error("--pages: a subset of city,county,township,village")
    if not 1 <= args.runs <= 10 or not 1 <= args.n <= 100_000 or not 0 <= args.warmup <= 10_000 or not 1 <= args.workers <= 16:
        p.error("--runs 1..10, -n 1..100000, --warmup 0..10000, --workers 1..16")
    return args


def env_for(args) -> dict:
    return env_for_app(args, app=APP, var_dir=VAR)


def stamp_now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())


def loadavg() -> list[str]:
    try:
        return Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        return []


# --- setup ----------------------------------------------------------------------------------------------------------

def stream(cmd: list[str], env: dict, timeout: float, log) -> None:
    """Run a command in APP, printing each output line with the elapsed time; bounded by ``timeout``."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=APP, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
    timer.start()
    try:
        for line in proc.stdout:
            msg = f"  [{time.monotonic() - t0:7.1f} s] {line.rstrip()}"
            print(msg, flush=True)
            log.write(msg + "\n")
            log.flush()
        rc = proc.wait()
    finally:
        timer.cancel()
    if rc != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} ... failed with {rc} after {time.monotonic() - t0:.0f} s")


def setup(args, env: dict) -> dict:
    psql = ["psql", "-h", HOST, "-p", "5432", "-U", "postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1"]
    py = str(VENV / "python")
    accounts = ROOT / "var" / f"{args.db}-accounts.json"
    log_path = VAR / f"setup-{args.db}.log"
    out = {}
    with log_path.open("w") as log:
        def step(name, fn):
            print(f"== {stamp_now()} setup: {name}", flush=True)
            log.write(f"== {stamp_now()} {name}\n")
            t0 = time.monotonic()
            fn()
            out[name] = round(time.monotonic() - t0, 1)
            print(f"== {name}: {out[name]} s", flush=True)

        def recreate():
            subprocess.run([*psql, "-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)"], env=env, check=True, timeout=300)
            subprocess.run([*psql, "-d", "postgres", "-c", f"CREATE DATABASE {args.db}"], env=env, check=True, timeout=120)
            accounts.unlink(missing_ok=True)

        step("drop and create the database", recreate)
        step("generate_keys (kept if present)", lambda: stream([py, "manage.py", "generate_keys", "--file", env["XINLI_KEY_FILE"]], env, 120, log))
        step("migrate", lambda: stream([py, "manage.py", "migrate", "--noinput", "-v", "0"], env, 1800, log))
        step(f"seed_demo --size {args.size}", lambda: stream(
            [py, "-u", "manage.py", "seed_demo", "--size", args.size, "--accounts-file", str(accounts)], env, 4 * 3600, log))
        step("VACUUM ANALYZE", lambda: subprocess.run([*psql, "-d", args.db, "-c", "VACUUM ANALYZE"], env=env, check=True, timeout=3600))
    print(f"== setup log: {log_path.relative_to(ROOT)}", flush=True)
    return out


# --- children (run in a fresh process on the code under test) -------------------------------------------------------

def child_main(args) -> int:
    sys.path.insert(0, str(APP))
    import django

    import xinli

    if not Path(xinli.__file__).resolve().is_relative_to(APP.resolve()):
        raise SystemExit(f"imported xinli from {xinli.__file__}, not from {APP}")
    django.setup()
    result = {"info": child_info, "rebuild": child_rebuild, "floor": child_floor, "profile": child_profile}[args.child](args)
    print(CHILD_MARK + json.dumps(result, ensure_ascii=False, default=str), flush=True)
    return 0


def _year(args) -> int:
    from django.utils import timezone

    return args.year or timezone.localdate().year


def child_info(args) -> dict:
    from django.db.models import Count

    from xinli.indicators.models import Rollup
    from xinli.indicators.registry import REGISTRY
    from xinli.regions.models import OrgUnit

    year = _year(args)
    codes = json.loads(args.child_arg or "[]")
    units = {}
    for code in codes:
        u = OrgUnit.objects.filter(code=code).first()
        if u is not None:
            units[code] = {"name": u.name, "level": u.level, "path": u.path,
                           "rollups": Rollup.objects.filter(org_unit=u, period=str(year)).count()}
    village = OrgUnit.objects.filter(level="village", valid_to__isnull=True).order_by("path").first()
    return {
        "year": year,
        "indicators": len(REGISTRY),
        "units_by_level": dict(OrgUnit.objects.filter(valid_to__isnull=True).values_list("level").annotate(n=Count("id")).order_by("level")),
        "city_code": OrgUnit.objects.filter(level="city").order_by("path").values_list("code", flat=True).first(),
        "first_village_code": village.code if village else None,
        "units": units,
        "rollups_of_year": Rollup.objects.filter(period=str(year)).count(),
    }


def child_rebuild(args) -> dict:
    from django.db.models import Count

    from xinli.indicators.models import Rollup
    from xinli.indicators.services import rebuild

    year = _year(args)
    cleared = Rollup.objects.filter(period=str(year)).delete()[0] if args.child_arg == "clear" else 0
    before = Rollup.objects.filter(period=str(year)).count()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    n = rebuild(year)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    qs = Rollup.objects.filter(period=str(year))
    return {"year": year, "returned": n, "seconds": round(wall, 3),
            "python_cpu_s": round(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime, 2),
            "rollups_cleared": cleared, "rollups_before": before, "rollups_after": qs.count(),
            "rollups_by_level": dict(qs.values_list("org_unit__level").annotate(n=Count("id")).order_by("org_unit__level")),
            "units_with_rollups": qs.values("org_unit_id").distinct().count()}


def child_floor(args) -> dict:
    """``SELECT count(*)`` over each fact table: two passes as PostgreSQL plans them (after VACUUM that is mostly an
    index-only scan, which reads neither the rows nor their columns), then one pass forced to read the table itself
    (index and bitmap scans off: a sequential scan over every heap page), which is closer to what reading the
    rows' columns costs."""
    from django.apps import apps
    from django.db import connection

    tables = []
    for app_label, model_name, what in FACT_MODELS:
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        tables.append((f"{app_label}.{model_name}", model._meta.db_table, what))

    def one_pass(cur):
        rows = []
        for label, table, what in tables:
            t0 = time.perf_counter()
            cur.execute(f'SELECT count(*) FROM "{table}"')
            (count,) = cur.fetchone()
            rows.append({"model": label, "table": table, "what": what, "rows": count, "ms": round((time.perf_counter() - t0) * 1000, 2)})
        return rows

    with connection.cursor() as cur:
        passes = [one_pass(cur), one_pass(cur)]
        for row in passes[-1]:
            cur.execute(f'EXPLAIN SELECT count(*) FROM "{row["table"]}"')
            plan = " ".join(r[0] for r in cur.fetchall())
            m = re.search(r"(Parallel )?(Index Only Scan|Seq Scan|Index Scan|Bitmap Heap Scan)", plan)
            row["plan"] = m.group(0) if m else plan[:60]
            cur.execute("SELECT pg_total_relation_size(%s)", [row["table"]])
            row["mb"] = round(cur.fetchone()[0] / 1024 / 1024, 1)
        cur.execute("SET enable_indexonlyscan = off; SET enable_indexscan = off; SET enable_bitmapscan = off")
        heap = one_pass(cur)
        cur.execute("RESET enable_indexonlyscan; RESET enable_indexscan; RESET enable_bitmapscan")
    for row, h in zip(passes[-1], heap, strict=True):
        row["heap_ms"] = h["ms"]
    return {"first_ms": round(sum(r["ms"] for r in passes[0]), 1), "warm_ms": round(sum(r["ms"] for r in passes[1]), 1),
            "heap_ms": round(sum(r["ms"] for r in heap), 1), "first": passes[0], "tables": passes[1]}


class SqlMeter:
    """Counts and times every SQL statement (``connection.execute_wrapper``) under the current label."""

    def __init__(self):
        self.label = "outside indicators"
        self.stats: dict[str, list] = {}  # label -> [statements, seconds, slowest seconds, slowest sql]

    def __call__(self, execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            dt = time.perf_counter() - t
            st = self.stats.setdefault(self.label, [0, 0.0, 0.0, ""])
            st[0] += 1
            st[1] += dt
            if dt > st[2]:
                st[2], st[3] = dt, sql


def _instrument_registry(meter: SqlMeter, wall: dict) -> None:
    """Wrap each registered indicator's computation (``compute`` per unit, and ``many`` for all units where the
    registry has it) so that its wall time and SQL land under its code. Only this process's registry is changed."""
    import dataclasses

    from xinli.indicators import registry

    def wrap(code, fn):
        def timed(*a, **kw):
            prev, meter.label = meter.label, code
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                wall[code] = wall.get(code, 0.0) + time.perf_counter() - t
                meter.label = prev
        return timed

    for code, ind in list(registry.REGISTRY.items()):
        changes = {f: wrap(code, getattr(ind, f)) for f in ("compute", "many") if callable(getattr(ind, f, None))}
        registry.REGISTRY[code] = dataclasses.replace(ind, **changes)


def child_profile(args) -> dict:
    import cProfile
    import io
    import pstats

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from xinli.indicators.registry import REGISTRY
    from xinli.indicators.services import rebuild

    year = _year(args)
    # 1. One full rebuild under cProfile.
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    n = rebuild(year)
    prof.disable()
    full = time.perf_counter() - t0
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
    buf2 = io.StringIO()
    pstats.Stats(prof, stream=buf2).sort_stats("tottime").print_stats(20)
    # 2. One full rebuild, without the profiler, with wall time and SQL attributed to each indicator (work shared
    #    between indicators, e.g. a memo, is charged to the first indicator that does it).
    codes = list(REGISTRY)
    meter, wall = SqlMeter(), {}
    _instrument_registry(meter, wall)
    reset_queries()
    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(meter):
        n2 = rebuild(year)
    total = time.perf_counter() - t0
    attributed = []
    for code in [*codes, "outside indicators"]:
        st = meter.stats.get(code, [0, 0.0, 0.0, ""])
        secs = wall.get(code, total - sum(wall.values())) if code != "outside indicators" else total - sum(wall.values())
        attributed.append({"code": code, "seconds": round(secs, 3), "queries": st[0], "sql_seconds": round(st[1], 3),
                           "slowest_ms": round(st[2] * 1000, 1), "slowest_sql": re.sub(r"\s+", " ", st[3])[:500]})
    # 3. Each indicator alone: rebuild(year, codes=[code]) (shared work is then repeated for each indicator).
    alone = []
    for code in codes:
        meter.stats.clear()
        reset_queries()
        t1 = time.perf_counter()
        with connection.execute_wrapper(meter):
            rows = rebuild(year, codes=[code])
        secs = time.perf_counter() - t1
        st = [sum(v[0] for v in meter.stats.values()), sum(v[1] for v in meter.stats.values())]
        alone.append({"code": code, "seconds": round(secs, 3), "rows": rows, "queries": st[0], "sql_seconds": round(st[1], 3)})
    return {"year": year, "full_seconds_under_profile": round(full, 2), "full_rows": n,
            "attributed_total_seconds": round(total, 2), "attributed_rows": n2, "attributed_queries": sum(a["queries"] for a in attributed),
            "captured_queries": len(ctx.captured_queries), "attributed": attributed, "alone": alone,
            "cumulative": buf.getvalue(), "tottime": buf2.getvalue()}


# --- CPU accounting -------------------------------------------------------------------------------------------------

def proc_info(pid: int) -> tuple[str, int, float] | None:
    """(process title, ppid, CPU seconds) from /proc, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2:].split()
    return title or comm, int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


class CpuSampler(threading.Thread):
    """CPU seconds, sampled every ``interval`` s until stopped, of: PostgreSQL backends of ``db`` (their process title
    names the database), PostgreSQL's shared background processes, other PostgreSQL backends, and a watched process
    (gunicorn arbiter or a child) with its children."""

    def __init__(self, db: str, watch_pid: int | None = None, interval: float = 0.5):
        super().__init__(daemon=True)
        self.db, self.watch_pid, self.interval = db, watch_pid, interval
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.halt = threading.Event()
        self._sample(initial=True)

    def _kind(self, pid: int, title: str, ppid: int) -> str | None:
        if self.watch_pid and (pid == self.watch_pid or ppid == self.watch_pid):
            return "watched"
        if not title.startswith("postgres"):
            return None
        if f" {self.db} " in f"{title} ":
            return "pg_this_db"
        if re.search(r"postgres: \S+: (checkpointer|background writer|walwriter|autovacuum launcher|logical replication|archiver|stats)", title) \
                or title.startswith("/usr/lib/postgresql"):
            return "pg_background"
        return "pg_other_db"

    def _sample(self, initial: bool = False) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            st = proc_info(pid)
            if st is None:
                continue
            kind = self._kind(pid, st[0], st[1])
            if kind is None:
                continue
            if initial:
                self.first[pid] = st[2]
            self.last[pid] = (kind, st[2])

    def run(self) -> None:
        while not self.halt.wait(self.interval):
            self._sample()

    def stop(self) -> dict[str, float]:
        self.halt.set()
        self.join(timeout=10)
        self._sample()
        out = {"watched": 0.0, "pg_this_db": 0.0, "pg_background": 0.0, "pg_other_db": 0.0}
        for pid, (kind, cpu) in self.last.items():
            out[kind] += cpu - self.first.get(pid, 0.0)
        return {k: round(v, 2) for k, v in out.items()}


def run_child(args, env: dict, kind: str, timeout: float, child_arg: str = "") -> tuple[dict, dict]:
    """Run this script as a child process on the code under test; returns its result and the CPU accounting."""
    cmd = [str(VENV / "python"), str(Path(__file__).resolve()), "--child", kind, "--db", args.db, "--key-file", args.key_file,
           "--code", args.code]
    if args.year:
        cmd += ["--year", str(args.year)]
    if child_arg:
        cmd += ["--child-arg", child_arg]
    load_before = loadavg()
    m0 = machine_cpu()
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=APP, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True)
    sampler = CpuSampler(args.db)
    sampler.start()
    out_chunks: list[str] = []
    reader = threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()), daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    usage = None
    while time.monotonic() < deadline:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            usage = ru
            break
        time.sleep(0.1)
    if usage is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        sampler.stop()
        raise SystemExit(f"child {kind} did not finish within {timeout:.0f} s")
    wall = time.monotonic() - t0
    reader.join(timeout=10)
    cpu = sampler.stop()
    m1 = machine_cpu()
    text = "".join(out_chunks)
    line = next((ln for ln in text.splitlines() if ln.startswith(CHILD_MARK)), None)
    if proc.returncode != 0 or line is None:
        print(text[-4000:])
        raise SystemExit(f"child {kind} failed with exit code {proc.returncode}")
    busy = m1["busy"] - m0["busy"]
    child_cpu = usage.ru_utime + usage.ru_stime
    acct = {"process_wall_s": round(wall, 2), "python_process_cpu_s": round(child_cpu, 2),
            "postgres_this_db_cpu_s": cpu["pg_this_db"], "postgres_background_cpu_s": cpu["pg_background"],
            "postgres_other_db_cpu_s": cpu["pg_other_db"], "machine_busy_s": round(busy, 2),
            "machine_idle_s": round(m1["idle"] - m0["idle"], 2), "machine_iowait_s": round(m1["iowait"] - m0["iowait"], 2),
            "other_processes_cpu_s": round(max(0.0, busy - child_cpu - cpu["pg_this_db"] - cpu["pg_background"]), 2),
            "core_seconds": round(wall * (os.cpu_count() or 1), 1), "loadavg_before": load_before, "loadavg_after": loadavg()}
    return json.loads(line[len(CHILD_MARK):]), acct


# --- pages ----------------------------------------------------------------------------------------------------------

class Session:
    """A cookie-keeping HTTP client over loopback: one connection per request (sync gunicorn closes each)."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
            data = resp.read()
            for header in resp.headers.get_all("Set-Cookie") or []:
                for k, m in http.cookies.SimpleCookie(header).items():
                    self.cookies[k] = m.value
            return resp.status, data
        finally:
            conn.close()


def start_gunicorn(args, env: dict, port: int, log_path: Path) -> subprocess.Popen:
    cmd = [str(VENV / "gunicorn"), "xinli.wsgi", "--bind", f"{HOST}:{port}", "--workers", str(args.workers),
           "--worker-class", "sync", "--log-level", "warning", "--no-control-socket"]
    print("== gunicorn:", " ".join(cmd[1:]), flush=True)
    log = log_path.open("w")
    proc = subprocess.Popen(cmd, cwd=APP, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 90
    sess = Session(port)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}; see {log_path}")
        try:
            if sess.request("GET", "/healthz")[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.25)
    stop_gunicorn(proc)
    raise SystemExit(f"gunicorn did not answer /healthz within 90 s; see {log_path}")


def login(port: int, username: str, password: str) -> Session:
    sess = Session(port)
    status, page = sess.request("GET", "/accounts/login/")
    m = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or m is None:
        raise SystemExit(f"login page: HTTP {status}")
    body = urllib.parse.urlencode({"username": username, "password": password, "otp": "", "csrfmiddlewaretoken": m.group(1).decode()})
    status, _ = sess.request("POST", "/accounts/login/", body, {"Content-Type": "application/x-www-form-urlencoded",
                                                               "Referer": f"http://{HOST}:{port}/accounts/login/"})
    if status != 302:
        raise SystemExit(f"login of {username} failed: HTTP {status}")
    return sess


def time_page(sess: Session, path: str, n: int, warmup: int) -> dict:
    statuses: dict[str, int] = {}
    first_status, first_size, sample = None, 0, b""
    for _ in range(warmup):
        st, data = sess.request("GET", path)
        if first_status is None:
            first_status, first_size, sample = st, len(data), data
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        st, data = sess.request("GET", path)
        times.append((time.perf_counter() - t0) * 1000)
        statuses[str(st)] = statuses.get(str(st), 0) + 1
        if first_status is None:
            first_status, first_size, sample = st, len(data), data
    s = sorted(times)
    out = {"path": path, "n": n, "warmup": warmup, "statuses": statuses, "bytes": first_size,
           "p50_ms": round(percentile(s, 50), 1), "p95_ms": round(percentile(s, 95), 1), "p99_ms": round(percentile(s, 99), 1),
           "max_ms": round(s[-1], 1), "mean_ms": round(sum(s) / len(s), 1)}
    if first_status != 200:
        text = re.sub(rb"<[^>]+>", b" ", sample).decode(errors="replace")
        out["error_excerpt"] = re.sub(r"\s+", " ", text).strip()[:300]
    else:
        # How many indicator rows on the page show a value (a rough check that the rollups are there).
        out["percent_signs"] = sample.count(b"%")
    return out


def pages_phase(args, env: dict, info: dict, accounts: list[dict], stamp: str) -> dict:
    by_user = {a["username"]: a for a in accounts}
    if args.user not in by_user:
        raise SystemExit(f"--user {args.user}: not in the demo accounts file")
    codes = {"city": info["city_code"]}
    for level, user in (("county", "county_officer"), ("township", "township_worker"), ("village", "village_worker")):
        codes[level] = by_user[user]["org_unit_code"] if user in by_user else None
    if args.village:
        codes["village"] = args.village
    codes["village"] = codes["village"] or info["first_village_code"]
    port = args.port or free_port()
    if not port_free(port):
        raise SystemExit(f"{HOST}:{port} is in use; pass another --port")
    log_path = RESULTS / f"indicators-{stamp}-gunicorn.log"
    server = start_gunicorn(args, env, port, log_path)
    out = {"user": args.user, "workers": args.workers, "pages": {}}
    try:
        sess = login(port, args.user, by_user[args.user]["password"])
        sampler = CpuSampler(args.db, watch_pid=server.pid)
        sampler.start()
        m0, r0, t0, load0 = machine_cpu(), resource.getrusage(resource.RUSAGE_SELF), time.monotonic(), loadavg()
        for level in args.page_list:
            code = codes.get(level)
            if not code:
                out["pages"][level] = {"error": "no unit of this level among the demo accounts"}
                continue
            path = f"/indicators/?org={code}&year={info['year']}"
            res = time_page(sess, path, args.n, args.warmup)
            res["unit"] = info["units"].get(code, {"code": code})
            out["pages"][level] = res
            print(f"  {level:<9} {path}: statuses {res['statuses']} p50 {res['p50_ms']} p95 {res['p95_ms']} "
                  f"p99 {res['p99_ms']} max {res['max_ms']} ms", flush=True)
        wall = time.monotonic() - t0
        r1, m1 = resource.getrusage(resource.RUSAGE_SELF), machine_cpu()
        cpu = sampler.stop()
    finally:
        stop_gunicorn(server)
    client = r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
    busy = m1["busy"] - m0["busy"]
    out["cpu"] = {"wall_s": round(wall, 1), "gunicorn_cpu_s": cpu["watched"], "postgres_this_db_cpu_s": cpu["pg_this_db"],
                  "postgres_background_cpu_s": cpu["pg_background"], "postgres_other_db_cpu_s": cpu["pg_other_db"],
                  "client_cpu_s": round(client, 2), "machine_busy_s": round(busy, 2),
                  "other_processes_cpu_s": round(max(0.0, busy - cpu["watched"] - cpu["pg_this_db"] - cpu["pg_background"] - client), 2),
                  "core_seconds": round(wall * (os.cpu_count() or 1), 1), "loadavg_before": load0, "loadavg_after": loadavg()}
    out["gunicorn_log"] = str(log_path.relative_to(ROOT))
    errors = log_path.read_text(errors="replace")[-2000:]
    if errors.strip():
        out["gunicorn_log_tail"] = errors
    return out


# --- report ---------------------------------------------------------------------------------------------------------

def markdown(result: dict) -> str:
    lines = [f"### Indicators benchmark — {result['started']} — {result['code']}", "",
             f"Machine: {result['machine'].get('nproc')} cores, load average before {' '.join(result['machine'].get('loadavg_before', []))}; "
             f"database `{result['database']}`; year {result.get('year')}; {result.get('units_by_level')} current units; "
             f"{result.get('indicators')} indicators.", ""]
    floor = result.get("floor")
    if result.get("rebuild"):
        lines += ["| rebuild run | wall s | returned | rollup rows before → after (by level) | Python CPU s | PostgreSQL CPU s | other processes CPU s "
                  "| load avg before → after | ÷ floor | ÷ table-scan floor | ≤ 60 s |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for i, r in enumerate(result["rebuild"], 1):
            a = r["cpu"]
            ratio = f"{r['seconds'] / (floor['warm_ms'] / 1000):.0f}×" if floor and floor["warm_ms"] else "—"
            hratio = f"{r['seconds'] / (floor['heap_ms'] / 1000):.1f}×" if floor and floor.get("heap_ms") else "—"
            lines.append(f"| {i} ({'first' if i == 1 else 'warm'}) | **{r['seconds']:.1f}** | {r['returned']} | {r['rollups_before']} → {r['rollups_after']} "
                         f"{r['rollups_by_level']} | {a['python_process_cpu_s']} | {a['postgres_this_db_cpu_s']} | "
                         f"{a['other_processes_cpu_s']} of {a['core_seconds']} core-s | {'/'.join(a['loadavg_before'][:1])} → "
                         f"{'/'.join(a['loadavg_after'][:1])} | {ratio} | {hratio} | {'met' if r['seconds'] <= TARGET_REBUILD_S else 'MISSED'} |")
        lines.append("")
    if floor:
        lines += [f"Floor: `SELECT count(*)` over {len(floor['tables'])} fact tables, {sum(t['rows'] for t in floor['tables']):,} rows: "
                  f"first pass {floor['first_ms'] / 1000:.2f} s, warm pass **{floor['warm_ms'] / 1000:.2f} s** (as planned); "
                  f"forced to scan the tables themselves: {floor.get('heap_ms', 0) / 1000:.2f} s.", "",
                  "| table | rows | MB | count(*) ms (warm) | plan | ms as a table scan |", "|---|---|---|---|---|---|"]
        for t in sorted(floor["tables"], key=lambda t: -t["ms"]):
            lines.append(f"| {t['table']} ({t['what']}) | {t['rows']:,} | {t['mb']} | {t['ms']} | {t['plan']} | {t.get('heap_ms', '')} |")
        lines.append("")
    pages = result.get("pages")
    if pages:
        lines += [f"Dashboard pages (gunicorn {pages['workers']} sync workers, user {pages['user']}, sequential):", "",
                  "| page | unit (rollups) | statuses | p50 ms | p95 ms | p99 ms | max ms | ≤ 100 ms |", "|---|---|---|---|---|---|---|---|"]
        for level, p in pages["pages"].items():
            if "p95_ms" not in p:
                lines.append(f"| {level} | — | {p.get('error')} | | | | | |")
                continue
            u = p["unit"]
            ok = p["statuses"] == {"200": p["n"]}
            verdict = ("met" if p["p95_ms"] <= TARGET_PAGE_P95_MS else "MISSED") if ok else "ERRORS"
            lines.append(f"| {level} `{p['path']}` | {u.get('name', '?')} ({u.get('rollups', '?')}) | {p['statuses']} | {p['p50_ms']} | "
                         f"**{p['p95_ms']}** | {p['p99_ms']} | {p['max_ms']} | {verdict} |")
        c = pages["cpu"]
        lines += ["", f"CPU during the page phase ({c['wall_s']} s, {c['core_seconds']} core-s): gunicorn {c['gunicorn_cpu_s']} s, "
                      f"PostgreSQL {c['postgres_this_db_cpu_s']} s, client {c['client_cpu_s']} s, other processes "
                      f"{c['other_processes_cpu_s']} s; load average {c['loadavg_before'][0]} → {c['loadavg_after'][0]}."]
        for level, p in pages["pages"].items():
            if p.get("error_excerpt"):
                lines.append(f"\n{level} page answered {p['statuses']}: {p['error_excerpt'][:200]}")
    prof = result.get("profile")
    if prof:
        lines += ["", f"Profile: full rebuild under cProfile {prof['full_seconds_under_profile']} s; without the profiler, attributed "
                      f"per indicator: {prof['attributed_total_seconds']} s, {prof['attributed_queries']} SQL statements.", "",
                  "| indicator | s in the full rebuild | SQL statements | SQL s | slowest statement ms | s alone | statements alone |",
                  "|---|---|---|---|---|---|---|"]
        alone = {x["code"]: x for x in prof["alone"]}
        for x in sorted(prof["attributed"], key=lambda x: -x["seconds"]):
            al = alone.get(x["code"], {})
            lines.append(f"| {x['code']} | {x['seconds']} | {x['queries']} | {x['sql_seconds']} | {x['slowest_ms']} | "
                         f"{al.get('seconds', '')} | {al.get('queries', '')} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    global APP
    args = parse_args(argv)
    if args.child:
        APP = Path(os.environ["PYTHONPATH"].split(os.pathsep)[0]).resolve()
        return child_main(args)
    os.chdir(ROOT)
    APP, code_desc = prepare_code(args.code)
    print(f"== {stamp_now()} code under test: {code_desc}", flush=True)
    env = env_for(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    state_file = VAR / f"{args.db}-state.json"
    result = {"benchmark": "indicators", "started": stamp, "code": code_desc, "database": args.db, "machine": machine_info()}
    if args.skip_setup:
        state = json.loads(state_file.read_text()) if state_file.exists() else {}
        if state.get("code") and state["code"] != code_desc:
            print(f"== the database was set up with {state['code']} at {state.get('at')}", flush=True)
        result["setup"] = {"skipped": True, "set_up_with": state.get("code"), "set_up_at": state.get("at")}
        t0 = time.monotonic()
        subprocess.run([str(VENV / "python"), "manage.py", "migrate", "--noinput", "-v", "0"], cwd=APP, env=env, check=True, timeout=1800)
        result["setup"]["migrate_s"] = round(time.monotonic() - t0, 1)
    else:
        code_app, setup_desc = APP, code_desc
        if args.setup_code and args.setup_code != args.code:
            APP, setup_desc = prepare_code(args.setup_code)
            print(f"== setup with {setup_desc}", flush=True)
        result["setup"] = setup(args, env_for(args))
        result["setup"]["code"] = setup_desc
        APP = code_app
        state_file.write_text(json.dumps({"db": args.db, "code": setup_desc, "at": stamp, "steps": result["setup"]}))
    accounts_path = ROOT / "var" / f"{args.db}-accounts.json"
    accounts = json.loads(accounts_path.read_text()) if accounts_path.exists() else []
    if not accounts and "pages" in args.phase_set:
        raise SystemExit(f"{accounts_path} missing: run once without --skip-setup")
    result["postgresql"] = postgres_info(args.db)

    unit_codes = sorted({a["org_unit_code"] for a in accounts} | ({args.village} if args.village else set()))
    info, _ = run_child(args, env, "info", 600, json.dumps(unit_codes))
    result.update({k: info[k] for k in ("year", "indicators", "units_by_level", "rollups_of_year")})
    print(f"== year {info['year']}, {info['indicators']} indicators, units {info['units_by_level']}, "
          f"{info['rollups_of_year']} rollups of the year so far", flush=True)

    if args.wait_idle:
        print(f"== waiting up to {args.wait_idle:.0f} s for an idle machine ...", flush=True)
        t0 = time.monotonic()
        idle = wait_idle(args.wait_idle)
        print(f"== machine {'idle' if idle else 'STILL BUSY'} after {time.monotonic() - t0:.0f} s", flush=True)
        result["waited_for_idle"] = {"idle": idle, "seconds": round(time.monotonic() - t0)}

    if "rebuild" in args.phase_set:
        result["rebuild"] = []
        for i in range(args.runs):
            print(f"== {stamp_now()} rebuild run {i + 1}/{args.runs} (load average {' '.join(loadavg())}) ...", flush=True)
            r, acct = run_child(args, env, "rebuild", args.rebuild_timeout, "clear" if args.clear_rollups and i == 0 else "")
            r["cpu"] = acct
            result["rebuild"].append(r)
            print(f"  rebuild({r['year']}): {r['seconds']:.1f} s, returned {r['returned']}, rollups {r['rollups_before']} -> "
                  f"{r['rollups_after']} {r['rollups_by_level']}; CPU: python {acct['python_process_cpu_s']} s, postgres "
                  f"{acct['postgres_this_db_cpu_s']} s, other processes {acct['other_processes_cpu_s']} s of "
                  f"{acct['core_seconds']} core-s", flush=True)
        info, _ = run_child(args, env, "info", 600, json.dumps(unit_codes))  # the rollups per page unit, after the rebuild

    if "floor" in args.phase_set:
        print(f"== {stamp_now()} floor: SELECT count(*) per fact table, twice ...", flush=True)
        floor, acct = run_child(args, env, "floor", 1800)
        floor["cpu"] = acct
        result["floor"] = floor
        print(f"  floor: first {floor['first_ms'] / 1000:.2f} s, warm {floor['warm_ms'] / 1000:.2f} s over "
              f"{len(floor['tables'])} tables ({sum(t['rows'] for t in floor['tables']):,} rows)", flush=True)

    if "pages" in args.phase_set:
        print(f"== {stamp_now()} pages: {args.warmup} warm-up + {args.n} timed requests each ...", flush=True)
        result["pages"] = pages_phase(args, env, info, accounts, stamp)

    if args.profile:
        print(f"== {stamp_now()} profile: one rebuild under cProfile, then one per indicator with SQL capture ...", flush=True)
        prof, acct = run_child(args, env, "profile", args.rebuild_timeout * 4)
        prof["cpu"] = acct
        result["profile"] = prof
        prof_path = RESULTS / f"indicators-{stamp}-profile.txt"
        prof_path.write_text(f"{code_desc}\n\n== cumulative\n{prof['cumulative']}\n== tottime\n{prof['tottime']}\n== attributed per indicator (full rebuild, no profiler)\n"
                             + "\n".join(json.dumps(p, ensure_ascii=False) for p in prof["attributed"]) + "\n\n== each indicator alone\n"
                             + "\n".join(json.dumps(p, ensure_ascii=False) for p in prof["alone"]) + "\n")
        print(f"  profile written to {prof_path.relative_to(ROOT)}", flush=True)

    result["loadavg_end"] = loadavg()
    out_path = Path(args.out) if args.out else RESULTS / f"indicators-{stamp}.json"
    out_path.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    print()
    print(markdown(result))
    print(f"\nwrote {out_path.relative_to(ROOT) if out_path.is_relative_to(ROOT) else out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
