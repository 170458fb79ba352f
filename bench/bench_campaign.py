"""School-campaign load test with locust on loopback against gunicorn + PostgreSQL (issue 3), see BENCHMARKS.md.

    make bench-campaign                                         # pip install -e ".[bench]" (locust), then the default run
    .venv/bin/python bench/bench_campaign.py                    # set up, then 50 users for 60 s on 2 sync workers
    .venv/bin/python bench/bench_campaign.py --users 5 --seconds 5 --participants 2000      # smoke run
    .venv/bin/python bench/bench_campaign.py --skip-setup --workers 3                       # another server size,
    .venv/bin/python bench/bench_campaign.py --skip-setup --workers 2 --threads 4           # same campaign, fresh codes

Target (issue 3): 50 concurrent participants submitting PHQ-9 sustain >= 200 submissions/s with p95 < 250 ms and
zero errors or lost submissions.

1. Drop and create the PostgreSQL database ``--db`` (default xinli_bench_campaign) on 127.0.0.1:5432 (user
   postgres, trust authentication), keys in var/bench-keys.json (``manage.py generate_keys --file``, never
   overwritten), XINLI_DEMO=1, migrate, ``seed_demo --size tiny --no-activity`` (the tree and the demo accounts),
   then, through ``xinli.screening.campaigns.create_campaign`` as the demo school psychologist, one open PHQ-9
   campaign for a senior high school with ``--participants`` one-time codes (classes of 50, nobody under 14, so no
   guardian consent is needed). The plaintext codes (read back through the ORM, which decrypts them) go, shuffled,
   to var/<db>-codes.txt.
2. Start gunicorn (``.venv/bin/gunicorn xinli.wsgi``, no DEBUG) on 127.0.0.1 with ``--workers``/``--threads``
   (sync workers when --threads is 1, gthread otherwise); wait for /healthz.
3. Run locust headless (bench/locustfile_campaign.py, FastHttpUser, no think time): ``-u USERS -r USERS -t SECONDS``;
   each user takes the next unused code; anything but 201 is a failure. ``--stop-timeout`` lets the requests in
   flight at the time limit finish and be counted, so the server's rows and the client's count can be compared
   exactly.
4. Count the rows: assessments of the campaign with mode ``campaign``, participants with ``completed_at`` set,
   and compare the set of completed codes with the codes locust got a 201 for (lost = a 201 without a row; extra
   = a row without a 201).
5. Print and save bench/results/campaign-<time>.json: submissions/s, exact p50/p95/p99 (from every request's
   time, and locust's own rounded figures), failures, rows, CPU seconds used by gunicorn, PostgreSQL and locust,
   the gunicorn and PostgreSQL configuration; stop gunicorn.

The server (and the set-up) runs the committed code of ``--code`` (default HEAD), exported with ``git archive``
to var/bench-campaign/src-<sha>/, so that edits in progress in the working tree cannot break a run (``--code
worktree`` serves the working tree). Alert e-mail/SMS deliveries are switched off (XINLI_NOTIFY_CHANNELS empty;
the in-app notifications are still written) and the server's var directory is var/bench-campaign/, so nothing is
queued into the demo's Huey file. CPU use of everything else on the machine during the run is reported: the
figures are those of an idle machine only when it is near 0. Every wait is bounded in time. Only 127.0.0.1 is
contacted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "results"
APP = ROOT  # the code the server runs: a snapshot of a commit (--code, default HEAD) or the working tree
HOST = "127.0.0.1"
TARGET_RPS, TARGET_P95_MS = 200.0, 250.0
PER_CLASS = 50
CLK_TCK = os.sysconf("SC_CLK_TCK")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="xinli_bench_campaign", help="throwaway PostgreSQL database (dropped!)")
    parser.add_argument("--key-file", default=str(ROOT / "var" / "bench-keys.json"))
    parser.add_argument("--code", default="HEAD",
                        help="commit whose code is served (exported with git archive to var/bench-campaign/src-<sha>/, "
                             "so edits in progress in the working tree cannot break a run), or 'worktree'")
    parser.add_argument("--users", type=int, default=50, help="concurrent simulated participants")
    parser.add_argument("--seconds", type=int, default=60, help="locust run time")
    parser.add_argument("--participants", type=int, default=30_000,
                        help="codes to create; must exceed what the run can use (about 300/s x seconds)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (> 1: gthread workers)")
    parser.add_argument("--port", type=int, default=0, help="gunicorn port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--stop-timeout", type=int, default=15, help="seconds locust waits for requests in flight")
    parser.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                        help="before the run, wait up to this long for 10 s in a row with the machine < 10 %% busy")
    parser.add_argument("--skip-setup", action="store_true", help="reuse the database and the unused codes of the last setup")
    parser.add_argument("--out", default="", help="result file (default bench/results/campaign-<time>.json)")
    args = parser.parse_args(argv)
    if not args.db.replace("_", "").isalnum() or not args.db.islower() or args.db in ("xinli_bench", "postgres"):
        parser.error("--db must be a plain lower-case identifier of a throwaway database (not xinli_bench)")
    if not 1 <= args.seconds <= 600 or not 1 <= args.users <= 500 or not 1 <= args.participants <= 200_000:
        parser.error("--seconds 1..600, --users 1..500, --participants 1..200000")
    if not 1 <= args.workers <= 32 or not 1 <= args.threads <= 64 or not 1 <= args.stop_timeout <= 120:
        parser.error("--workers 1..32, --threads 1..64, --stop-timeout 1..120")
    return args


def env_for(args, app: Path | None = None, var_dir: Path | None = None) -> dict:
    """The environment of every child process: the bench database, its key file, demo mode, no outside queue, and
    the code under test (``app``, default this script's snapshot) first on the path. Other benchmarks pass their own
    snapshot and state folder."""
    var_dir = var_dir or ROOT / "var" / "bench-campaign"
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{args.db}",
        "XINLI_KEY_FILE": str(Path(args.key_file).resolve()),
        "XINLI_DEMO": "1",
        "DJANGO_SETTINGS_MODULE": "xinli.settings",
        "XINLI_NOTIFY_CHANNELS": "",
        "XINLI_VAR_DIR": str(var_dir),
        "XINLI_STATIC_ROOT": str(ROOT / "var" / "static"),
        "PYTHONPATH": str(app or APP),  # the served code first (the venv's editable install points at the working tree)
    })
    for name in ("XINLI_DEBUG", "REDIS_URL", "XINLI_HUEY_IMMEDIATE"):
        env.pop(name, None)  # DEBUG keeps every query in memory; no outside queue
    var_dir.mkdir(parents=True, exist_ok=True)
    return env


def django_setup(env: dict) -> None:
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "XINLI_KEY_FILE", "XINLI_DEMO", "DJANGO_SETTINGS_MODULE",
                                           "XINLI_NOTIFY_CHANNELS", "XINLI_VAR_DIR", "XINLI_STATIC_ROOT")})
    sys.path.insert(0, str(APP))
    import django

    import xinli

    if not Path(xinli.__file__).resolve().is_relative_to(APP.resolve()):
        raise SystemExit(f"imported xinli from {xinli.__file__}, not from {APP}")
    django.setup()


def run(cmd: list[str], env: dict, timeout: float, **kw) -> None:
    subprocess.run(cmd, cwd=APP, env=env, check=True, timeout=timeout, **kw)


def setup(args, env: dict, codes_file: Path) -> int:
    psql = ["psql", "-h", HOST, "-p", "5432", "-U", "postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c"]
    print(f"== setup: drop and create {args.db}, migrate, seed_demo --size tiny", flush=True)
    run([*psql, f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)"], env, 120)
    run([*psql, f"CREATE DATABASE {args.db}"], env, 120)
    py = str(VENV / "python")
    run([py, "manage.py", "generate_keys", "--file", env["XINLI_KEY_FILE"]], env, 120)
    run([py, "manage.py", "migrate", "--noinput", "-v", "0"], env, 900)
    run([py, "manage.py", "seed_demo", "--size", "tiny", "--no-activity", "--accounts-file",
         str(ROOT / "var" / f"{args.db}-accounts.json")], env, 1800, stdout=subprocess.DEVNULL)

    django_setup(env)
    from django.db import connection
    from django.utils import timezone

    from xinli.accounts.models import User
    from xinli.screening.campaigns import create_campaign

    psy = User.objects.get(username="school_psychologist")
    unit = psy.assignments.get().org_unit
    classes = -(-args.participants // PER_CLASS)
    groups = []
    left = args.participants
    for c in range(classes):
        n = min(PER_CLASS, left)
        left -= n
        groups.append({"grade": f"高{1 + c % 3}", "name": f"{c // 3 + 1}班",
                       "participants": [{"label": f"S{c:04d}-{i:02d}", "minor_under_14": False} for i in range(n)]})
    now = timezone.now()
    t0 = time.perf_counter()
    campaign = create_campaign(psy, name="负载测试普查（PHQ-9）", kind="school", institution="负载测试高级中学",
                               org_unit=unit, scales=["phq9"], opens_at=now - datetime.timedelta(hours=1),
                               closes_at=now + datetime.timedelta(days=2), groups=groups)
    codes = [p.code for p in campaign.participants.all()]  # decrypted by the ORM
    random.shuffle(codes)
    write_codes(codes_file, codes)
    print(f"campaign {campaign.pk} at {unit.name}: {len(codes)} participant codes in {time.perf_counter() - t0:.1f} s "
          f"-> {codes_file.relative_to(ROOT)}", flush=True)
    connection.close()
    return campaign.pk


def write_codes(path: Path, codes: list[str]) -> None:
    path.write_text("\n".join(codes) + "\n", encoding="utf-8")
    path.chmod(0o600)


def unused_codes(campaign_id: int) -> list[str]:
    from django.db import connection

    from xinli.screening.models import Participant

    codes = [p.code for p in Participant.objects.filter(campaign_id=campaign_id, completed_at__isnull=True).only("code")]
    connection.close()
    random.shuffle(codes)
    return codes


def count_rows(campaign_id: int, ok_codes: set[str] | None = None, done_before: set[str] = frozenset()) -> dict:
    """Rows of the campaign, through the ORM, and the blind indexes of the completed codes. With ``ok_codes``, also
    the codes that got a 201 but have no completed participant (lost) and participants completed since
    ``done_before`` whose code never got a 201 (extra)."""
    from django.db import connection
    from django.db.models import Count

    from xinli.alerts.models import Alert
    from xinli.screening.campaigns import _code_index
    from xinli.screening.models import Assessment, Mode, Participant

    assessments = Assessment.objects.filter(campaign_id=campaign_id, mode=Mode.CAMPAIGN)
    completed = Participant.objects.filter(campaign_id=campaign_id, completed_at__isnull=False)
    out = {
        "assessments": assessments.count(),
        "assessment_participants": assessments.values("participant_id").distinct().count(),
        "participants_completed": completed.count(),
        "participants_with_2plus_assessments": assessments.values("participant_id").annotate(n=Count("id"))
        .filter(n__gt=1).count(),
        "alerts_of_campaign": Alert.objects.filter(campaign_id=campaign_id).count(),
    }
    done = set(completed.values_list("code_bidx", flat=True))
    out["done"] = done
    if ok_codes is not None:
        ok_bidx = {_code_index(c) for c in ok_codes}
        out["lost"] = len(ok_bidx - done)
        out["extra"] = len((done - set(done_before)) - ok_bidx)
    connection.close()
    return out


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def gunicorn_cmd(args, port: int) -> list[str]:
    worker_class = "sync" if args.threads == 1 else "gthread"
    return [str(VENV / "gunicorn"), "xinli.wsgi", "--bind", f"{HOST}:{port}", "--workers", str(args.workers),
            "--worker-class", worker_class, "--threads", str(args.threads), "--backlog", "2048",
            "--log-level", "warning", "--no-control-socket"]


def start_gunicorn(cmd: list[str], env: dict, port: int, log_path: Path) -> subprocess.Popen:
    log = log_path.open("w")
    proc = subprocess.Popen(cmd, cwd=APP, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=5) as resp:
                if resp.status == 200:
                    return proc
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.25)
    stop_gunicorn(proc)
    raise SystemExit(f"gunicorn did not answer /healthz within 90 s; see {log_path}")


def stop_gunicorn(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # the arbiter stops its workers
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def wait_idle(limit: float) -> bool:
    """Wait (at most ``limit`` seconds) until the machine has been under 10 % busy for 10 s in a row."""
    deadline = time.monotonic() + limit
    quiet_since = None
    prev = machine_cpu()
    while time.monotonic() < deadline:
        time.sleep(1)
        cur = machine_cpu()
        busy = cur["busy"] - prev["busy"]
        total = busy + cur["idle"] - prev["idle"] + cur["iowait"] - prev["iowait"]
        prev = cur
        if total > 0 and busy / total < 0.10:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 10:
                return True
        else:
            quiet_since = None
    return False


def proc_stat(pid: int) -> tuple[str, int, float] | None:
    """(comm, ppid, CPU seconds) of a process from /proc, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2:].split()
    return comm, int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


class CpuSampler(threading.Thread):
    """Samples, every ``interval`` seconds until stopped, the CPU seconds of the gunicorn arbiter and workers and
    of every postgres process, so that processes which end during the run (a database connection recycled after
    CONN_MAX_AGE, a restarted worker) are still counted up to their last sample."""

    def __init__(self, gunicorn_pid: int, interval: float = 0.5):
        super().__init__(daemon=True)
        self.gunicorn_pid, self.interval = gunicorn_pid, interval
        self.first: dict[int, float] = {}  # CPU at the first sample of the processes that existed at the start
        self.last: dict[int, tuple[str, float]] = {}
        self.halt = threading.Event()
        self._sample(initial=True)

    def _sample(self, initial: bool = False) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            st = proc_stat(pid)
            if st is None:
                continue
            comm, ppid, cpu = st
            if pid == self.gunicorn_pid or ppid == self.gunicorn_pid:
                kind = "gunicorn"
            elif comm.startswith("postgres"):
                kind = "postgres"
            else:
                continue
            if initial:
                self.first[pid] = cpu
            self.last[pid] = (kind, cpu)

    def run(self) -> None:
        while not self.halt.wait(self.interval):
            self._sample()

    def stop(self) -> dict[str, float]:
        self.halt.set()
        self.join(timeout=10)
        self._sample()
        out = {"gunicorn": 0.0, "postgres": 0.0}
        for pid, (kind, cpu) in self.last.items():
            out[kind] += cpu - self.first.get(pid, 0.0)
        return {k: round(v, 2) for k, v in out.items()}


def machine_cpu() -> dict[str, float]:
    """Whole-machine CPU seconds so far (all cores) from /proc/stat: busy, idle, iowait, steal."""
    v = [int(x) / CLK_TCK for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = v[:8]
    return {"busy": user + nice + system + irq + softirq, "idle": idle, "iowait": iowait, "steal": steal}


def wait_with_rusage(proc: subprocess.Popen, timeout: float) -> tuple[int, float]:
    """Wait (bounded) for a child; return its exit code and the CPU seconds it used (os.wait4)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage.ru_utime + usage.ru_stime
        time.sleep(0.2)
    proc.kill()
    proc.wait(timeout=10)
    raise SystemExit("locust did not finish in time")


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(1, math.ceil(p / 100 * len(sorted_values))) - 1]


def locust_percentile(histogram: dict, q: float) -> float:
    """Percentile from locust's response-time histogram {rounded ms: count} (as locust reports it)."""
    points = sorted((float(ms), n) for ms, n in histogram.items())
    total, seen = sum(n for _, n in points), 0
    for ms, n in points:
        seen += n
        if seen >= q / 100 * total:
            return ms
    return math.nan


def machine_info() -> dict:
    info = {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["mem_total_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
        info["loadavg_before"] = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        pass
    return info


def postgres_info(db: str) -> dict:
    q = ("SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'fsync', 'synchronous_commit', "
         "'shared_buffers', 'max_connections', 'full_page_writes', 'commit_delay')")
    out = subprocess.run(["psql", "-h", HOST, "-U", "postgres", "-X", "-At", "-F", "=", "-d", db, "-c", q],
                         capture_output=True, text=True, timeout=30).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def prepare_code(spec: str) -> tuple[Path, str]:
    """The directory of the code to serve and a description of it. A commit is exported once (git archive, which
    only reads the repository) to var/bench-campaign/src-<sha>/."""
    if spec == "worktree":
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, timeout=30)
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=30)
        return ROOT, f"working tree at {head.stdout.strip()}" + (" with uncommitted changes" if dirty.stdout.strip() else "")
    rev = subprocess.run(["git", "rev-parse", "--verify", spec + "^{commit}"], cwd=ROOT, capture_output=True, text=True,
                         timeout=30)
    if rev.returncode != 0:
        raise SystemExit(f"--code {spec}: not a commit")
    sha = rev.stdout.strip()
    dest = ROOT / "var" / "bench-campaign" / f"src-{sha[:12]}"
    if not (dest / "manage.py").exists():
        tmp = dest.with_name(dest.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        archive = subprocess.Popen(["git", "archive", "--format=tar", sha], cwd=ROOT, stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(tmp)], stdin=archive.stdout, check=True, timeout=300)
        archive.stdout.close()
        if archive.wait(timeout=60) != 0:
            raise SystemExit("git archive failed")
        tmp.rename(dest)
    subject = subprocess.run(["git", "log", "-1", "--format=%h %cI %s", sha], cwd=ROOT, capture_output=True, text=True,
                             timeout=30).stdout.strip()
    return dest, f"commit {subject[:160]} (exported to {dest.relative_to(ROOT)})"


def read_request_log(path: Path) -> tuple[list[list], dict]:
    rows, summary = [], {}
    for line in path.read_text().splitlines():
        item = json.loads(line)
        if isinstance(item, dict):
            summary = item
        else:
            rows.append(item)
    return rows, summary


def windows(rows: list[list], t0: float, span: float, width: float = 10.0) -> list[dict]:
    """Successful submissions per second and p95 per ``width``-second window (by response end; the last window
    is divided by its real length, and left out when shorter than half a window)."""
    buckets: dict[int, list[float]] = {}
    for _code, start, ms, _status, ok in rows:
        if ok:
            buckets.setdefault(int((start + ms / 1000 - t0) // width), []).append(ms)
    return [{"from_s": int(k * width),
             "submissions_per_s": round(len(v) / max(1e-9, min(width, span - k * width)), 1),
             "p95_ms": round(percentile(sorted(v), 95), 1)} for k, v in sorted(buckets.items())
            if span - k * width >= width / 2]  # a last window shorter than half a window is only the drain


def main(argv=None) -> int:
    global APP
    args = parse_args(argv)
    os.chdir(ROOT)
    APP, code_desc = prepare_code(args.code)
    print(f"== serving {code_desc}", flush=True)
    env = env_for(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    codes_file = ROOT / "var" / f"{args.db}-codes.txt"
    state_file = ROOT / "var" / f"{args.db}-campaign.json"
    if args.skip_setup:
        if not state_file.exists():
            raise SystemExit(f"{state_file} missing: run once without --skip-setup")
        state = json.loads(state_file.read_text())
        campaign_id = state["campaign"]
        if state.get("code") != code_desc:
            print(f"warning: the database was set up with {state.get('code')}", flush=True)
        django_setup(env)
        fresh = unused_codes(campaign_id)
        write_codes(codes_file, fresh)
        print(f"== reusing campaign {campaign_id} in {args.db}: {len(fresh)} unused codes", flush=True)
    else:
        campaign_id = setup(args, env, codes_file)
        state_file.write_text(json.dumps({"db": args.db, "campaign": campaign_id, "code": code_desc}))
    available = len([c for c in codes_file.read_text().splitlines() if c.strip()])
    if available < args.seconds * 300:
        print(f"warning: only {available} unused codes; a fast run may exhaust them (then it is marked invalid)")
    before = count_rows(campaign_id)

    if args.wait_idle:
        print(f"== waiting up to {args.wait_idle:.0f} s for an idle machine ...", flush=True)
        t0 = time.monotonic()
        idle = wait_idle(args.wait_idle)
        print(f"== machine {'idle' if idle else 'STILL BUSY'} after {time.monotonic() - t0:.0f} s", flush=True)
    port = args.port or free_port()
    if not port_free(port):
        raise SystemExit(f"{HOST}:{port} is in use; pass another --port")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    prefix = RESULTS / f"campaign-{stamp}"
    log_path = RESULTS / f"campaign-{stamp}-gunicorn.log"
    request_log = RESULTS / f"campaign-{stamp}-requests.jsonl"
    cmd = gunicorn_cmd(args, port)
    machine = machine_info()
    print("== gunicorn:", " ".join(cmd[1:]), flush=True)
    server = start_gunicorn(cmd, env, port, log_path)
    try:
        sampler = CpuSampler(server.pid)
        sampler.start()
        machine_before = machine_cpu()
        locust_env = dict(env, CAMPAIGN_CODES=str(codes_file), CAMPAIGN_LOG=str(request_log))
        lcmd = [str(VENV / "locust"), "-f", str(ROOT / "bench" / "locustfile_campaign.py"), "--headless",
                "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s", "--stop-timeout",
                str(args.stop_timeout), "--host", f"http://{HOST}:{port}", "--csv", str(prefix), "--only-summary",
                "--loglevel", "WARNING", "--json-file", f"{prefix}-locust", "--exit-code-on-error", "0"]
        print("== locust:", " ".join(lcmd[1:]), flush=True)
        t_start = time.monotonic()
        locust_rc, locust_cpu = wait_with_rusage(subprocess.Popen(lcmd, cwd=ROOT, env=locust_env),
                                                 args.seconds + args.stop_timeout + 120)
        wall = time.monotonic() - t_start
        machine_after = machine_cpu()
        cpu = sampler.stop()
    finally:
        stop_gunicorn(server)
    if locust_rc != 0:
        print(f"warning: locust exited with {locust_rc}")

    rows, summary = read_request_log(request_log)
    stats = next(e for e in json.loads(Path(f"{prefix}-locust.json").read_text()) if e["name"] == "campaign submission")
    ok_rows = [r for r in rows if r[4]]
    ok_codes = {r[0] for r in ok_rows}
    failures = len(rows) - len(ok_rows)
    t_first = min(r[1] for r in rows) if rows else 0.0
    t_last = max(r[1] + r[2] / 1000 for r in rows) if rows else 0.0
    span = max(1e-9, t_last - t_first)
    lat = sorted(r[2] for r in rows)
    ok_lat = sorted(r[2] for r in ok_rows)
    after = count_rows(campaign_id, ok_codes, before["done"])
    stored = after["assessments"] - before["assessments"]
    completed = after["participants_completed"] - before["participants_completed"]
    cpu["locust"] = round(locust_cpu, 2)
    machine_used = {k: round(machine_after[k] - machine_before[k], 2) for k in machine_after}
    # Busy CPU of everything else on the machine during the run (other jobs, the driver): should be near 0.
    cpu["other_processes"] = round(max(0.0, machine_used["busy"] - sum(cpu.values())), 2)
    status_counts: dict[str, int] = {}
    for r in rows:
        status_counts[str(r[3])] = status_counts.get(str(r[3]), 0) + 1

    rps = len(ok_rows) / span
    p50, p95, p99 = (round(percentile(lat, q), 1) for q in (50, 95, 99))
    result = {
        "benchmark": "campaign", "started": stamp, "code": code_desc, "database": args.db, "campaign": campaign_id,
        "machine": machine, "postgresql": postgres_info(args.db),
        "gunicorn": {"command": " ".join(cmd[1:]), "workers": args.workers, "threads": args.threads,
                     "worker_class": "sync" if args.threads == 1 else "gthread",
                     "conn_max_age": int(env.get("XINLI_CONN_MAX_AGE", "60")), "debug": False, "demo": True},
        "locust": {"users": args.users, "spawn_rate": args.users, "seconds": args.seconds,
                   "stop_timeout": args.stop_timeout, "user_class": "FastHttpUser", "wait_time": 0,
                   "exit_code": locust_rc},
        "requests": len(rows), "successful": len(ok_rows), "failures": failures, "status_counts": status_counts,
        "codes_taken": summary.get("codes_taken"), "codes_available": summary.get("codes_available"),
        "codes_exhausted": summary.get("exhausted"),
        "measured_span_s": round(span, 2), "wall_s": round(wall, 1),
        "submissions_per_second": round(rps, 1),
        "p50_ms": p50, "p95_ms": p95, "p99_ms": p99,
        "max_ms": round(lat[-1], 1) if lat else math.nan,
        "successful_p95_ms": round(percentile(ok_lat, 95), 1),
        "locust_reported": {"num_requests": stats["num_requests"], "num_failures": stats["num_failures"],
                            "p50_ms": locust_percentile(stats["response_times"], 50),
                            "p95_ms": locust_percentile(stats["response_times"], 95),
                            "p99_ms": locust_percentile(stats["response_times"], 99),
                            "rps": round(stats["num_requests"] / max(1e-9, stats["last_request_timestamp"]
                                                                      - stats["start_time"]), 1)},
        "window_s": (width := 10.0 if span >= 30 else 1.0),
        "windows": windows(rows, t_first, span, width),
        "rows": {"assessments_stored": stored, "participants_completed": completed,
                 "distinct_participants_in_assessments": after["assessment_participants"]
                 - before["assessment_participants"],
                 "participants_with_2plus_assessments": after["participants_with_2plus_assessments"],
                 "alerts_raised": after["alerts_of_campaign"] - before["alerts_of_campaign"],
                 "lost_201_without_row": after["lost"], "extra_row_without_201": after["extra"]},
        "cpu_seconds": cpu,
        "machine_cpu_seconds": machine_used,
        "cpu_ms_per_submission": {k: round(v * 1000 / max(1, stored), 2) for k, v in cpu.items()},
        "requests_log": str(request_log.relative_to(ROOT)),
    }
    zero_lost = (stored == len(ok_rows) == completed and after["lost"] == 0 and after["extra"] == 0
                 and after["participants_with_2plus_assessments"] == 0)
    valid = not summary.get("exhausted") and len(rows) == summary.get("codes_taken")
    result["valid_run"] = valid
    result["meets_target"] = bool(valid and rps >= TARGET_RPS and p95 < TARGET_P95_MS and failures == 0 and zero_lost)
    out_path = Path(args.out) if args.out else RESULTS / f"campaign-{stamp}.json"
    out_path.write_text(json.dumps(result, ensure_ascii=False, indent=1))

    g = result["gunicorn"]
    print(f"RESULT gunicorn {g['workers']} {g['worker_class']} worker(s) x {g['threads']} thread(s); locust {args.users} "
          f"users, {args.seconds} s")
    print(f"RESULT {len(rows)} submissions, {len(ok_rows)} with 201, {failures} failures {status_counts}; "
          f"{rps:.1f} submissions/s over {span:.1f} s")
    print(f"RESULT latency ms (all requests, exact): p50 {p50}  p95 {p95}  p99 {p99}  max {result['max_ms']}; "
          f"locust's rounded p50/p95/p99: {result['locust_reported']['p50_ms']:.0f}/"
          f"{result['locust_reported']['p95_ms']:.0f}/{result['locust_reported']['p99_ms']:.0f}")
    print(f"RESULT per {width:.0f} s: " + ", ".join(f"{w['from_s']}s {w['submissions_per_s']}/s p95 {w['p95_ms']}"
                                                   for w in result["windows"]))
    print(f"RESULT rows: {stored} campaign assessments, {completed} participants completed, 201 responses "
          f"{len(ok_rows)}; lost (201 without row) {after['lost']}, extra (row without 201) {after['extra']}; "
          f"{result['rows']['alerts_raised']} alerts raised")
    print(f"RESULT CPU seconds during the run: gunicorn {cpu['gunicorn']}, postgres {cpu['postgres']}, "
          f"locust {cpu['locust']} in {span:.1f} s on {machine['nproc']} cores "
          f"(per submission ms: {result['cpu_ms_per_submission']})")
    capacity = wall * (os.cpu_count() or 1)
    print(f"RESULT machine CPU during locust's {wall:.0f} s: busy {machine_used['busy']:.0f} s, idle "
          f"{machine_used['idle']:.0f} s, iowait {machine_used['iowait']:.0f} s of {capacity:.0f} core-seconds; "
          f"other processes {cpu['other_processes']} s")
    if cpu["other_processes"] > 0.1 * capacity:
        print("RESULT WARNING: other processes used more than 10 % of the machine during the run; the figures are "
              "not those of an idle machine")
    if not valid:
        print("RESULT INVALID RUN: codes ran out or a request was not recorded; use more --participants")
    print(f"RESULT target (>= {TARGET_RPS:.0f}/s, p95 < {TARGET_P95_MS:.0f} ms, no errors, none lost): "
          f"{'met' if result['meets_target'] else 'MISSED'}")
    print(f"wrote {out_path.relative_to(ROOT) if out_path.is_relative_to(ROOT) else out_path}")
    return 0 if valid and failures == 0 and zero_lost else 1


if __name__ == "__main__":
    sys.exit(main())
