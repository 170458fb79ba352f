"""Mixed production load test with locust on loopback against gunicorn + PostgreSQL + Redis (issue 9 part 3), see
BENCHMARKS.md.

    make bench-load                                             # pip install -e ".[bench]" (locust), then the default run
    .venv/bin/python bench/bench_load.py                        # set up, 60 s baseline, 30 s 10x surge, 60 s after
    .venv/bin/python bench/bench_load.py --skip-setup --phases 10,10,10        # smoke run on the last set-up
    .venv/bin/python bench/bench_load.py --pace 2               # twice the offered load of every user kind

1. Drop and create the PostgreSQL database ``--db`` (default xinli_bench_load) on 127.0.0.1:5432, keys in
   var/bench-keys.json, XINLI_DEMO=1, migrate, ``seed_demo --size SIZE`` (default ``small``: 50,000 residents with
   the demo activity: articles, sites, SMD patients, hotline line, rollups), then one open PHQ-9 workplace campaign
   with ``--participants`` one-time codes (the same helpers as bench_campaign.py). Samples for the users (ID
   numbers and names in the township worker's area, SMD patients of the township doctor, articles, counties, site
   coordinates, dashboard units) go to var/<db>-load.json.
2. Start our own Redis (``redis-server --port --redis-port``, no persistence), a Huey consumer (``manage.py
   run_huey``, REDIS_URL pointing at it, so the periodic tasks — audit sealing, alert sweeps — run during the
   load) and gunicorn (``--workers``/``--threads``).
3. Run locust headless with bench/locustfile_mixed.py: paced users (PortalVisitor, Participant, StaffSearch,
   SmdDoctor, Officer, HotlineOperator; weights and periods in the locustfile) for the three phases of ``--phases``
   (baseline, surge, after): during the surge the participants submit ``--surge-factor`` times faster.
4. From every request's time (locust's log): per endpoint and phase count, requests/s, errors, exact p50/p95/p99;
   recovery time = from the end of the surge to the start of the first ``--window``-second window whose p95 (all
   requests) is back at or under the baseline p95 x 1.1; campaign rows vs 201 responses (lost / extra, through
   bench_campaign.count_rows).
5. Write bench/results/load-<time>.json, print a Markdown summary, stop everything started.

As in bench_campaign.py, the served code is a ``git archive`` export of ``--code`` (default HEAD) so that edits in
progress in the working tree cannot break a run; ``--code worktree`` serves the working tree. The load average
before and after is recorded: the machine is shared. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_campaign as bc  # noqa: E402 — the gunicorn/PostgreSQL/locust helpers of the campaign benchmark

ROOT, VENV, RESULTS, HOST = bc.ROOT, bc.VENV, bc.RESULTS, bc.HOST
PER_CLASS = 50


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", default="xinli_bench_load", help="throwaway PostgreSQL database (dropped!)")
    p.add_argument("--key-file", default=str(ROOT / "var" / "bench-keys.json"))
    p.add_argument("--code", default="HEAD", help="commit to serve (git archive export) or 'worktree'")
    p.add_argument("--size", default="small", choices=["tiny", "small"], help="seed_demo size (never the 2M city)")
    p.add_argument("--participants", type=int, default=8000, help="campaign codes to create")
    p.add_argument("--phases", default="60,30,60", help="seconds of baseline, surge, after")
    p.add_argument("--warmup", type=int, default=15, help="seconds of load before the baseline, not measured")
    p.add_argument("--surge-factor", type=float, default=10.0)
    p.add_argument("--pace", type=float, default=2.0, help="factor on every user's request rate (1: the locustfile's periods)")
    p.add_argument("--users", type=int, default=53, help="simulated users (split by the locustfile's weights)")
    p.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    p.add_argument("--threads", type=int, default=4, help="threads per worker (> 1: gthread)")
    p.add_argument("--redis-port", type=int, default=6381, help="port of our own Redis for Huey")
    p.add_argument("--window", type=float, default=5.0, help="seconds per window of the recovery time series")
    p.add_argument("--stop-timeout", type=int, default=20)
    p.add_argument("--skip-setup", action="store_true", help="reuse the database and the unused codes")
    p.add_argument("--out", default="")
    a = p.parse_args(argv)
    if not a.db.replace("_", "").isalnum() or not a.db.islower() or a.db in ("xinli_bench", "xinli_bench_indicators",
                                                                              "postgres"):
        p.error("--db must be a plain lower-case throwaway database name")
    a.phase_s = [int(x) for x in a.phases.split(",")]
    if len(a.phase_s) != 3 or not all(1 <= x <= 600 for x in a.phase_s):
        p.error("--phases: three numbers of seconds, 1..600 each")
    return a


def env_for(args) -> dict:
    env = bc.env_for(args)
    env.update({"XINLI_VAR_DIR": str(ROOT / "var" / "bench-load"), "REDIS_URL": f"redis://{HOST}:{args.redis_port}/0",
                # every simulated client comes from 127.0.0.1: per-address rate limits (where the served code has
                # them) would refuse most of the load, so they are off (a limit <= 0 turns a bucket off)
                "XINLI_RATE_LOGIN": "0/60", "XINLI_RATE_PORTAL": "0/60"})
    (ROOT / "var" / "bench-load").mkdir(parents=True, exist_ok=True)
    return env


def setup(args, env: dict, codes_file: Path) -> int:
    psql = ["psql", "-h", HOST, "-p", "5432", "-U", "postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c"]
    print(f"== setup: drop and create {args.db}, migrate, seed_demo --size {args.size}", flush=True)
    t0 = time.perf_counter()
    seed_env = {k: v for k, v in env.items() if k != "REDIS_URL"}  # seeding enqueues nothing that needs Redis
    bc.run([*psql, f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)"], env, 120)
    bc.run([*psql, f"CREATE DATABASE {args.db}"], env, 120)
    py = str(VENV / "python")
    bc.run([py, "manage.py", "generate_keys", "--file", env["XINLI_KEY_FILE"]], env, 120)
    bc.run([py, "manage.py", "migrate", "--noinput", "-v", "0"], seed_env, 900)
    accounts_file = ROOT / "var" / f"{args.db}-accounts.json"
    bc.run([py, "manage.py", "seed_demo", "--size", args.size, "--accounts-file", str(accounts_file)], seed_env, 3600,
           stdout=subprocess.DEVNULL)
    print(f"seeded in {time.perf_counter() - t0:.0f} s", flush=True)
    os.environ.pop("REDIS_URL", None)
    bc.django_setup(seed_env)
    from django.db import connection
    from django.utils import timezone

    from xinli.accounts.models import User
    from xinli.screening.campaigns import create_campaign

    eap = User.objects.get(username="eap_officer")
    unit = eap.assignments.get().org_unit
    groups, left, c = [], args.participants, 0
    while left > 0:
        n = min(PER_CLASS, left)
        groups.append({"name": f"部门{c + 1:03d}", "participants": [{"label": f"E{c:04d}-{i:02d}", "minor_under_14": False}
                                                                   for i in range(n)]})
        left, c = left - n, c + 1
    now = timezone.now()
    campaign = create_campaign(eap, name="负载测试职工心理普查（PHQ-9）", kind="workplace", institution="负载测试集团",
                               org_unit=unit, scales=["phq9"], opens_at=now - datetime.timedelta(hours=1),
                               closes_at=now + datetime.timedelta(days=2), groups=groups)
    codes = [p.code for p in campaign.participants.all()]
    random.shuffle(codes)
    bc.write_codes(codes_file, codes)
    print(f"campaign {campaign.pk}: {len(codes)} codes", flush=True)
    connection.close()
    return campaign.pk


def sample(args, data_file: Path) -> None:
    """What the simulated users need, read (and decrypted) through the ORM: accounts, ID numbers and names in the
    township worker's area, SMD patients of the county psychiatrist, articles, counties, site coordinates, units."""
    from django.db import connection

    from xinli.accounts.models import User
    from xinli.archives.selectors import visible_persons
    from xinli.hotline.models import Line
    from xinli.network.models import Site
    from xinli.outreach.models import Article
    from xinli.regions.models import OrgUnit
    from xinli.smd.selectors import clinical_patients

    accounts_file = ROOT / "var" / f"{args.db}-accounts.json"
    accounts = {a["username"]: a for a in json.loads(accounts_file.read_text())}
    worker = User.objects.get(username="township_worker")
    doctor = User.objects.get(username="psychiatrist")
    persons = [(p.id_number, p.name) for p in visible_persons(worker).select_related(None).order_by("?")
               .only("id", "id_number", "name")[:500]]
    patients = list(clinical_patients(doctor).order_by("?").values_list("pk", "consent_community")[:200])
    city = OrgUnit.objects.get(level="city")
    villages = list(OrgUnit.objects.filter(level="village", path__startswith=city.path).order_by("?")
                    .values_list("code", flat=True)[:20])
    sites = Site.objects.filter(latitude__isnull=False).order_by("?")[:50]
    data = {
        "accounts": {role: {"username": u, "password": accounts[u]["password"]} for role, u in
                     (("staff", "township_worker"), ("smd", "psychiatrist"), ("hotline", "hotline_operator"),
                      ("officer", "city_officer"))},
        "persons": persons, "smd_patients": patients,
        "line": Line.objects.order_by("pk").values_list("pk", flat=True).first(),
        "articles": list(Article.objects.filter(state="published").values_list("pk", flat=True)[:100]),
        "counties": list(OrgUnit.objects.filter(level="county").values_list("pk", flat=True)),
        "near": [f"{s.latitude},{s.longitude}" for s in sites] or ["36.07,120.38"],
        "dashboard_units": ["", *list(OrgUnit.objects.filter(level="county").values_list("code", flat=True)), *villages],
    }
    missing = [k for k in ("persons", "smd_patients", "line", "articles") if not data[k]]
    if missing:
        raise SystemExit(f"the seeded database lacks {missing}: use --size small (with the demo activity)")
    data_file.write_text(json.dumps(data, ensure_ascii=False))
    data_file.chmod(0o600)
    print(f"sampled {len(persons)} persons, {len(patients)} SMD patients, "
          f"{len(data['articles'])} articles sampled", flush=True)
    connection.close()


def start_redis(port: int, log_dir: Path) -> subprocess.Popen:
    # (not bc.port_free: connections of a Redis stopped a moment ago linger in TIME_WAIT on the port; redis-server
    # binds with SO_REUSEADDR and exits if another server listens there, which the poll below sees)
    if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True).stdout.strip() == "PONG":
        raise SystemExit(f"a Redis already answers on {HOST}:{port}; pass another --redis-port")
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
                             "--dir", str(log_dir)], stdout=(log_dir / f"redis-{port}.log").open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(100):
        if proc.poll() is not None:
            raise SystemExit(f"redis-server on {port} exited; see {log_dir / f'redis-{port}.log'}")
        if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True).stdout.strip() == "PONG":
            return proc
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"redis-server on {port} did not start")


def start_huey(env: dict, log_path: Path) -> subprocess.Popen:
    return subprocess.Popen([str(VENV / "python"), "manage.py", "run_huey", "--workers", "2", "--worker-type", "thread"],
                            cwd=bc.APP, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen | None, sig=15) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, 9)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def pct(values: list[float], q: float) -> float:
    return round(bc.percentile(values, q), 1) if values else None


def stats(rows: list[list], span: float) -> dict:
    lat = sorted(r[2] for r in rows)
    errors = sum(1 for r in rows if not r[4])
    return {"requests": len(rows), "per_s": round(len(rows) / max(span, 1e-9), 1), "errors": errors,
            "error_rate": round(errors / len(rows), 4) if rows else 0.0,
            "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95), "p99_ms": pct(lat, 99), "max_ms": round(lat[-1], 1) if lat else None}


def analyse(rows: list[list], t0: float, phases: list[int], window: float) -> dict:
    """Per phase and endpoint statistics (by request start), the windows of the whole run and the recovery time."""
    bounds = {"baseline": (0, phases[0]), "surge": (phases[0], phases[0] + phases[1]),
              "after": (phases[0] + phases[1], sum(phases))}
    out: dict = {"phases": {}}
    for phase, (a, b) in bounds.items():
        sel = [r for r in rows if a <= r[1] - t0 < b]
        names = sorted({r[0] for r in sel})
        out["phases"][phase] = {"seconds": b - a, "all": stats(sel, b - a),
                                "endpoints": {n: stats([r for r in sel if r[0] == n], b - a) for n in names}}
    buckets: dict[int, list[list]] = {}
    for r in rows:
        if r[1] >= t0:
            buckets.setdefault(int((r[1] - t0) // window), []).append(r)
    out["windows"] = [{"from_s": round(k * window, 1), "per_s": round(len(v) / window, 1),
                       "submissions_per_s": round(sum(1 for r in v if r[0] == "campaign submission") / window, 1),
                       "p95_ms": pct(sorted(r[2] for r in v), 95), "errors": sum(1 for r in v if not r[4])}
                      for k, v in sorted(buckets.items()) if k * window < sum(phases)]
    # The reference: p95 of all requests over the second half of the baseline (warm caches, steady state).
    base = sorted(r[2] for r in rows if phases[0] / 2 <= r[1] - t0 < phases[0])
    ref = bc.percentile(base, 95) if base else None
    out["baseline_p95_ms_steady"] = round(ref, 1) if ref else None
    surge_end = phases[0] + phases[1]
    recovery = None
    if ref:
        for w in out["windows"]:
            if w["from_s"] >= surge_end and w["p95_ms"] is not None and w["p95_ms"] <= ref * 1.1:
                recovery = round(w["from_s"] - surge_end, 1)
                break
    out["recovery_s"] = recovery  # None: not back within the run
    return out


def loadavg() -> list[str]:
    return Path("/proc/loadavg").read_text().split()[:3]


def markdown(result: dict) -> str:
    lines = [f"### Mixed load {result['started']} ({result['gunicorn']['command']})", "",
             f"Load average before {' '.join(result['loadavg_before'])}, after {' '.join(result['loadavg_after'])} "
             f"(shared 2-core machine); served {result['code']}.", ""]
    for phase, ph in result["analysis"]["phases"].items():
        a = ph["all"]
        lines += [f"**{phase}** ({ph['seconds']} s): {a['requests']} requests, {a['per_s']}/s, {a['errors']} errors "
                  f"({100 * a['error_rate']:.2f} %), p50/p95/p99 {a['p50_ms']}/{a['p95_ms']}/{a['p99_ms']} ms", "",
                  "| endpoint | requests | /s | errors | p50 ms | p95 ms | p99 ms |", "|---|---:|---:|---:|---:|---:|---:|"]
        for name, s in ph["endpoints"].items():
            lines.append(f"| {name} | {s['requests']} | {s['per_s']} | {s['errors']} | {s['p50_ms']} | {s['p95_ms']} | "
                         f"{s['p99_ms']} |")
        lines.append("")
    r = result["rows"]
    an = result["analysis"]
    lines += [f"Campaign submissions: {r['responses_201']} answered 201, {r['assessments_stored']} assessments stored, "
              f"{r['participants_completed']} codes completed; lost (201 without row) {r['lost_201_without_row']}, "
              f"extra (row without 201) {r['extra_row_without_201']}.",
              f"Recovery: baseline steady p95 {an['baseline_p95_ms_steady']} ms; p95 back within 10 % of it "
              f"{an['recovery_s']} s after the surge ended" if an["recovery_s"] is not None else
              f"Recovery: p95 NOT back within 10 % of the baseline ({an['baseline_p95_ms_steady']} ms) before the run ended",
              "", "Windows (" + f"{result['window_s']:.0f} s" + "): " + ", ".join(
                  f"{w['from_s']:.0f}s {w['per_s']}/s ({w['submissions_per_s']} sub/s) p95 {w['p95_ms']}" for w in an["windows"])]
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    bc.APP, code_desc = bc.prepare_code(args.code)
    print(f"== serving {code_desc}", flush=True)
    env = env_for(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    codes_file = ROOT / "var" / f"{args.db}-codes.txt"
    data_file = ROOT / "var" / f"{args.db}-load.json"
    state_file = ROOT / "var" / f"{args.db}-state.json"
    if args.skip_setup:
        state = json.loads(state_file.read_text())
        campaign_id = state["campaign"]
        bc.django_setup({k: v for k, v in env.items() if k != "REDIS_URL"})
        bc.write_codes(codes_file, bc.unused_codes(campaign_id))
    else:
        campaign_id = setup(args, env, codes_file)
        state_file.write_text(json.dumps({"db": args.db, "campaign": campaign_id, "code": code_desc}))
    sample(args, data_file)
    available = len([c for c in codes_file.read_text().splitlines() if c.strip()])
    before = bc.count_rows(campaign_id)

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    prefix = RESULTS / f"load-{stamp}"
    log_dir = ROOT / "var" / "bench-load"
    request_log = Path(f"{prefix}-requests.jsonl")
    port = bc.free_port()
    cmd = bc.gunicorn_cmd(argparse.Namespace(workers=args.workers, threads=args.threads), port)
    la_before = loadavg()
    machine = bc.machine_info()
    redis = huey = server = None
    try:
        redis = start_redis(args.redis_port, log_dir)
        huey = start_huey(env, log_dir / f"huey-{stamp}.log")
        print("== gunicorn:", " ".join(cmd[1:]), flush=True)
        server = bc.start_gunicorn(cmd, env, port, Path(f"{prefix}-gunicorn.log"))
        sampler = bc.CpuSampler(server.pid)
        sampler.start()
        m0 = bc.machine_cpu()
        total = args.warmup + sum(args.phase_s)
        lenv = dict(env, LOAD_DATA=str(data_file), CAMPAIGN_CODES=str(codes_file), LOAD_LOG=str(request_log),
                    LOAD_PHASES=args.phases, LOAD_WARMUP=str(args.warmup), LOAD_SURGE_FACTOR=str(args.surge_factor), LOAD_PACE=str(args.pace))
        lcmd = [str(VENV / "locust"), "-f", str(ROOT / "bench" / "locustfile_mixed.py"), "--headless", "-u", str(args.users),
                "-r", str(args.users), "-t", f"{total}s", "--stop-timeout", str(args.stop_timeout), "--host",
                f"http://{HOST}:{port}", "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"]
        print("== locust:", " ".join(lcmd[1:]), flush=True)
        rc, locust_cpu = bc.wait_with_rusage(subprocess.Popen(lcmd, cwd=ROOT, env=lenv, stdout=subprocess.DEVNULL),
                                             total + args.stop_timeout + 120)
        m1 = bc.machine_cpu()
        cpu = sampler.stop()
        cpu["locust"] = round(locust_cpu, 2)
    finally:
        bc.stop_gunicorn(server) if server else None
        stop(huey)
        stop(redis)
    la_after = loadavg()
    rows, summary = bc.read_request_log(request_log)
    t0 = summary["t0"] + args.warmup  # phases count from the end of the warm-up
    an = analyse(rows, t0, args.phase_s, args.window)
    ok_codes = {r[5] for r in rows if r[0] == "campaign submission" and r[4]}
    after = bc.count_rows(campaign_id, ok_codes, before["done"])
    result = {
        "benchmark": "load", "started": stamp, "code": code_desc, "database": args.db, "size": args.size,
        "machine": machine, "loadavg_before": la_before, "loadavg_after": la_after, "postgresql": bc.postgres_info(args.db),
        "gunicorn": {"command": " ".join(cmd[1:]), "workers": args.workers, "threads": args.threads},
        "huey": {"redis": f"{HOST}:{args.redis_port}", "workers": 2},
        "locust": {"users": args.users, "phases_s": args.phase_s, "surge_factor": args.surge_factor, "pace": args.pace,
                   "warmup_s": args.warmup, "exit_code": rc, "codes_available": available, "codes_taken": summary.get("codes_taken"),
                   "codes_exhausted": summary.get("exhausted")},
        "window_s": args.window, "analysis": an,
        "rows": {"responses_201": len(ok_codes), "assessments_stored": after["assessments"] - before["assessments"],
                 "participants_completed": after["participants_completed"] - before["participants_completed"],
                 "participants_with_2plus_assessments": after["participants_with_2plus_assessments"],
                 "lost_201_without_row": after["lost"], "extra_row_without_201": after["extra"]},
        "cpu_seconds": cpu, "machine_cpu_seconds": {k: round(m1[k] - m0[k], 1) for k in m1},
        "requests_log": str(request_log.relative_to(ROOT)),
    }
    result["valid_run"] = not summary.get("exhausted")
    out = Path(args.out) if args.out else RESULTS / f"load-{stamp}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(markdown(result))
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    lost = result["rows"]["lost_201_without_row"] + result["rows"]["extra_row_without_201"]
    return 0 if result["valid_run"] and lost == 0 else 1


if __name__ == "__main__":
    shutil.which("redis-server") or sys.exit("redis-server not found")
    sys.exit(main())
