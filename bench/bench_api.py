"""API latency benchmark on the seeded `city` database (bench/seed_city.sh), see bench/BENCHMARKS.md.

    .venv/bin/python bench/bench_api.py                 # xinli_bench, var/bench-keys.json, var/bench-accounts.json
    .venv/bin/python bench/bench_api.py -n 200 --users county_officer

Starts gunicorn (2 sync workers) on 127.0.0.1:8765 against the benchmark database with XINLI_DEMO=1 (demo accounts
skip two-factor login only then), gets an API token per user from POST /api/v1/auth/token/, and measures, one
request at a time over loopback (http.client, keep-alive when the server allows it):

* ``id_number``: GET /api/v1/persons/?id_number=<ID number> for random residents in the user's area;
* ``name``: GET /api/v1/persons/?q=<whole name> for random names of residents in the user's area.

The ID numbers and names are picked by reading a random sample through the ORM (which decrypts them). Prints
p50/p95/p99/max in ms and requests/s, writes bench/results/api-<timestamp>.json and stops gunicorn.
Every loop is bounded in count (-n) and in time (--max-seconds). Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
TARGETS_MS = {"id_number": 10.0, "name": 100.0}  # p95 targets of the foundation issue
# Optional reference loops (no target), to split the latency: the HTTP + middleware floor (healthz, no database)
# and an authenticated API call that reads no person (token + assignments queries).
BASELINES = {"healthz": "/healthz", "me": "/api/v1/me/"}
KINDS = [*TARGETS_MS, *BASELINES]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="xinli_bench", help="PostgreSQL database on 127.0.0.1:5432 (user postgres)")
    parser.add_argument("--key-file", default=str(ROOT / "var" / "bench-keys.json"))
    parser.add_argument("--accounts", default=str(ROOT / "var" / "bench-accounts.json"))
    parser.add_argument("--users", default="county_officer,city_officer", help="comma-separated demo usernames")
    parser.add_argument("--kinds", default="id_number,name",
                        help="comma-separated: id_number, name (targets); healthz, me (reference loops)")
    parser.add_argument("-n", "--requests", type=int, default=500, help="measured requests per user and kind")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests before each loop")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="time bound of each loop")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1, help="seed of the client-side shuffle")
    parser.add_argument("--out", default="", help="result file (default bench/results/api-<timestamp>.json)")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 100_000:
        parser.error("-n must be between 1 and 100000")
    if not args.db.replace("_", "").isalnum():
        parser.error("--db must be a plain identifier")
    return args


def configure_environment(args) -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{args.db}",
        "XINLI_KEY_FILE": str(Path(args.key_file).resolve()),
        "XINLI_DEMO": "1",
        "DJANGO_SETTINGS_MODULE": "xinli.settings",
    })
    env.pop("XINLI_DEBUG", None)  # DEBUG would keep every query in memory and slow the server down
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "XINLI_KEY_FILE", "XINLI_DEMO", "DJANGO_SETTINGS_MODULE")})
    return env


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summarise(latencies_ms: list[float], elapsed: float) -> dict:
    s = sorted(latencies_ms)
    return {
        "requests": len(s),
        "p50_ms": round(percentile(s, 50), 2),
        "p95_ms": round(percentile(s, 95), 2),
        "p99_ms": round(percentile(s, 99), 2),
        "max_ms": round(s[-1], 2) if s else math.nan,
        "mean_ms": round(sum(s) / len(s), 2) if s else math.nan,
        "requests_per_second": round(len(s) / elapsed, 1) if elapsed > 0 else math.nan,
        "elapsed_s": round(elapsed, 2),
    }


class Client:
    """One HTTP/1.1 connection to 127.0.0.1, reopened automatically when the server closes it."""

    def __init__(self, port: int, token: str = ""):
        self.port = port
        self.token = token
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.connects = 0

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict, bool]:
        headers = {"Accept": "application/json", "Connection": "keep-alive"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.conn.sock is None:
            self.connects += 1
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        kept_alive = not response.will_close
        if response.will_close:
            self.conn.close()
        is_json = (response.getheader("Content-Type") or "").startswith("application/json")
        return response.status, (json.loads(raw) if raw and is_json else {}), kept_alive

    def close(self):
        self.conn.close()


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((HOST, port)) == 0


def start_gunicorn(args, env: dict, log_path: Path) -> subprocess.Popen:
    if port_open(args.port):
        raise SystemExit(f"{HOST}:{args.port} is already in use; stop that server or pass --port")
    log = log_path.open("w")
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "xinli.wsgi", "--bind", f"{HOST}:{args.port}",
         "--workers", str(args.workers), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}; see {log_path}")
        if port_open(args.port):
            break
        time.sleep(0.2)
    else:
        stop_gunicorn(proc)
        raise SystemExit(f"gunicorn did not listen on {HOST}:{args.port} within 60 s; see {log_path}")
    # The port opens before the workers have imported Django: wait for a real answer.
    probe = Client(args.port)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _body, _ka = probe.request("GET", "/healthz")
                if status < 500:
                    return proc
            except (OSError, http.client.HTTPException, ValueError):
                probe.close()
            time.sleep(0.2)
    finally:
        probe.close()
    stop_gunicorn(proc)
    raise SystemExit(f"gunicorn did not answer /healthz within 60 s; see {log_path}")


def stop_gunicorn(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # the arbiter stops its workers
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def sample_targets(usernames: list[str], n: int, warmup: int) -> dict:
    """Per user: (person id, ID number, name) of ``n + warmup`` random residents in the user's area, read (and
    decrypted) through the ORM. ``order_by('?')`` scans the area once per user."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from xinli.accounts.models import User
    from xinli.archives.selectors import visible_persons

    out = {}
    for username in usernames:
        user = User.objects.get(username=username)
        t0 = time.perf_counter()
        rows = list(visible_persons(user).select_related(None).order_by("?").only("id", "id_number", "name")[: n + warmup])
        out[username] = {
            "visible": None,
            "rows": [(p.pk, p.id_number, p.name) for p in rows],
            "sample_seconds": round(time.perf_counter() - t0, 1),
        }
        with connection.cursor() as cur:
            # Cheap size of the area, for the report (the same prefix filter the API uses).
            paths = [a.org_unit.path for a in user.active_assignments()]
            cur.execute("SELECT count(*) FROM archives_person WHERE " + " OR ".join(["org_path LIKE %s"] * len(paths)),
                        [p + "%" for p in paths])
            out[username]["visible"] = cur.fetchone()[0]
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        out["_pg_version"] = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM archives_person")
        out["_persons"] = cur.fetchone()[0]
    connection.close()
    return out


def run_loop(client: Client, kind: str, rows: list[tuple], warmup: int, n: int, max_seconds: float) -> dict:
    def path_for(row) -> str:
        pk, id_number, name = row
        if kind in BASELINES:
            return BASELINES[kind]
        if kind == "id_number":
            return "/api/v1/persons/?" + urllib.parse.urlencode({"id_number": id_number})
        return "/api/v1/persons/?" + urllib.parse.urlencode({"q": name})

    def check(row, status: int, body: dict) -> str:
        if status != 200:
            return f"HTTP {status}: {str(body)[:200]}"
        if kind in BASELINES:
            return ""
        ids = [r.get("id") for r in body.get("results", [])]
        if kind == "id_number" and (body.get("count") != 1 or ids != [row[0]]):
            return f"id_number look-up returned count={body.get('count')} ids={ids[:3]}"
        if kind == "name" and not body.get("count"):
            return "name search found nothing"
        return ""

    warm_deadline = time.monotonic() + max_seconds
    for row in rows[:warmup]:
        if time.monotonic() > warm_deadline:
            break
        client.request("GET", path_for(row))

    latencies, errors, result_counts, kept_alive = [], [], [], 0
    connects_before = client.connects
    deadline = time.monotonic() + max_seconds
    started = time.perf_counter()
    for row in rows[warmup:warmup + n]:
        if time.monotonic() > deadline:
            break
        path = path_for(row)
        t0 = time.perf_counter()
        status, body, ka = client.request("GET", path)
        latencies.append((time.perf_counter() - t0) * 1000)
        kept_alive += ka
        problem = check(row, status, body)
        if problem:
            errors.append(problem)
        result_counts.append(body.get("count", 0) if isinstance(body, dict) else 0)
    elapsed = time.perf_counter() - started
    summary = summarise(latencies, elapsed)
    summary.update({
        "target_p95_ms": TARGETS_MS.get(kind),
        "meets_target": (bool(latencies) and summary["p95_ms"] < TARGETS_MS[kind]) if kind in TARGETS_MS else None,
        "stopped_by_time_bound": len(latencies) < min(n, len(rows) - warmup),
        "errors": len(errors),
        "first_errors": errors[:5],
        "responses_kept_alive": kept_alive,
        "tcp_connects": client.connects - connects_before,
        "result_count_mean": round(sum(result_counts) / len(result_counts), 2) if result_counts else 0,
        "result_count_max": max(result_counts) if result_counts else 0,
    })
    return summary


def machine_info() -> dict:
    info = {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    info["mem_total_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return info


def main(argv=None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    env = configure_environment(args)
    accounts = {a["username"]: a for a in json.loads(Path(args.accounts).read_text())}
    usernames = [u.strip() for u in args.users.split(",") if u.strip()]
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    for k in kinds:
        if k not in KINDS:
            raise SystemExit(f"unknown kind {k!r}")
    missing = [u for u in usernames if u not in accounts]
    if missing:
        raise SystemExit(f"not in {args.accounts}: {', '.join(missing)}")

    print(f"sampling {args.requests + args.warmup} residents per user from {args.db} ...", flush=True)
    samples = sample_targets(usernames, args.requests, args.warmup)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_path = Path(args.out) if args.out else RESULTS / f"api-{stamp}.json"
    log_path = RESULTS / f"gunicorn-{stamp}.log"
    result = {
        "benchmark": "api", "started_at": datetime.now(UTC).isoformat(timespec="seconds"), "database": args.db,
        "persons_in_database": samples["_persons"], "postgresql": samples["_pg_version"], "machine": machine_info(),
        "server": f"gunicorn xinli.wsgi --workers {args.workers} (sync) on {HOST}:{args.port}, XINLI_DEMO=1",
        "client": "one sequential http.client connection, keep-alive requested", "requests_per_loop": args.requests,
        "warmup_per_loop": args.warmup, "runs": [],
    }
    rng = random.Random(args.seed)
    proc = start_gunicorn(args, env, log_path)
    try:
        for username in usernames:
            client = Client(args.port)
            status, body, _ka = client.request("POST", "/api/v1/auth/token/",
                                               {"username": username, "password": accounts[username]["password"]})
            if status != 200 or "token" not in body:
                raise SystemExit(f"token for {username}: HTTP {status} {body}")
            client.token = body["token"]
            rows = list(samples[username]["rows"])
            for kind in kinds:
                rng.shuffle(rows)
                print(f"{username:<15} {kind:<9} {args.requests} requests ...", end=" ", flush=True)
                summary = run_loop(client, kind, rows, args.warmup, args.requests, args.max_seconds)
                summary.update({"user": username, "kind": kind, "org_unit": accounts[username]["org_unit_name"],
                                "persons_in_scope": samples[username]["visible"]})
                result["runs"].append(summary)
                print(f"p50 {summary['p50_ms']:.1f}  p95 {summary['p95_ms']:.1f}  p99 {summary['p99_ms']:.1f}  "
                      f"max {summary['max_ms']:.1f} ms  {summary['requests_per_second']:.1f} req/s  "
                      f"errors {summary['errors']}" + (
                          f"  target p95 < {TARGETS_MS[kind]:.0f} ms: {'met' if summary['meets_target'] else 'MISSED'}"
                          if kind in TARGETS_MS else "  (reference)"), flush=True)
            client.close()
    finally:
        stop_gunicorn(proc)
    result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    out_path.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(f"wrote {out_path}")
    return 0 if all(r["errors"] == 0 for r in result["runs"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
