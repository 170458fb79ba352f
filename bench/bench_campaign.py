"""School-campaign load test with locust on loopback against gunicorn + PostgreSQL (issue 3), see BENCHMARKS.md.

    .venv/bin/pip install -e ".[bench]"                       # locust (make bench-campaign does this)
    .venv/bin/python bench/bench_campaign.py                   # set up, then 50 users for 60 s
    .venv/bin/python bench/bench_campaign.py --users 5 --seconds 5 --participants 2000    # smoke run
    .venv/bin/python bench/bench_campaign.py --workers 3 --skip-setup

Steps: (1) drop/create the PostgreSQL database xinli_bench_campaign, migrate, seed the tiny demo (no activity) and
create, through the campaign service, one open PHQ-9 campaign for a senior high school (no under-14s) with enough
one-time codes; (2) start gunicorn (sync workers, no DEBUG) on 127.0.0.1; (3) run locust headless; (4) count the
rows: assessments of the campaign and participants marked completed must equal locust's successful submissions
(zero lost); (5) print and save bench/results/campaign-<time>.json. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
TARGET_RPS, TARGET_P95_MS = 200.0, 250.0


def env_for(db: str) -> dict:
    env = dict(os.environ)
    env.update({"DATABASE_URL": f"postgres://postgres@{HOST}:5432/{db}", "XINLI_KEY_FILE": str(ROOT / "var" / "bench-keys.json"),
                "XINLI_DEMO": "1", "DJANGO_SETTINGS_MODULE": "xinli.settings", "XINLI_NOTIFY_CHANNELS": ""})
    env.pop("XINLI_DEBUG", None)
    return env


def setup(db: str, participants: int, codes_file: Path) -> int:
    psql = ["psql", "-h", HOST, "-U", "postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], check=True)
    subprocess.run([*psql, f"CREATE DATABASE {db}"], check=True)
    env = env_for(db)
    py = str(VENV / "python")
    subprocess.run([py, "manage.py", "generate_keys", "--file", env["XINLI_KEY_FILE"]], cwd=ROOT, env=env, check=True)
    subprocess.run([py, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([py, "manage.py", "seed_demo", "--size", "tiny", "--no-activity", "--accounts-file",
                    str(ROOT / "var" / f"{db}-accounts.json")], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    os.environ.update(env)
    import django

    django.setup()
    from django.utils import timezone

    from xinli.accounts.models import User
    from xinli.screening.campaigns import create_campaign

    psy = User.objects.get(username="school_psychologist")
    unit = psy.assignments.get().org_unit
    per_class = 50
    classes = -(-participants // per_class)
    groups = [{"grade": f"高{1 + c // 100}", "name": f"{c % 100 + 1}班",
               "participants": [{"label": f"S{c:03d}-{i:02d}", "minor_under_14": False} for i in range(per_class)]}
              for c in range(classes)]
    now = timezone.now()
    t0 = time.perf_counter()
    campaign = create_campaign(psy, name="负载测试普查", kind="school", institution="青岛市第一中学", org_unit=unit,
                               scales=["phq9"], opens_at=now - datetime.timedelta(hours=1),
                               closes_at=now + datetime.timedelta(days=1), groups=groups)
    codes = [p.code for p in campaign.participants.order_by("?")]
    codes_file.write_text("\n".join(codes) + "\n")
    print(f"campaign {campaign.pk}: {len(codes)} participant codes in {time.perf_counter() - t0:.1f} s -> {codes_file}")
    return campaign.pk


def percentile(histogram: dict, q: float) -> float:
    """Percentile from locust's response-time histogram {rounded ms: count} (the same rounding locust reports)."""
    points = sorted((float(ms), n) for ms, n in histogram.items())
    total = sum(n for _, n in points)
    seen = 0
    for ms, n in points:
        seen += n
        if seen >= q / 100 * total:
            return ms
    return points[-1][0] if points else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def count_rows(db: str, campaign_id: int) -> tuple[int, int]:
    out = subprocess.run(["psql", "-h", HOST, "-U", "postgres", "-X", "-At", "-d", db, "-c",
                          f"SELECT (SELECT count(*) FROM screening_assessment WHERE campaign_id = {int(campaign_id)} AND mode = 'campaign'), "
                          f"(SELECT count(*) FROM screening_participant WHERE campaign_id = {int(campaign_id)} AND completed_at IS NOT NULL)"],
                         check=True, capture_output=True, text=True).stdout.strip()
    a, p = out.split("|")
    return int(a), int(p)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="xinli_bench_campaign")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--participants", type=int, default=20_000, help="codes to create (more than the run can use)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2 measured best on 2 cores)")
    parser.add_argument("--skip-setup", action="store_true", help="reuse the database and codes of the last setup")
    args = parser.parse_args(argv)
    if not args.db.replace("_", "").isalnum() or not 1 <= args.seconds <= 600 or not 1 <= args.users <= 500:
        parser.error("bad --db, --seconds (1–600) or --users (1–500)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    codes_file = ROOT / "var" / f"{args.db}-codes.txt"
    state_file = ROOT / "var" / f"{args.db}-campaign.json"
    if args.skip_setup:
        campaign_id = json.loads(state_file.read_text())["campaign"]
        # Drop the codes already used by earlier runs.
        used = count_rows(args.db, campaign_id)[1]
        print(f"reusing campaign {campaign_id}; {used} codes already used")
    else:
        campaign_id = setup(args.db, args.participants, codes_file)
        state_file.write_text(json.dumps({"campaign": campaign_id}))
    before = count_rows(args.db, campaign_id)
    if args.skip_setup:
        # Keep only codes not yet completed (the file order is random; completed ones would fail as "already used").
        os.environ.update(env_for(args.db))
        import django

        django.setup()
        from xinli.screening.models import Participant

        fresh = [p.code for p in Participant.objects.filter(campaign_id=campaign_id, completed_at__isnull=True)]
        codes_file.write_text("\n".join(fresh) + "\n")

    port = free_port()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    server = subprocess.Popen([str(VENV / "gunicorn"), "xinli.wsgi", "--bind", f"{HOST}:{port}", "--workers", str(args.workers),
                               "--worker-class", "sync", "--backlog", "2048"], cwd=ROOT, env=env_for(args.db),
                              stdout=subprocess.DEVNULL, stderr=open(RESULTS / f"campaign-gunicorn-{stamp}.log", "w"),
                              start_new_session=True)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        prefix = RESULTS / f"campaign-{stamp}"
        env = dict(os.environ, CAMPAIGN_CODES=str(codes_file))
        cmd = [str(VENV / "locust"), "-f", str(ROOT / "bench" / "locustfile_campaign.py"), "--headless", "-u", str(args.users),
               "-r", str(args.users), "-t", f"{args.seconds}s", "--host", f"http://{HOST}:{port}", "--csv", str(prefix),
               "--only-summary", "--loglevel", "WARNING", "--json-file", f"{prefix}-final"]
        print("running:", " ".join(cmd[1:]))
        subprocess.run(cmd, cwd=ROOT, env=env, timeout=args.seconds + 120)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
    # The final stats (the CSV is a periodic snapshot and can miss the last seconds).
    entry = next(e for e in json.loads(Path(f"{prefix}-final.json").read_text()) if e["name"] == "campaign submission")
    requests, failures = entry["num_requests"], entry["num_failures"]
    rps = requests / max(1e-9, entry["last_request_timestamp"] - entry["start_time"])
    p50, p95, p99 = (percentile(entry["response_times"], q) for q in (50, 95, 99))
    after = count_rows(args.db, campaign_id)
    stored, completed = after[0] - before[0], after[1] - before[1]
    ok = requests - failures
    result = {
        "started": stamp, "users": args.users, "seconds": args.seconds, "gunicorn_workers": args.workers,
        "requests": requests, "failures": failures, "submissions_per_second": rps, "p50_ms": p50, "p95_ms": p95,
        "p99_ms": p99, "assessments_stored": stored, "participants_completed": completed,
        # Requests still in flight when locust stops are stored by the server but never counted by the client.
        "lost": max(0, ok - stored), "in_flight_at_stop": max(0, stored - ok),
        "meets_target": (rps >= TARGET_RPS and p95 < TARGET_P95_MS and failures == 0 and stored >= ok
                         and stored - ok <= args.users and stored == completed),
    }
    (RESULTS / f"campaign-{stamp}.json").write_text(json.dumps(result, indent=1))
    print(f"{requests} submissions, {failures} failures, {rps:.1f} submissions/s, p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms")
    print(f"rows: {stored} assessments stored, {completed} codes completed, successful submissions {ok} -> "
          f"lost {result['lost']}, in flight when the client stopped {result['in_flight_at_stop']}")
    print(f"target (>= {TARGET_RPS:.0f}/s, p95 < {TARGET_P95_MS:.0f} ms, no errors, none lost): {'met' if result['meets_target'] else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
