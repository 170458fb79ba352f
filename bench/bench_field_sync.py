"""Field sync, 200 devices at once (issue 18), see bench/BENCHMARKS.md "Field sync, 200 devices (issue 18)".

    ln -s /work/main/.venv .venv                                  # if the checkout has no .venv (never committed)
    .venv/bin/python bench/bench_field_sync.py                    # set up (drop, migrate, seed), measure, verify
    .venv/bin/python bench/bench_field_sync.py --skip-setup       # measure again (needs a fresh setup: the forms of
                                                                  # the plan are stored once; a rerun only replays)

Target (issue 18): 200 field devices, each with 20 forms queued offline, all start syncing at the same moment against
gunicorn + PostgreSQL on 127.0.0.1; every form is stored exactly once and everything is synced within 60 s.

1. Setup: drop and create the PostgreSQL database ``--db`` (default xinli_bench_field), keys in var/bench-keys.json
   (``generate_keys --file`` never overwrites), migrate, ``seed_demo --size tiny --no-activity`` (the org tree: 12
   villages). Then, through the services: ``--doctors`` SMD doctors (default 150) and ``--workers-cw`` community
   workers (default 50), one per device, spread over the villages; each doctor registers 16 patients of their
   village (``register_person`` + ``register_patient``: each gets its first follow-up task); each community worker
   registers 4 residents. Each user gets an API token (``accounts.services.issue_token``, the same as
   ``POST /api/v1/auth/token/``) and registers one device (``field.services.register_device``). The forms each
   device will send are written to var/bench-field/plan.json:
   - an SMD doctor: 16 ``smd_follow_up`` (one per open task, with the task's version as ``base_version``) and 4
     ``home_visit_note`` about their patients;
   - a community worker: 12 ``assessment`` (PHQ-9) and 8 ``home_visit_note`` about their residents.
   4,000 forms in all, 2,400 of them SMD follow-ups. One more doctor with 20 forms is kept for the SQL count.
2. Sync: gunicorn (``--workers`` sync workers, default 4) on 127.0.0.1; 200 threads, one per device, wait on a barrier
   and then each POSTs its 20 forms to ``/api/v1/field/sync/`` (``Authorization: Token …``, ``X-Field-Device``) in
   requests of ``--batch`` forms (default 20: one request, as the client sends its whole queue, ≤ 100). Per request:
   wall time and status; the total wall time is from the barrier to the last answer. Load average sampled each second.
3. Verify in the database: exactly 4,000 SyncItems, one per (device, client id) sent, all ``stored``; 2,400 SMD
   follow-ups (one per patient, each task closed), 1,000 home-visit notes, 600 assessments with their ``field:``
   idempotency keys; every answer's record exists.
4. Replay: the same 4,000 forms sent again the same way; every answer must be ``replayed`` and nothing new stored.
5. SQL count: in this process, one sync of the spare doctor's 20 forms through ``field.services.sync`` with a query
   counter (``connection.execute_wrapper``): statements in all and per form.

Only 127.0.0.1 is contacted; nothing outside ``--db``, var/ and bench/results/ is written.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
VAR = ROOT / "var" / "bench-field"
RESULTS = ROOT / "bench" / "results"
TARGET_S = 60.0

sys.path.insert(0, str(ROOT / "bench"))
import bench_campaign  # noqa: E402 — bench/ is not a package
from bench_campaign import (  # noqa: E402
    VENV,
    django_setup,
    free_port,
    machine_info,
    percentile,
    postgres_info,
    proc_stat,
    run,
    start_gunicorn,
    stop_gunicorn,
)

bench_campaign.APP = ROOT  # the working tree is served (this script sets up its own database)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", default="xinli_bench_field", help="throwaway PostgreSQL database (dropped by the setup!)")
    p.add_argument("--key-file", default=str(ROOT / "var" / "bench-keys.json"))
    p.add_argument("--skip-setup", action="store_true", help="reuse the database and var/bench-field/plan.json")
    p.add_argument("--doctors", type=int, default=150, help="SMD doctors (one device each)")
    p.add_argument("--workers-cw", type=int, default=50, help="community workers (one device each)")
    p.add_argument("--batch", type=int, default=20, help="forms per sync request (1..100)")
    p.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    p.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (gthread when > 1)")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--timeout", type=float, default=600, help="seconds a device waits for one answer")
    args = p.parse_args(argv)
    if not args.db.replace("_", "").isalnum() or not args.db.islower() or args.db in ("xinli_bench", "postgres", "xinli_dev"):
        p.error("--db must be a plain lower-case identifier of a throwaway database")
    if not 1 <= args.batch <= 100:
        p.error("--batch: 1..100")
    return args


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


# --- setup ----------------------------------------------------------------------------------------------------------

FOLLOW_UP = {"mode": "home", "risk": 0, "insight": "complete", "symptoms": [], "social_function": {"self_care": "good"},
             "adherence": "regular", "sleep": "good", "diet": "good",
             "medications": [{"name": "利培酮", "dose": "2mg", "usage": "每日两次"}]}
ENROL = {"diagnosis": "F20", "diagnosed_by": "青岛市精神卫生中心", "source": "hospital", "residence": "home",
         "consent_community": True}


def _item(kind, payload, base_version=""):
    return {"client_id": str(uuid.uuid4()), "kind": kind, "device_time": time.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
            "base_version": base_version, "payload": payload}


def setup(args, env) -> dict:
    import datetime

    psql = ["psql", "-h", HOST, "-p", "5432", "-U", "postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c"]
    print(f"== setup: drop and create {args.db}, migrate, seed_demo --size tiny --no-activity", flush=True)
    run([*psql, f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)"], env, 120)
    run([*psql, f"CREATE DATABASE {args.db}"], env, 120)
    py = str(VENV / "python")
    run([py, "manage.py", "generate_keys", "--file", env["XINLI_KEY_FILE"]], env, 120)
    run([py, "manage.py", "migrate", "--noinput", "-v", "0"], env, 900)
    run([py, "manage.py", "seed_demo", "--size", "tiny", "--no-activity", "--accounts-file", str(VAR / "accounts.json")],
        env, 1800, stdout=bench_campaign.subprocess.DEVNULL)
    django_setup(env)
    from django.db import connection
    from django.utils import timezone

    from xinli.accounts.services import create_user, issue_token
    from xinli.archives.services import register_person
    from xinli.core.policy import Role
    from xinli.field import selectors as field_selectors
    from xinli.field.services import register_device
    from xinli.regions.models import OrgUnit
    from xinli.smd.models import Task
    from xinli.smd.services import register_patient

    villages = list(OrgUnit.objects.filter(level="village").order_by("path")) or \
        [u for u in OrgUnit.objects.order_by("path") if not OrgUnit.objects.filter(parent=u).exists()]
    registrar = create_user(username="bench_registrar", password="Bench-field-2026!",
                            assignments=[(OrgUnit.objects.order_by("path").first(), Role.HEALTH_OFFICER)])
    today = timezone.localdate()
    t0 = time.perf_counter()
    devices = []
    n_total = args.doctors + args.workers_cw + 1  # the last doctor is the spare one, for the SQL count
    seq = 0
    for i in range(n_total):
        doctor = i < args.doctors or i == n_total - 1
        unit = villages[i % len(villages)]
        role = Role.SMD_DOCTOR if doctor else Role.COMMUNITY_WORKER
        name = f"bench_{'doc' if doctor else 'cw'}_{i:03d}"
        user = create_user(username=name, password="Bench-field-2026!", display_name=name, assignments=[(unit, role)])
        key, _token = issue_token(user)
        device = register_device(user, label=f"bench phone {i:03d}")
        items = []
        persons = []
        for _k in range(16 if doctor else 4):
            seq += 1
            person = register_person(registrar, {"name": f"测试{seq:05d}", "phone": f"139{seq:08d}", "address": f"测试路{seq}号",
                                                 "org_unit": unit}).person
            persons.append(person)
            if doctor:
                patient = register_patient(user, person, ENROL | {"diagnosed_on": datetime.date(2020, 5, 1)})
                task = Task.objects.select_related("patient").get(patient=patient, state=Task.State.DUE)
                items.append(_item("smd_follow_up", {"patient": patient.pk, "task": task.pk,
                                                     "follow_up": FOLLOW_UP | {"date": today.isoformat()}},
                                   field_selectors.smd_task_version(task)))
        if doctor:
            for k in range(4):
                items.append(_item("home_visit_note", {"person": persons[k].pk, "date": today.isoformat(),
                                                       "text": f"入户走访：情绪平稳，按时服药（{k + 1}）"}))
        else:
            for k in range(12):
                items.append(_item("assessment", {"person": persons[k % 4].pk, "scale": "phq9",
                                                  "answers": {str(q): (q + k) % 4 for q in range(1, 10)}}))
            for k in range(8):
                items.append(_item("home_visit_note", {"person": persons[k % 4].pk, "date": today.isoformat(),
                                                       "text": f"入户走访：了解近况（{k + 1}）"}))
        devices.append({"user": name, "token": key, "device": str(device.public_id), "device_pk": device.pk,
                        "doctor": doctor, "items": items})
        if (i + 1) % 20 == 0:
            print(f"  {i + 1}/{n_total} users, devices and forms ({time.perf_counter() - t0:.0f} s)", flush=True)
    connection.close()
    plan = {"db": args.db, "created": time.strftime("%Y-%m-%d %H:%M:%S"), "spare": devices[-1], "devices": devices[:-1]}
    (VAR / "plan.json").write_text(json.dumps(plan, ensure_ascii=False))
    print(f"setup done in {time.perf_counter() - t0:.0f} s: {len(devices) - 1} devices, "
          f"{sum(len(d['items']) for d in devices[:-1])} forms (+1 spare device)", flush=True)
    return plan


# --- sync -----------------------------------------------------------------------------------------------------------

def send_all(port: int, devices: list[dict], batch: int, timeout: float) -> dict:
    """Every device sends its forms at once (one thread each, released together); per-request timings."""
    barrier = threading.Barrier(len(devices) + 1)
    rows: list[tuple] = []  # (device index, seconds, status, outcomes)
    lock = threading.Lock()
    errors: list[str] = []

    def device_thread(i, dev):
        barrier.wait()
        for start in range(0, len(dev["items"]), batch):
            body = json.dumps({"items": dev["items"][start:start + batch]}).encode()
            headers = {"Authorization": f"Token {dev['token']}", "X-Field-Device": dev["device"],
                       "Content-Type": "application/json"}
            t = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
                conn.request("POST", "/api/v1/field/sync/", body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                status = resp.status
                outcomes = [(r["client_id"], r["outcome"], bool(r.get("replayed"))) for r in json.loads(data)["items"]] \
                    if status == 200 else []
                if status != 200:
                    with lock:
                        errors.append(f"{dev['user']}: {status} {data[:300]!r}")
            except Exception as exc:  # noqa: BLE001 — reported, not hidden
                status, outcomes = 0, []
                with lock:
                    errors.append(f"{dev['user']}: {type(exc).__name__}: {exc}")
            with lock:
                rows.append((i, time.perf_counter() - t, status, outcomes, time.perf_counter()))

    threads = [threading.Thread(target=device_thread, args=(i, d), daemon=True) for i, d in enumerate(devices)]
    for th in threads:
        th.start()
    loads: list[list[float]] = []
    stop = threading.Event()

    def sampler():
        while not stop.is_set():
            loads.append(loadavg())
            stop.wait(1.0)

    sam = threading.Thread(target=sampler, daemon=True)
    sam.start()
    barrier.wait()
    t0 = time.perf_counter()
    for th in threads:
        th.join(timeout + 60)
    wall = time.perf_counter() - t0
    stop.set()
    times = sorted(r[1] for r in rows)
    outcomes = [o for r in rows for o in r[3]]
    return {"wall_s": round(wall, 2), "requests": len(rows), "statuses": sorted({r[2] for r in rows}),
            "p50_ms": round(percentile(times, 50) * 1000), "p95_ms": round(percentile(times, 95) * 1000),
            "max_ms": round(times[-1] * 1000) if times else None, "min_ms": round(times[0] * 1000) if times else None,
            "outcomes": {k: sum(1 for o in outcomes if o[1] == k) for k in {o[1] for o in outcomes}},
            "replayed": sum(1 for o in outcomes if o[2]), "answers": len(outcomes),
            "load_max_1min": max((x[0] for x in loads), default=None), "errors": errors[:10], "n_errors": len(errors)}


def gunicorn_workers(pid: int) -> dict:
    """CPU seconds of each gunicorn worker (children of the arbiter), to tell how many did work."""
    out = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            st = proc_stat(int(p.name))
            if st and st[1] == pid:
                out[int(p.name)] = round(st[2], 1)
    return out


# --- verify ---------------------------------------------------------------------------------------------------------

def counts(plan: dict) -> dict:
    from xinli.field.models import Device, FieldNote, SyncItem
    from xinli.screening.models import Assessment
    from xinli.smd.models import FollowUp, Task

    devs = [d["device_pk"] for d in plan["devices"]]
    bench_users = Device.objects.filter(pk__in=devs).values("user")
    return {"sync_items": SyncItem.objects.filter(device__in=devs).count(),
            "sync_items_distinct": SyncItem.objects.filter(device__in=devs).values("device", "client_id").distinct().count(),
            "stored": SyncItem.objects.filter(device__in=devs, outcome="stored").count(),
            "follow_ups": FollowUp.objects.filter(doctor__in=bench_users).count(),
            "follow_up_patients": FollowUp.objects.filter(doctor__in=bench_users).values("patient").distinct().count(),
            "tasks_done_by_field": Task.objects.filter(done_by__doctor__in=bench_users).count(),
            "home_visit_notes": FieldNote.objects.filter(author__in=bench_users, kind="home_visit").count(),
            "conflict_notes": FieldNote.objects.filter(author__in=bench_users, kind="conflict").count(),
            "assessments": Assessment.objects.filter(idempotency_key__startswith="field:").count()}


def expected(plan: dict) -> dict:
    items = [i for d in plan["devices"] for i in d["items"]]
    kinds = {k: sum(1 for i in items if i["kind"] == k) for k in ("smd_follow_up", "home_visit_note", "assessment")}
    return {"sync_items": len(items), "sync_items_distinct": len(items), "stored": len(items),
            "follow_ups": kinds["smd_follow_up"], "follow_up_patients": kinds["smd_follow_up"],
            "tasks_done_by_field": kinds["smd_follow_up"], "home_visit_notes": kinds["home_visit_note"], "conflict_notes": 0,
            "assessments": kinds["assessment"]}


def every_answer_matches(plan: dict) -> tuple[int, int]:
    """(items sent whose SyncItem exists with the device, items whose recorded record exists)."""
    from django.apps import apps

    from xinli.field.models import SyncItem

    sent = {(d["device_pk"], i["client_id"]) for d in plan["devices"] for i in d["items"]}
    rows = SyncItem.objects.filter(device__in=[d["device_pk"] for d in plan["devices"]])
    found = {(r.device_id, str(r.client_id)) for r in rows}
    have = 0
    by_type: dict[str, list[int]] = {}
    for r in rows:
        res = r.result.get("result") or {}
        kind = r.kind
        model, pk = {"smd_follow_up": ("smd.followup", res.get("follow_up")), "assessment": ("screening.assessment", res.get("assessment")),
                     "home_visit_note": ("field.fieldnote", res.get("note"))}.get(kind, ("", None))
        if pk:
            by_type.setdefault(model, []).append(pk)
    for model, pks in by_type.items():
        have += apps.get_model(model).objects.filter(pk__in=pks).count()
    return len(sent & found), have


def sql_count(plan: dict) -> dict:
    from django.db import connection

    from xinli.accounts.models import User
    from xinli.field import services
    from xinli.field.models import Device

    spare = plan["spare"]
    user = User.objects.get(username=spare["user"])
    device = Device.objects.select_related("user").get(pk=spare["device_pk"])
    items = [dict(i, client_id=uuid.UUID(i["client_id"]), device_time=_parse(i["device_time"])) for i in spare["items"]]
    n = [0]

    def counter(execute, sql, params, many, context):
        n[0] += 1
        return execute(sql, params, many, context)

    t = time.perf_counter()
    with connection.execute_wrapper(counter):
        results = services.sync(user, device, items)
    return {"forms": len(items), "statements": n[0], "per_form": round(n[0] / len(items), 1),
            "seconds_in_process": round(time.perf_counter() - t, 2),
            "outcomes": sorted({r["outcome"] for r in results})}


def _parse(value):
    import datetime

    return datetime.datetime.fromisoformat(value)


# --- main -----------------------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    args = parse_args(argv)
    VAR.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    env = bench_campaign.env_for(args, app=ROOT, var_dir=VAR)
    info = machine_info()
    if args.skip_setup:
        plan = json.loads((VAR / "plan.json").read_text())
        django_setup(env)
    else:
        plan = setup(args, env)
    from django.db import connection

    devices = plan["devices"]
    print(f"== {len(devices)} devices, {sum(len(d['items']) for d in devices)} forms, batch {args.batch}; "
          f"gunicorn {args.workers} workers x {args.threads} threads; load {loadavg()}", flush=True)
    before = counts(plan)
    connection.close()
    port = args.port or free_port()
    worker_class = "sync" if args.threads == 1 else "gthread"
    cmd = [str(VENV / "gunicorn"), "xinli.wsgi", "--bind", f"{HOST}:{port}", "--workers", str(args.workers),
           "--worker-class", worker_class, "--threads", str(args.threads), "--backlog", "2048", "--timeout", "300",
           "--log-level", "warning", "--no-control-socket"]
    proc = start_gunicorn(cmd, env, port, VAR / "gunicorn.log")
    try:
        load_before = loadavg()
        first = send_all(port, devices, args.batch, args.timeout)
        cpu_first = gunicorn_workers(proc.pid)
        print(json.dumps({"first": first}, ensure_ascii=False), flush=True)
        after_first = counts(plan)
        sent_found, records = every_answer_matches(plan)
        connection.close()
        replay = send_all(port, devices, args.batch, args.timeout)
        cpu_all = gunicorn_workers(proc.pid)
        print(json.dumps({"replay": replay}, ensure_ascii=False), flush=True)
    finally:
        stop_gunicorn(proc)
    after_replay = counts(plan)
    want = expected(plan)
    sql = sql_count(plan)
    ok = (after_first == want and after_replay == want and before["sync_items"] == 0 and sent_found == want["sync_items"]
          and records == want["sync_items"] and replay["replayed"] == want["sync_items"]
          and first["outcomes"] == {"stored": want["sync_items"]})
    result = {"when": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": info, "postgres": postgres_info(args.db),
              "args": {k: v for k, v in vars(args).items()}, "devices": len(devices), "load_before": load_before,
              "load_after": loadavg(), "first": first, "replay": replay, "counts_before": before,
              "counts_after_first": after_first, "counts_after_replay": after_replay, "expected": want,
              "sent_items_found": sent_found, "records_found": records, "gunicorn_worker_cpu_s_after_first": cpu_first,
              "gunicorn_worker_cpu_s_after_replay": cpu_all, "sql_one_request": sql, "verified": ok,
              "target_met": ok and first["wall_s"] <= TARGET_S}
    out = RESULTS / f"field-sync-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(f"""
| | first send | replay |
|---|---|---|
| requests | {first['requests']} | {replay['requests']} |
| wall time (barrier → last answer) | {first['wall_s']} s | {replay['wall_s']} s |
| per request p50 / p95 / max | {first['p50_ms']} / {first['p95_ms']} / {first['max_ms']} ms | {replay['p50_ms']} / {replay['p95_ms']} / {replay['max_ms']} ms |
| outcomes | {first['outcomes']} | {replay['outcomes']}, replayed {replay['replayed']} |
| HTTP statuses | {first['statuses']} | {replay['statuses']} |
| load average (1 min) max during | {first['load_max_1min']} | {replay['load_max_1min']} |

load average before {load_before}, after {result['load_after']}; gunicorn workers' CPU s {cpu_all}
database: expected {want}
          after first {after_first}
          after replay {after_replay}
sent items found {sent_found}, records found {records}
one sync request of {sql['forms']} forms in process: {sql['statements']} SQL statements ({sql['per_form']} per form), {sql['seconds_in_process']} s
verified: {ok}; target (≤ {TARGET_S:.0f} s) met: {result['target_met']}  -> {out.relative_to(ROOT)}""", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
