"""Fault scripts (issue 9 part 4): each breaks one piece under work and prints what was lost (must be 0).

    make bench-faults                                  # all four, on our own PostgreSQL cluster and Redis, then cleanup
    .venv/bin/python bench/bench_faults.py pg-restart  # or huey-kill, redis-down, disk-full, all
    .venv/bin/python bench/bench_faults.py all --keep  # keep the cluster (port 5433) for another run

Everything runs against servers this script starts and removes: a PostgreSQL cluster ``15/xinlifault`` on port
5433 (``pg_createcluster``; the main server on 5432 is never touched), database xinli_bench_faults seeded with
``seed_demo --size tiny --no-activity``, a Redis on port 6382 (no persistence), a Huey consumer and gunicorn from the
served code (``--code``, default the working tree, because the fault handling may not be committed yet; ``HEAD``
or any commit is exported with git archive as in bench_campaign.py). Rate limits are off (every client is
127.0.0.1). Every wait is bounded.

pg-restart  Clients (threads) submit campaign codes with an ``Idempotency-Key`` and retry the same key on connection
            errors and 5xx; PostgreSQL is restarted twice (``-m fast``, then ``-m immediate``: a crash and WAL
            recovery), then every gunicorn worker is killed mid-request (responses lost after the commit). Lost = acknowledged (201, or 200 for a replayed key) codes without their assessment;
            duplicated = codes with two assessments; Django reconnects (CONN_HEALTH_CHECKS).
huey-kill   Overdue red alerts; a sweep task is queued in Redis; once part of them is escalated the consumer is
            killed with SIGKILL; a new consumer's periodic sweep (every minute) finishes the rest. Huey drops a task
            whose worker died (no acknowledgement), so the guarantee comes from the sweeper model: deadlines are rows
            claimed by conditional UPDATEs. Lost = alerts never escalated; twice = alerts with two escalations.
redis-down  Redis is shut down; campaign submissions that raise alerts (e-mail/SMS deliveries queued on commit), a
            report request, portal pages and the self-test are sent: they must succeed. Redis is started again; the
            periodic re-queue sweeps (every 5 minutes, for work older than 2 minutes) send the pending deliveries and
            build the queued report. Lost = failed requests + deliveries not sent + reports not built in the wait.
disk-full   The report table moves to a tablespace on a small tmpfs (``mount -t tmpfs -o size=``); reports are
            requested and built until the disk is full. Lost = a report marked done whose document does not open,
            a failed report without the disk-full message or with content kept, a report left queued/running.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import io
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_campaign as bc  # noqa: E402
import bench_load as bl  # noqa: E402

ROOT, VENV, RESULTS, HOST = bc.ROOT, bc.VENV, bc.RESULTS, bc.HOST
VERSION, CLUSTER, DB = "15", "xinlifault", "xinli_bench_faults"
VAR = ROOT / "var" / "bench-faults"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("fault", choices=["pg-restart", "huey-kill", "redis-down", "disk-full", "all"])
    p.add_argument("--code", default="worktree", help="'worktree' (default) or a commit exported with git archive")
    p.add_argument("--pg-port", type=int, default=5433)
    p.add_argument("--redis-port", type=int, default=6382)
    p.add_argument("--key-file", default=str(ROOT / "var" / "bench-keys.json"))
    p.add_argument("--clients", type=int, default=8, help="pg-restart: client threads")
    p.add_argument("--alerts", type=int, default=1500, help="huey-kill: overdue alerts")
    p.add_argument("--max-wait", type=int, default=480, help="seconds to wait for resumed work")
    p.add_argument("--tmpfs-size", default="1m", help="disk-full: size of the tmpfs holding the report table")
    p.add_argument("--keep", action="store_true", help="keep the cluster and database afterwards")
    a = p.parse_args(argv)
    if a.pg_port == 5432 or a.redis_port == 6379:
        p.error("never the main PostgreSQL (5432) or Redis (6379)")
    return a


def sh(cmd: list[str], timeout: float = 120, check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, timeout=timeout, check=check, capture_output=True, text=True, **kw)


def psql(args, sql: str, db: str = "postgres") -> str:
    return sh(["psql", "-h", HOST, "-p", str(args.pg_port), "-U", "postgres", "-X", "-At", "-v", "ON_ERROR_STOP=1",
               "-d", db, "-c", sql]).stdout.strip()


# --- servers ------------------------------------------------------------------------------------------------------

def cluster_up(args) -> None:
    listed = sh(["pg_lsclusters", "-h"]).stdout
    if not any(line.split()[:2] == [VERSION, CLUSTER] for line in listed.splitlines()):
        print(f"== pg_createcluster {VERSION} {CLUSTER} --port {args.pg_port}", flush=True)
        sh(["pg_createcluster", VERSION, CLUSTER, "--port", str(args.pg_port)], timeout=300)
        hba = Path(f"/etc/postgresql/{VERSION}/{CLUSTER}/pg_hba.conf")
        hba.write_text("local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n")
    sh(["pg_ctlcluster", "--skip-systemctl-redirect", VERSION, CLUSTER, "start"], timeout=120, check=False)
    wait_pg(args, 60)


def cluster_down(args) -> None:
    sh(["pg_dropcluster", VERSION, CLUSTER, "--stop"], timeout=300, check=False)
    print(f"== dropped cluster {VERSION}/{CLUSTER}", flush=True)


def wait_pg(args, limit: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if sh(["pg_isready", "-h", HOST, "-p", str(args.pg_port)], check=False).returncode == 0:
            return time.monotonic() - t0
        time.sleep(0.1)
    raise SystemExit(f"PostgreSQL on {args.pg_port} not ready in {limit} s")


def env_for(args, redis: bool = False, channels: str = "") -> dict:
    env = bl.env_for(argparse.Namespace(db=DB, key_file=args.key_file, redis_port=args.redis_port))
    env.update({"DATABASE_URL": f"postgres://postgres@{HOST}:{args.pg_port}/{DB}", "XINLI_VAR_DIR": str(VAR),
                "XINLI_NOTIFY_CHANNELS": channels})
    if not redis:
        env.pop("REDIS_URL", None)
    VAR.mkdir(parents=True, exist_ok=True)
    return env


def database(args) -> None:
    if psql(args, f"SELECT 1 FROM pg_database WHERE datname = '{DB}'") == "1" and args.keep:
        return
    psql(args, f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    psql(args, f"CREATE DATABASE {DB}")
    env = env_for(args)
    py = str(VENV / "python")
    print(f"== {DB}: migrate, seed_demo --size tiny --no-activity", flush=True)
    bc.run([py, "manage.py", "generate_keys", "--file", env["XINLI_KEY_FILE"]], env, 120, stdout=subprocess.DEVNULL)
    bc.run([py, "manage.py", "migrate", "--noinput", "-v", "0"], env, 900)
    bc.run([py, "manage.py", "seed_demo", "--size", "tiny", "--no-activity", "--accounts-file",
            str(VAR / "accounts.json")], env, 900, stdout=subprocess.DEVNULL)


_django_ready = False


def django(args, env: dict) -> None:
    """Django in this process, once, with our Redis as its queue (the huey-kill fault enqueues from here)."""
    global _django_ready
    if not _django_ready:
        os.environ["REDIS_URL"] = f"redis://{HOST}:{args.redis_port}/0"
        bc.django_setup(env)
        _django_ready = True


def campaign(n: int) -> tuple[int, list[str]]:
    from django.db import connection
    from django.utils import timezone

    from xinli.accounts.models import User
    from xinli.screening.campaigns import create_campaign

    eap = User.objects.get(username="eap_officer")
    now = timezone.now()
    groups = [{"name": f"部门{i:03d}", "participants": [{"label": f"F{i:03d}-{j:02d}", "minor_under_14": False}
                                                      for j in range(min(50, n - 50 * i))]} for i in range(-(-n // 50))]
    c = create_campaign(eap, name=f"故障测试普查 {uuid.uuid4().hex[:6]}", kind="workplace", institution="故障测试公司",
                        org_unit=eap.assignments.get().org_unit, scales=["phq9"],
                        opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(days=1), groups=groups)
    codes = [p.code for p in c.participants.all()]
    random.shuffle(codes)
    connection.close()
    return c.pk, codes


def post(port: int, path: str, body: dict, headers: dict | None = None, timeout: float = 30) -> tuple[int, str]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")
    finally:
        conn.close()


def answers(positive: bool = False) -> dict:
    return {"phq9": {str(i): (2 if positive else random.choice((0, 0, 1))) for i in range(1, 10)}}


class Servers:
    """gunicorn (and optionally Redis and a Huey consumer) from the served code, stopped by ``close``."""

    def __init__(self, args, env: dict, redis: bool = False, huey: bool = False, workers: int = 2, threads: int = 4):
        self.args, self.env = args, env
        self.redis = self.huey = self.web = None
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        self.logs = VAR / stamp
        self.logs.mkdir(parents=True, exist_ok=True)
        if redis:
            self.redis = bl.start_redis(args.redis_port, self.logs)
        if huey:
            self.start_huey()
        self.port = bc.free_port()
        cmd = bc.gunicorn_cmd(argparse.Namespace(workers=workers, threads=threads), self.port)
        self.web = bc.start_gunicorn(cmd, env, self.port, self.logs / "gunicorn.log")

    def start_huey(self) -> None:
        self.huey = bl.start_huey(self.env, self.logs / f"huey-{time.monotonic_ns()}.log")

    def close(self) -> None:
        if self.web is not None:
            bc.stop_gunicorn(self.web)
        bl.stop(self.huey)
        bl.stop(self.redis)


# --- a) PostgreSQL restart under load -------------------------------------------------------------------------------

def fault_pg_restart(args) -> dict:
    env = env_for(args)
    django(args, env)
    campaign_id, codes = campaign(6000)
    before = bc.count_rows(campaign_id)
    srv = Servers(args, env)
    lock, stop = threading.Lock(), threading.Event()
    acked: dict[str, tuple[str, int]] = {}
    gave_up: list[str] = []
    counts = {"attempts": 0, "retries": 0, "conn_errors": 0, "5xx": 0, "4xx": 0, "replayed_200": 0}
    pending = list(codes)

    def client():
        while not stop.is_set():
            with lock:
                if not pending:
                    return
                code = pending.pop()
            key, body, t0 = uuid.uuid4().hex, {"code": code, "responses": answers()}, time.monotonic()
            while True:
                with lock:
                    counts["attempts"] += 1
                try:
                    status, text = post(srv.port, "/api/v1/campaign-submissions/", body, {"Idempotency-Key": key})
                except OSError:
                    status, text = 0, ""
                if status in (200, 201):
                    with lock:
                        acked[code] = (key, status)
                        counts["replayed_200"] += status == 200
                    break
                with lock:
                    counts["conn_errors" if status == 0 else "5xx" if status >= 500 else "4xx"] += 1
                if 400 <= status < 500 or time.monotonic() - t0 > 120:
                    with lock:
                        gave_up.append(f"{code} HTTP {status} {text[:120]}")
                    break
                with lock:
                    counts["retries"] += 1
                time.sleep(random.uniform(0.1, 0.4))

    threads = [threading.Thread(target=client, daemon=True) for _ in range(args.clients)]
    restarts = []
    try:
        t_start = time.monotonic()
        for t in threads:
            t.start()
        for at, mode in ((5, "fast"), (15, "immediate")):
            time.sleep(max(0.0, t_start + at - time.monotonic()))
            with lock:
                done_before = len(acked)
            t0 = time.monotonic()
            sh(["pg_ctlcluster", "--skip-systemctl-redirect", "--mode", mode, VERSION, CLUSTER, "restart"], timeout=120)
            restarts.append({"at_s": at, "mode": mode, "acked_before": done_before,
                             "restart_s": round(time.monotonic() - t0 + wait_pg(args, 60), 2)})
            print(f"   restarted PostgreSQL (-m {mode}) at {at} s in {restarts[-1]['restart_s']} s", flush=True)
        # Responses lost after the commit: SIGKILL every gunicorn worker mid-request (the arbiter starts new ones);
        # a client whose request had committed gets its result back (200) when it retries the same key.
        time.sleep(max(0.0, t_start + 20 - time.monotonic()))
        workers = [pid for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
                   if (st := bc.proc_stat(pid)) and st[1] == srv.web.pid]
        for pid in workers:
            os.kill(pid, 9)
        restarts.append({"at_s": 20, "mode": f"SIGKILL {len(workers)} gunicorn workers"})
        print(f"   killed {len(workers)} gunicorn workers with SIGKILL at 20 s", flush=True)
        time.sleep(max(0.0, t_start + 30 - time.monotonic()))
        stop.set()
        for t in threads:
            t.join(150)
    finally:
        stop.set()
        srv.close()
    ok_codes = set(acked)
    after = bc.count_rows(campaign_id, ok_codes, before["done"])
    from django.db import connection

    from xinli.screening.models import Assessment

    keys = [k for k, _s in acked.values()]
    with_key = Assessment.objects.filter(idempotency_key__in=keys).count()
    connection.close()
    return {"fault": "pg-restart", "restarts": restarts, "acknowledged": len(acked), **counts, "gave_up": len(gave_up),
            "gave_up_examples": gave_up[:5], "acked_keys_with_a_row": with_key,
            "participants_completed": after["participants_completed"] - before["participants_completed"],
            "lost": max(after["lost"], len(keys) - with_key),
            "duplicated": after["participants_with_2plus_assessments"],
            "stored_without_ack": after["extra"]}


# --- b) kill -9 a Huey worker mid-sweep -----------------------------------------------------------------------------

def fault_huey_kill(args) -> dict:
    env = env_for(args, redis=True)
    django(args, env)
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from xinli.alerts import services as alerts
    from xinli.alerts.models import Alert, AlertEvent
    from xinli.regions.models import OrgUnit

    srv = Servers(args, env, redis=True, huey=True)
    try:
        village = OrgUnit.objects.filter(level="village").order_by("code").first()
        t0 = time.monotonic()
        ids = [alerts.raise_alert(alerts.Signal(level="red", source="emergency", cause="emergency", summary="故障测试",
                                                org_unit=village, person=None)).pk for _ in range(args.alerts)]
        Alert.objects.filter(pk__in=ids).update(ack_due_at=timezone.now() - datetime.timedelta(minutes=1))
        print(f"   {len(ids)} overdue red alerts in {time.monotonic() - t0:.0f} s", flush=True)
        from xinli.alerts.tasks import sweep_alerts_again

        connection.close()
        sweep_alerts_again()  # queued in our Redis; the consumer takes it
        escalated = Alert.objects.filter(pk__in=ids, escalations__gt=0)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and escalated.count() < max(1, len(ids) // 10):
            time.sleep(0.05)
        at_kill = escalated.count()
        bl.stop(srv.huey, sig=9)  # SIGKILL the consumer (and its worker threads) mid-task
        time.sleep(2)
        after_kill = escalated.count()
        print(f"   killed the consumer with SIGKILL at {at_kill}/{len(ids)} escalated ({after_kill} after 2 s)", flush=True)
        srv.start_huey()  # a new consumer: its scheduler runs sweep_alerts at the next minute
        t_restart = time.monotonic()
        while time.monotonic() - t_restart < args.max_wait and escalated.count() < len(ids):
            time.sleep(1)
        resumed_s = round(time.monotonic() - t_restart, 1)
        never = len(ids) - escalated.count()
        twice = Alert.objects.filter(pk__in=ids, escalations__gt=1).count()
        events_twice = (AlertEvent.objects.filter(alert_id__in=ids, kind="escalated").values("alert_id")
                        .annotate(n=Count("id")).filter(n__gt=1).count())
        events = AlertEvent.objects.filter(alert_id__in=ids, kind="escalated").count()
        connection.close()
    finally:
        srv.close()
    return {"fault": "huey-kill", "alerts": len(ids), "escalated_at_kill": at_kill, "escalated_2s_after_kill": after_kill,
            "all_escalated_after_s": resumed_s if never == 0 else None, "escalation_events": events,
            "lost": never, "escalated_twice": twice + events_twice}


# --- c) Redis down --------------------------------------------------------------------------------------------------

def login(port: int, username: str, password: str) -> tuple[http.client.HTTPConnection, dict]:
    """A session (cookies) after the login form; returns the headers to send."""
    import http.cookies
    import re

    cookies = http.cookies.SimpleCookie()

    def req(method, path, form=None):
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={m.value}" for k, m in cookies.items()), "Referer": f"http://{HOST}:{port}{path}"}
        body = None
        if form is not None:
            import urllib.parse

            if "csrfmiddlewaretoken" not in form and "csrftoken" in cookies:
                form = {**form, "csrfmiddlewaretoken": cookies["csrftoken"].value}
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body, headers)
        resp = conn.getresponse()
        text = resp.read().decode(errors="replace")
        for h in resp.headers.get_all("Set-Cookie") or []:
            cookies.load(h)
        conn.close()
        return resp.status, text

    status, page = req("GET", "/accounts/login/")
    token = (re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page) or [None, ""])[1]
    status, _ = req("POST", "/accounts/login/", {"username": username, "password": password, "csrfmiddlewaretoken": token})
    return req, {"login": status}


def fault_redis_down(args) -> dict:
    env = env_for(args, redis=True, channels="email,sms")
    for name in ("XINLI_RATE_LOGIN", "XINLI_RATE_PORTAL"):
        env.pop(name)  # the production defaults: their counters live in Redis too (a handful of requests stays under)
    django(args, env)
    from django.db import connection

    from xinli.accounts.models import User
    from xinli.alerts.models import Delivery
    from xinli.regions.models import OrgUnit
    from xinli.reports.models import Report

    for u in User.objects.filter(username__startswith="crisis_"):
        u.email, u.mobile = f"{u.username}@example.org", "13900000000"
        u.save(update_fields=["email", "mobile"])
    campaign_id, codes = campaign(20)
    connection.close()
    accounts = {a["username"]: a for a in json.loads((VAR / "accounts.json").read_text())}
    srv = Servers(args, env, redis=True, huey=True)
    results: dict[str, list[int]] = {}
    try:
        req, info = login(srv.port, "city_officer", accounts["city_officer"]["password"])
        if info["login"] != 302:
            raise SystemExit(f"login before the fault failed: HTTP {info['login']}")
        d0 = Delivery.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        r0 = Report.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        sh(["redis-cli", "-p", str(args.redis_port), "shutdown", "nosave"], check=False)
        time.sleep(0.5)
        print("   Redis shut down", flush=True)
        for code in codes[:10]:
            status, _ = post(srv.port, "/api/v1/campaign-submissions/", {"code": code, "responses": answers(True)},
                             {"Idempotency-Key": uuid.uuid4().hex})
            results.setdefault("campaign submission (alert)", []).append(status)
        city = OrgUnit.objects.get(level="city")
        status, _ = req("POST", "/reports/", {"org": city.code, "year": str(datetime.date.today().year)})
        results.setdefault("report request", []).append(status)
        for path in ("/p/", "/p/articles/", "/p/test/phq9/", "/indicators/"):
            status, _ = req("GET", path)
            results.setdefault(f"GET {path}", []).append(status)
        status, _ = req("POST", "/p/test/phq9/", {f"q_{i}": "1" for i in range(1, 10)})
        results.setdefault("POST /p/test/phq9/ (self-test)", []).append(status)
        _req, second = login(srv.port, "county_officer", accounts["county_officer"]["password"])
        results.setdefault("login", []).append(second["login"])
        new_deliveries = list(Delivery.objects.filter(pk__gt=d0).values_list("pk", flat=True))
        new_reports = list(Report.objects.filter(pk__gt=r0).values_list("pk", flat=True))
        print(f"   while down: {results}; {len(new_deliveries)} deliveries and {len(new_reports)} reports waiting", flush=True)
        consumer_alive = srv.huey.poll() is None
        srv.redis = bl.start_redis(args.redis_port, srv.logs)  # Redis back (empty: nothing was persisted)
        t_back = time.monotonic()
        if not consumer_alive or srv.huey.poll() is not None:
            srv.start_huey()
        pending = Delivery.objects.filter(pk__in=new_deliveries).exclude(status=Delivery.Status.SENT)
        waiting = Report.objects.filter(pk__in=new_reports).exclude(state=Report.State.DONE)
        while time.monotonic() - t_back < args.max_wait and (pending.exists() or waiting.exists()):
            time.sleep(2)
        resumed = round(time.monotonic() - t_back, 1)
        not_sent, not_built = pending.count(), waiting.count()
        connection.close()
    finally:
        srv.close()
    ok = {"campaign submission (alert)": (201,), "report request": (302,), "login": (302,)}
    failed = sum(1 for name, sts in results.items() for s in sts if s not in ok.get(name, (200,)))
    return {"fault": "redis-down", "responses_while_down": results, "consumer_survived_outage": consumer_alive,
            "deliveries_queued_while_down": len(new_deliveries), "reports_requested_while_down": len(new_reports),
            "resumed_after_s": resumed if not (not_sent or not_built) else None,
            "lost": failed + not_sent + not_built, "failed_requests": failed, "deliveries_not_sent": not_sent,
            "reports_not_built": not_built}


# --- d) disk full while storing reports ----------------------------------------------------------------------------

def fault_disk_full(args) -> dict:
    env = env_for(args)
    django(args, env)
    from django.db import connection
    from docx import Document

    from xinli.accounts.models import User
    from xinli.regions.models import OrgUnit
    from xinli.reports import services
    from xinli.reports.models import Report

    mount = Path(f"/mnt/xinli-fault-{os.getpid()}")
    mount.mkdir(parents=True, exist_ok=True)
    mounted = sh(["mount", "-t", "tmpfs", "-o", f"size={args.tmpfs_size},mode=0700", "tmpfs", str(mount)], check=False)
    if mounted.returncode != 0:
        mount.rmdir()
        return {"fault": "disk-full", "skipped": f"mount -t tmpfs not permitted: {mounted.stderr.strip()}", "lost": None}
    outcomes = {"done": 0, "failed_disk_full": 0, "failed_other": 0, "request_refused": 0}
    bad = []
    try:
        sh(["chown", "postgres:postgres", str(mount)])
        connection.close()
        psql(args, f"CREATE TABLESPACE xinli_fault_small LOCATION '{mount}'")
        # An empty table (reports of earlier runs on this throwaway database would fill the tmpfs at once).
        psql(args, "TRUNCATE reports_report; ALTER TABLE reports_report SET TABLESPACE xinli_fault_small", db=DB)
        officer = User.objects.get(username="city_officer")
        city = OrgUnit.objects.get(level="city")
        year = datetime.date.today().year
        ids = []
        for _ in range(60):
            try:
                ids.append(services.request_report(officer, city, year).pk)  # its queued task is never consumed here
            except Exception as exc:  # noqa: BLE001 — the request itself refused: counted, not lost
                outcomes["request_refused"] += 1
                bad.append(f"request: {type(exc).__name__}: {str(exc)[:100]}")
                connection.close()
                continue
            try:
                services.run(ids[-1])  # what the Huey task runs
            except Exception:  # noqa: BLE001 — recorded on the report, checked below
                connection.close()
        df = sh(["df", "-k", str(mount)]).stdout.splitlines()[-1].split()
        # When even the failure could not be written, the report is left "running". Free the space (the table back
        # on the main disk) and run the re-queue sweep (in this process, as the Huey task would): it takes such
        # reports back and builds them once.
        stuck = list(Report.objects.filter(pk__in=ids, state__in=["queued", "running"]).values_list("pk", flat=True))
        connection.close()
        psql(args, "ALTER TABLE reports_report SET TABLESPACE pg_default", db=DB)
        real_enqueue = services.enqueue_build
        services.enqueue_build = lambda pk: services.run(pk)
        try:
            services.requeue_stuck(older_than=datetime.timedelta(0), running_for=datetime.timedelta(0))
        finally:
            services.enqueue_build = real_enqueue
        rebuilt = Report.objects.filter(pk__in=stuck, state="done").count()
        lost = 0
        for r in Report.objects.filter(pk__in=ids):
            if r.state == "done":
                try:
                    Document(io.BytesIO(bytes(r.content)))
                    outcomes["done"] += 1
                except Exception as exc:  # noqa: BLE001
                    lost += 1
                    bad.append(f"report {r.pk} done but unreadable: {exc}")
            elif r.state == "failed" and r.content is None and "disk is full" in r.error:
                outcomes["failed_disk_full"] += 1
            elif r.state == "failed" and r.content is None:
                outcomes["failed_other"] += 1
                bad.append(f"report {r.pk}: {r.error}")
            else:
                lost += 1
                bad.append(f"report {r.pk} left {r.state} (content {'kept' if r.content else 'none'}): {r.error}")
        example = Report.objects.filter(pk__in=ids, state="failed").values_list("error", flat=True).first()
        connection.close()
    finally:
        connection.close()
        try:
            psql(args, "ALTER TABLE reports_report SET TABLESPACE pg_default", db=DB)
        except subprocess.CalledProcessError:
            pass
        psql(args, "DROP TABLESPACE IF EXISTS xinli_fault_small")
        sh(["umount", str(mount)], check=False)
        mount.rmdir()
    return {"fault": "disk-full", "tmpfs": args.tmpfs_size, "tmpfs_used_kib_of": f"{df[2]}/{df[1]}", **outcomes,
            "left_running_when_full": len(stuck), "rebuilt_after_space_freed": rebuilt,
            "error_example": example, "problems": [b for b in bad if not b.startswith("request")][:5] + bad[:2],
            "lost": lost + outcomes["failed_other"]}


FAULTS = {"pg-restart": fault_pg_restart, "huey-kill": fault_huey_kill, "redis-down": fault_redis_down,
          "disk-full": fault_disk_full}


def main(argv=None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    bc.APP, code_desc = bc.prepare_code(args.code)
    print(f"== serving {code_desc}; load average {' '.join(bl.loadavg())}", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out: dict = {"benchmark": "faults", "code": code_desc, "loadavg_before": bl.loadavg(), "results": []}
    try:
        cluster_up(args)
        database(args)
        for name in (FAULTS if args.fault == "all" else [args.fault]):
            print(f"== fault {name}", flush=True)
            t0 = time.monotonic()
            res = FAULTS[name](args)
            res["seconds"] = round(time.monotonic() - t0, 1)
            out["results"].append(res)
            print(f"RESULT {name}: lost {res['lost']} — " + json.dumps(
                {k: v for k, v in res.items() if k not in ("fault", "lost")}, ensure_ascii=False), flush=True)
    finally:
        if not args.keep:
            cluster_down(args)
    out["loadavg_after"] = bl.loadavg()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = RESULTS / f"faults-{args.fault}-{stamp}.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1))
    print(f"wrote {path.relative_to(ROOT)}; load average {' '.join(out['loadavg_after'])}")
    lost = [r["lost"] for r in out["results"]]
    return 0 if all(x == 0 for x in lost) else 1


if __name__ == "__main__":
    sys.exit(main())
