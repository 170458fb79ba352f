"""SMD benchmarks on the `city` database (issue 5), see bench/BENCHMARKS.md.

    bash bench/seed_city.sh                                       # the city (once)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xinli_bench XINLI_KEY_FILE=var/bench-keys.json \\
        .venv/bin/python manage.py seed_demo_smd                  # ≈ 9,000 patients with two years of follow-ups
    .venv/bin/python bench/bench_smd.py                           # indicators for every unit + worklist page p95

* indicators: ``xinli.smd.indicators.compute`` for the city, every county and every township, for this year and
  last year, in-process (seconds);
* worklist: gunicorn (2 sync workers) on 127.0.0.1; the demo ``smd_doctor`` (a township) logs in through the login
  form and GETs /smd/ -n times, one at a time; p50/p95/p99 in ms.

Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookies
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HOST = "127.0.0.1"


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


class Session:
    def __init__(self, port):
        self.port, self.cookies = port, {}

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        for header in resp.headers.get_all("Set-Cookie") or []:
            c = http.cookies.SimpleCookie(header)
            for k, m in c.items():
                self.cookies[k] = m.value
        conn.close()
        return resp.status, data


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="xinli_bench")
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--accounts", default=str(ROOT / "var" / "bench-accounts.json"))
    args = parser.parse_args(argv)
    env = dict(os.environ, DATABASE_URL=f"postgres://postgres@{HOST}:5432/{args.db}", XINLI_KEY_FILE=str(ROOT / "var" / "bench-keys.json"),
               XINLI_DEMO="1", DJANGO_SETTINGS_MODULE="xinli.settings", XINLI_NOTIFY_CHANNELS="")
    env.pop("XINLI_DEBUG", None)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "XINLI_KEY_FILE", "XINLI_DEMO", "DJANGO_SETTINGS_MODULE")})
    import django

    django.setup()
    from django.utils import timezone

    from xinli.regions.models import OrgUnit
    from xinli.smd.indicators import compute
    from xinli.smd.models import FollowUp, Patient

    patients, follow_ups = Patient.objects.count(), FollowUp.objects.count()
    units = list(OrgUnit.objects.filter(level__in=["city", "county", "township"], valid_to__isnull=True).order_by("path"))
    out = {"patients": patients, "follow_ups": follow_ups, "units": len(units)}
    for year in (timezone.localdate().year, timezone.localdate().year - 1):
        t0 = time.perf_counter()
        rows = compute(units, year)
        seconds = time.perf_counter() - t0
        city = rows[0]
        print(f"indicators {year}: {len(units)} units ({patients} patients, {follow_ups} follow-ups) in {seconds:.2f} s; "
              f"city in register {city.in_register}, management rate {city.rates['management_rate']:.3f}")
        out[f"indicators_{year}_s"] = round(seconds, 2)

    accounts = {a["username"]: a["password"] for a in json.loads(Path(args.accounts).read_text())}
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "xinli.wsgi", "--bind", f"{HOST}:{port}", "--workers", "2"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        sess = Session(port)
        for _ in range(100):
            try:
                if sess.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        status, page = sess.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        body = urllib.parse.urlencode({"username": "smd_doctor", "password": accounts["smd_doctor"], "csrfmiddlewaretoken": token})
        status, _ = sess.request("POST", "/accounts/login/", body, {"Content-Type": "application/x-www-form-urlencoded",
                                                                     "Referer": f"http://{HOST}:{port}/accounts/login/"})
        assert status == 302, f"login failed: {status}"
        status, page = sess.request("GET", "/smd/")
        assert status == 200, status
        rows = page.count(b"/smd/patients/")
        times = []
        for _ in range(args.n):
            t0 = time.perf_counter()
            status, page = sess.request("GET", "/smd/")
            times.append((time.perf_counter() - t0) * 1000)
            assert status == 200
        print(f"worklist /smd/ (smd_doctor's township, {rows} patient links on the page): n={len(times)} "
              f"p50={pct(times, 50):.1f} p95={pct(times, 95):.1f} p99={pct(times, 99):.1f} max={max(times):.1f} ms")
        out["worklist_ms"] = {"p50": pct(times, 50), "p95": pct(times, 95), "p99": pct(times, 99), "max": max(times), "links": rows}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
    path = ROOT / "bench" / "results" / f"smd-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
