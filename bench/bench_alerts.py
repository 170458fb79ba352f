"""Alert benchmarks on PostgreSQL (issue 4), see bench/BENCHMARKS.md.

    .venv/bin/python bench/bench_alerts.py setup        # drop/create xinli_bench_alerts, migrate, seed the tiny demo
    .venv/bin/python bench/bench_alerts.py latency      # critical PHQ-9 submitted -> alert visible to the team (API)
    .venv/bin/python bench/bench_alerts.py escalation   # deadline passed -> escalated, with the Huey worker on Redis
    .venv/bin/python bench/bench_alerts.py sweeper      # escalate 100,000 overdue alerts in one sweep (alerts/s)
    .venv/bin/python bench/bench_alerts.py all

* latency: gunicorn (2 sync workers) on 127.0.0.1; the demo counsellor POSTs a PHQ-9 with item 9 positive for a
  resident of their township (one new person each time); the township crisis team polls GET /api/v1/alerts/?person=
  until the alert is there. Latency = from just before the POST to the first poll that sees it.
* escalation: the township's red deadline is set to 1 minute (a DeadlinePolicy row); red alerts are raised at random
  moments over about 2 minutes while ``manage.py run_huey`` runs with REDIS_URL (RedisHuey, the production queue);
  delay = escalation time (the ESCALATED event) minus the deadline it escalated.
* sweeper: 100,000 overdue alerts are inserted directly (benchmark fixture, no persons), then one
  ``escalate_overdue()`` call escalates them all; reports alerts/s and checks every alert escalated exactly once.

Only 127.0.0.1 is contacted (PostgreSQL 5432, Redis 6379 database 15, the gunicorn port).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = str(ROOT / ".venv" / "bin" / "python")
HOST = "127.0.0.1"


def env_for(db: str) -> dict:
    env = dict(os.environ)
    env.update({"DATABASE_URL": f"postgres://postgres@{HOST}:5432/{db}",
                "XINLI_KEY_FILE": str(ROOT / "var" / "bench-keys.json"), "XINLI_DEMO": "1",
                "DJANGO_SETTINGS_MODULE": "xinli.settings", "XINLI_NOTIFY_CHANNELS": ""})
    env.pop("XINLI_DEBUG", None)
    return env


def django_setup(db: str) -> None:
    os.environ.update(env_for(db))
    import django

    django.setup()


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def summary(values) -> str:
    return (f"n={len(values)} p50={pct(values, 50):.1f} p95={pct(values, 95):.1f} p99={pct(values, 99):.1f} "
            f"max={max(values):.1f}")


# --- setup -----------------------------------------------------------------------------------------------------------

def setup(args) -> None:
    db = args.db
    psql = ["psql", "-h", HOST, "-U", "postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], check=True)
    subprocess.run([*psql, f"CREATE DATABASE {db}"], check=True)
    env = env_for(db)
    subprocess.run([PY, "manage.py", "generate_keys", "--file", env["XINLI_KEY_FILE"]], cwd=ROOT, env=env, check=True)
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PY, "manage.py", "seed_demo", "--size", "tiny", "--no-activity", "--accounts-file", str(accounts_file(db))],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"set up {db}")


def accounts_file(db: str) -> Path:
    return ROOT / "var" / f"{db}-accounts.json"


# --- latency ---------------------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _request(port, method, path, body=None, token=None):
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    try:
        return resp.status, json.loads(data or b"null")
    except ValueError:
        return resp.status, data.decode("utf-8", "replace")


def latency(args) -> dict:
    django_setup(args.db)
    from xinli.accounts.models import User
    from xinli.archives.models import Person

    accounts = {a["username"]: a["password"] for a in json.loads(accounts_file(args.db).read_text())}
    counsellor = User.objects.get(username="counsellor")
    township = counsellor.assignments.get().org_unit
    people = list(Person.objects.filter(org_path__startswith=township.path).values_list("pk", flat=True))
    random.Random(1).shuffle(people)
    people = people[: args.n]
    port = _free_port()
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "xinli.wsgi", "--bind", f"{HOST}:{port}",
                               "--workers", "2"], cwd=ROOT, env=env_for(args.db), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(100):
            try:
                if _request(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        tokens = {u: _request(port, "POST", "/api/v1/auth/token/", {"username": u, "password": accounts[u]})[1]["token"]
                  for u in ("counsellor", "crisis_township")}
        results, submit_ms = [], []
        for pk in people:
            t0 = time.perf_counter()
            status, body = _request(port, "POST", "/api/v1/assessments/",
                                    {"scale": "phq9", "person": pk, "answers": [0, 1, 0, 1, 0, 0, 1, 0, 2]}, tokens["counsellor"])
            submit_ms.append((time.perf_counter() - t0) * 1000)
            assert status == 201 and body["critical_items"] == ["9"], (status, body)
            deadline = t0 + 10
            while time.perf_counter() < deadline:
                status, listing = _request(port, "GET", f"/api/v1/alerts/?person={pk}", token=tokens["crisis_township"])
                if status == 200 and listing["results"]:
                    results.append((time.perf_counter() - t0) * 1000)
                    break
            else:
                results.append(float("inf"))
        print(f"POST assessment ms: {summary(submit_ms)}")
        print(f"alert visible ms:   {summary(results)}  (target p95 < 1000 ms: {'met' if pct(results, 95) < 1000 else 'MISSED'})")
        return {"latency_ms": {"p50": pct(results, 50), "p95": pct(results, 95), "p99": pct(results, 99), "max": max(results), "n": len(results)}}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)


# --- escalation delay with the worker ----------------------------------------------------------------------------

def escalation(args) -> dict:
    django_setup(args.db)
    from django.utils import timezone

    from xinli.accounts.models import User
    from xinli.alerts.models import Alert, AlertEvent, DeadlinePolicy
    from xinli.alerts.services import report

    worker_user = User.objects.get(username="village_worker")
    village = worker_user.assignments.get().org_unit
    township = village.parent
    DeadlinePolicy.objects.update_or_create(org_unit=township, level="red", defaults={"ack_minutes": 1, "contact_minutes": 60})
    env = env_for(args.db) | {"REDIS_URL": "redis://127.0.0.1:6379/15"}
    subprocess.run(["redis-cli", "-n", "15", "FLUSHDB"], check=False, stdout=subprocess.DEVNULL)
    consumer = subprocess.Popen([PY, "manage.py", "run_huey", "--quiet"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=open(ROOT / "bench" / "results" / "huey-escalation.log", "w"), start_new_session=True)
    ids = []
    try:
        rng = random.Random(2)
        t_end = time.time() + args.spread
        while time.time() < t_end and len(ids) < args.alerts:
            ids.append(report(worker_user, level="red", summary="bench", org_unit=village).pk)
            time.sleep(rng.uniform(0, 2 * args.spread / args.alerts))
        print(f"raised {len(ids)} red alerts over {args.spread} s; waiting for the sweeper ...")
        give_up = time.time() + 60 + args.spread + 120
        while time.time() < give_up:
            if AlertEvent.objects.filter(alert_id__in=ids, kind="escalated").values("alert").distinct().count() == len(ids):
                break
            time.sleep(2)
    finally:
        os.killpg(consumer.pid, signal.SIGTERM)
        consumer.wait(20)
    delays = []
    for e in AlertEvent.objects.filter(alert_id__in=ids, kind="escalated").order_by("alert_id", "at"):
        if e.detail.get("deadline") and e.alert_id not in {d[0] for d in delays}:
            deadline = timezone.datetime.fromisoformat(e.detail["deadline"])
            delays.append((e.alert_id, (e.at - deadline).total_seconds()))
    missing = len(ids) - len(delays)
    values = [d for _, d in delays]
    twice = Alert.objects.filter(pk__in=ids, escalations__gt=2).count()
    print(f"escalation delay s: {summary(values)}  not escalated: {missing}  "
          f"(target p95 < 60 s: {'met' if values and not missing and pct(values, 95) < 60 else 'MISSED'})")
    Alert.objects.filter(pk__in=ids).update(state="closed", outcome="false_alarm")  # leave no open bench alerts
    return {"escalation_delay_s": {"p50": pct(values, 50), "p95": pct(values, 95), "max": max(values), "n": len(values),
                                   "not_escalated": missing, "more_than_two_escalations": twice}}


# --- sweeper throughput ------------------------------------------------------------------------------------------

def sweeper(args) -> dict:
    django_setup(args.db)
    import datetime

    from django.utils import timezone

    from xinli.accounts.models import User
    from xinli.alerts.models import Alert, AlertEvent
    from xinli.alerts.services import escalate_overdue

    village = User.objects.get(username="village_worker").assignments.get().org_unit
    township = village.parent
    Alert.objects.exclude(state="closed").update(state="closed", outcome="false_alarm")
    now = timezone.now()
    past = now - datetime.timedelta(minutes=5)
    t0 = time.perf_counter()
    batch = []
    for i in range(args.alerts):
        batch.append(Alert(level="red", source="manual", cause="bench", summary="", subject_key=f"bench:{now.timestamp()}:{i}",
                           org_unit=village, org_path=village.path, county_code=village.county_code, owner_unit=township,
                           created_at=past, ack_due_at=past, contact_due_at=now, last_signal_at=past))
        if len(batch) == 5000:
            Alert.objects.bulk_create(batch)
            batch = []
    Alert.objects.bulk_create(batch)
    ids = set(Alert.objects.filter(cause="bench", state="new").values_list("pk", flat=True))
    print(f"inserted {len(ids)} overdue alerts in {time.perf_counter() - t0:.1f} s; sweeping ...")
    t1 = time.perf_counter()
    done = escalate_overdue(now=now, max_alerts=args.alerts + 10)
    seconds = time.perf_counter() - t1
    once = AlertEvent.objects.filter(alert_id__in=ids, kind="escalated").count()
    print(f"escalated {done} alerts in {seconds:.1f} s = {done / seconds:.0f} alerts/s; escalation events {once} "
          f"(each alert exactly once: {once == len(ids) == done})")
    Alert.objects.filter(pk__in=ids).update(state="closed", outcome="false_alarm")
    return {"sweeper": {"alerts": done, "seconds": round(seconds, 2), "alerts_per_second": round(done / seconds, 1),
                        "exactly_once": once == len(ids) == done}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["setup", "latency", "escalation", "sweeper", "all"])
    parser.add_argument("--db", default="xinli_bench_alerts")
    parser.add_argument("-n", type=int, default=60, help="latency: submissions (one resident each)")
    parser.add_argument("--alerts", type=int, default=None, help="escalation: alerts raised (50); sweeper: alerts (100000)")
    parser.add_argument("--spread", type=int, default=120, help="escalation: seconds over which alerts are raised")
    args = parser.parse_args(argv)
    if not args.db.replace("_", "").isalnum():
        parser.error("--db must be a plain identifier")
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    out = {}
    if args.what in ("setup", "all"):
        setup(args)
    if args.what in ("latency", "all"):
        out |= latency(args)
    if args.what in ("escalation", "all"):
        args.alerts = args.alerts or 50
        out |= escalation(args)
    if args.what in ("sweeper", "all"):
        args.alerts = args.alerts if args.what == "sweeper" and args.alerts else 100_000
        out |= sweeper(args)
    if out:
        path = ROOT / "bench" / "results" / f"alerts-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
        path.write_text(json.dumps(out, indent=1, default=str))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
