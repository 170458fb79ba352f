"""Locust users for the mixed production load test (driven by bench/bench_load.py).

Six kinds of user, each paced (one request per ``period`` seconds per user, whatever the response time, as long as
the server keeps up), so that the offered load and its mix are fixed by the driver rather than by the server's speed:

* ``PortalVisitor`` (anonymous): the portal home, the article list and an article, the site finder by county and
  by distance, and the PHQ-9 self-test (GET the page, POST the answers with the CSRF token, not kept);
* ``Participant`` (anonymous): a campaign submission (POST /api/v1/campaign-submissions/) with the next unused
  one-time code and an ``Idempotency-Key`` header; during the surge phase their pace is ``SURGE_FACTOR`` times
  faster (the 10x surge of campaign submissions);
* ``StaffSearch`` (token): archive look-up by ID number and by whole name (GET /api/v1/persons/);
* ``SmdDoctor`` (token): a follow-up saved for a patient of the county psychiatrist (the statutory minimum for
  patients who did not consent to community management, the clinical fields too for the others) (POST /api/v1/smd/patients/{id}/follow-ups/);
* ``Officer`` (session login): the indicator dashboard /indicators/;
* ``HotlineOperator`` (token): a call record (POST /api/v1/hotline/calls/).

Configuration from the environment (set by the driver): LOAD_DATA (JSON: accounts, samples), CAMPAIGN_CODES (one code
a line), LOAD_LOG (request log written at the end, one JSON line per request ``[name, start_epoch_s, ms, status,
ok, code]`` and a summary line), LOAD_PHASES ("base,surge,after" seconds, after LOAD_WARMUP seconds), LOAD_SURGE_FACTOR, LOAD_PACE (a factor on
every period; 2 = twice the load). Participants take codes from a shared index (locust is one gevent process, so
every code is handed out once); when the codes run out the run ends and the driver marks it invalid.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import re
import time
import uuid

import gevent
from locust import FastHttpUser, events, task
from locust.exception import StopUser

DATA: dict = {}
CODES: list[str] = []
STATE = {"next": 0, "exhausted": False, "t0": None}
LOG: list[list] = []
PHASES = [int(x) for x in os.environ.get("LOAD_PHASES", "60,30,60").split(",")]
WARMUP = int(os.environ.get("LOAD_WARMUP", "0"))
SURGE_FACTOR = float(os.environ.get("LOAD_SURGE_FACTOR", "10"))
PACE = float(os.environ.get("LOAD_PACE", "1"))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@events.init.add_listener
def load_data(environment, **kwargs):
    with open(os.environ["LOAD_DATA"], encoding="utf-8") as fh:
        DATA.update(json.load(fh))
    with open(os.environ["CAMPAIGN_CODES"], encoding="utf-8") as fh:
        CODES.extend(line.strip() for line in fh if line.strip())


@events.test_start.add_listener
def started(environment, **kwargs):
    STATE["t0"] = time.time()


@events.quitting.add_listener
def write_log(environment, **kwargs):
    path = os.environ.get("LOAD_LOG")
    if not path:
        return
    with open(path, "w", encoding="utf-8") as fh:
        for row in LOG:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.write(json.dumps({"codes_taken": STATE["next"], "codes_available": len(CODES), "exhausted": STATE["exhausted"],
                             "t0": STATE["t0"], "phases": PHASES, "surge_factor": SURGE_FACTOR, "pace": PACE}) + "\n")


def in_surge() -> bool:
    t0 = STATE["t0"]
    return t0 is not None and PHASES[0] <= time.time() - t0 - WARMUP < PHASES[0] + PHASES[1]


class Paced(FastHttpUser):
    """One task per ``period`` seconds (divided by ``PACE``); a random start offset spreads the users."""

    abstract = True
    period = 1.0
    connection_timeout = 10.0
    network_timeout = 60.0

    def on_start(self):
        self.rng = random.Random()
        self.last = time.monotonic() - self.rng.uniform(0, self.current_period())

    def current_period(self) -> float:
        return self.period / PACE

    def wait_time(self):
        left = self.current_period() - (time.monotonic() - self.last)
        return max(0.0, left)

    def call(self, method: str, path: str, name: str, ok_status=(200,), code: str = "", **kw):
        self.last = time.monotonic()
        with self.client.request(method, path, name=name, catch_response=True, **kw) as resp:
            ok = resp.status_code in ok_status
            if ok:
                resp.success()
            else:
                resp.failure(f"HTTP {resp.status_code}: {(resp.text or '')[:200]}")
            LOG.append([name, round(resp.request_meta["start_time"], 6), round(resp.request_meta["response_time"], 3),
                        resp.status_code, ok, code])
            return resp

    def token_login(self, role: str) -> None:
        acc = DATA["accounts"][role]
        resp = self.client.post("/api/v1/auth/token/", json={"username": acc["username"], "password": acc["password"]},
                                name="(login)")
        if resp.status_code != 200:
            raise StopUser()
        self.headers = {"Authorization": f"Token {resp.json()['token']}"}


class PortalVisitor(Paced):
    weight = 30
    period = 2.0

    @task(3)
    def home(self):
        self.call("GET", "/p/", "portal home")

    @task(2)
    def articles(self):
        self.call("GET", "/p/articles/", "portal articles")

    @task(3)
    def article(self):
        self.call("GET", f"/p/articles/{self.rng.choice(DATA['articles'])}/", "portal article")

    @task(2)
    def finder(self):
        if self.rng.random() < 0.5:
            self.call("GET", f"/p/sites/?unit={self.rng.choice(DATA['counties'])}", "site finder (area)")
        else:
            self.call("GET", f"/p/sites/?near={self.rng.choice(DATA['near'])}", "site finder (near)")

    @task(2)
    def self_test(self):
        page = self.call("GET", "/p/test/phq9/", "self-test page")
        m = CSRF.search(page.text or "")
        if not m:
            return
        answers = {f"q_{i}": self.rng.choices((0, 1, 2, 3), weights=(55, 25, 12, 8))[0] for i in range(1, 10)}
        self.call("POST", "/p/test/phq9/", "self-test submit", data={**answers, "csrfmiddlewaretoken": m.group(1)},
                  headers={"Referer": f"{self.host}/p/test/phq9/"})


class Participant(Paced):
    weight = 10
    period = 2.0

    def current_period(self) -> float:
        return self.period / PACE / (SURGE_FACTOR if in_surge() else 1.0)

    @task
    def submit(self):
        if STATE["next"] >= len(CODES):
            if not STATE["exhausted"]:
                STATE["exhausted"] = True
                gevent.spawn(self.environment.runner.quit)
            raise StopUser()
        code = CODES[STATE["next"]]
        STATE["next"] += 1  # gevent: no other greenlet runs between the read and the increment
        items = {str(i): self.rng.choices((0, 1, 2, 3), weights=(60, 25, 10, 5))[0] for i in range(1, 9)}
        items["9"] = self.rng.choices((0, 1, 2), weights=(95, 4, 1))[0]
        self.call("POST", "/api/v1/campaign-submissions/", "campaign submission", ok_status=(201,), code=code,
                  json={"code": code, "responses": {"phq9": items}}, headers={"Idempotency-Key": uuid.uuid4().hex})


class StaffSearch(Paced):
    weight = 6
    period = 1.0

    def on_start(self):
        super().on_start()
        self.token_login("staff")

    @task(2)
    def by_id_number(self):
        id_number, _name = self.rng.choice(DATA["persons"])
        self.call("GET", f"/api/v1/persons/?id_number={id_number}", "archive search (ID number)", headers=self.headers)

    @task(1)
    def by_name(self):
        _id_number, name = self.rng.choice(DATA["persons"])
        self.call("GET", f"/api/v1/persons/?q={name}", "archive search (name)", headers=self.headers)


class SmdDoctor(Paced):
    weight = 2
    period = 3.0

    def on_start(self):
        super().on_start()
        self.token_login("smd")

    @task
    def follow_up(self):
        pk, consent = self.rng.choice(DATA["smd_patients"])
        body = {"date": datetime.date.today().isoformat(), "mode": self.rng.choice(["clinic", "home", "phone"]),
                "risk": self.rng.choice([0, 0, 0, 1, 1, 2])}
        if consent:  # without consent to community management only the visit and the risk level are recorded
            body.update(insight="partial", sleep="good", diet="good", adherence="regular", effect="improved")
        self.call("POST", f"/api/v1/smd/patients/{pk}/follow-ups/", "SMD follow-up save", ok_status=(201,),
                  json=body, headers=self.headers)


class Officer(Paced):
    weight = 3
    period = 3.0

    def on_start(self):
        super().on_start()
        acc = DATA["accounts"]["officer"]
        page = self.client.get("/accounts/login/", name="(login)")
        m = CSRF.search(page.text or "")
        resp = self.client.post("/accounts/login/", name="(login)", allow_redirects=False,
                                data={"username": acc["username"], "password": acc["password"],
                                      "csrfmiddlewaretoken": m.group(1) if m else ""},
                                headers={"Referer": f"{self.host}/accounts/login/"})
        if resp.status_code != 302:
            raise StopUser()

    @task
    def dashboard(self):
        unit = self.rng.choice(DATA["dashboard_units"])
        self.call("GET", f"/indicators/?org={unit}" if unit else "/indicators/", "dashboard /indicators/")


class HotlineOperator(Paced):
    weight = 2
    period = 3.0

    def on_start(self):
        super().on_start()
        self.token_login("hotline")

    @task
    def record_call(self):
        now = datetime.datetime.now(datetime.UTC)
        body = {"line": DATA["line"], "started_at": (now - datetime.timedelta(minutes=12)).isoformat(),
                "answered_at": (now - datetime.timedelta(minutes=11, seconds=40)).isoformat(), "ended_at": now.isoformat(),
                "caller_phone": f"13{self.rng.randint(100_000_000, 999_999_999)}", "recording_notice": True,
                "category": "general", "problem_types": ["emotion"], "ideation": self.rng.choice([0, 0, 0, 1, 2]),
                "hopelessness": self.rng.choice([0, 1, 2, 3]), "notes": "负载测试来电"}
        self.call("POST", "/api/v1/hotline/calls/", "hotline call record", ok_status=(201,), json=body,
                  headers=self.headers)
