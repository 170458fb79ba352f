"""Locust user for the school-campaign load test (driven by bench/bench_campaign.py).

Each simulated participant takes the next unused one-time code from the file named by CAMPAIGN_CODES and submits
a PHQ-9 through POST /api/v1/campaign-submissions/ with no think time. Answers follow a plausible pupil
distribution (most items 0 or 1; item 9 positive for about 5 %, so some submissions also raise alerts). Anything
but 201 is a failure. Locust runs as one process (gevent), so the shared index hands out every code exactly once.

When CAMPAIGN_LOG is set, every request is written there at the end as one JSON line
``[code, start_epoch_s, response_ms, status, ok]`` followed by a summary line, so that the driver can compute exact
percentiles (locust's own histogram rounds times above 100 ms to 10 ms) and check each successful code against
the database.
"""

from __future__ import annotations

import json
import os
import random

import gevent
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

PATH = "/api/v1/campaign-submissions/"
CODES: list[str] = []
STATE = {"next": 0, "exhausted": False}
LOG: list[list] = []


@events.init.add_listener
def load_codes(environment, **kwargs):
    with open(os.environ["CAMPAIGN_CODES"], encoding="utf-8") as fh:
        CODES.extend(line.strip() for line in fh if line.strip())


@events.quitting.add_listener
def write_log(environment, **kwargs):
    path = os.environ.get("CAMPAIGN_LOG")
    if not path:
        return
    with open(path, "w", encoding="utf-8") as fh:
        for row in LOG:
            fh.write(json.dumps(row) + "\n")
        fh.write(json.dumps({"codes_taken": STATE["next"], "codes_available": len(CODES),
                             "exhausted": STATE["exhausted"]}) + "\n")


def answers(rng: random.Random) -> dict:
    items = {str(i): rng.choices((0, 1, 2, 3), weights=(60, 25, 10, 5))[0] for i in range(1, 9)}
    items["9"] = rng.choices((0, 1, 2), weights=(95, 4, 1))[0]
    return items


class Participant(FastHttpUser):
    wait_time = constant(0)
    connection_timeout = 10.0
    network_timeout = 30.0

    def on_start(self):
        self.rng = random.Random()

    @task
    def submit(self):
        if STATE["next"] >= len(CODES):
            # Out of codes: end the run rather than reuse one (the driver then marks the run invalid).
            if not STATE["exhausted"]:
                STATE["exhausted"] = True
                gevent.spawn(self.environment.runner.quit)
            raise StopUser()
        code = CODES[STATE["next"]]
        STATE["next"] += 1  # gevent: no other greenlet runs between the read and the increment
        body = {"code": code, "responses": {"phq9": answers(self.rng)}}
        with self.client.post(PATH, json=body, name="campaign submission", catch_response=True) as resp:
            ok = resp.status_code == 201
            if ok:
                resp.success()
            else:
                resp.failure(f"HTTP {resp.status_code}: {(resp.text or '')[:200]}")
            LOG.append([code, round(resp.request_meta["start_time"], 6),
                        round(resp.request_meta["response_time"], 3), resp.status_code, ok])
