"""Locust user for the school-campaign load test (driven by bench/bench_campaign.py).

Each simulated participant takes the next unused one-time code from the file in CAMPAIGN_CODES and submits a PHQ-9
through POST /api/v1/campaign-submissions/ with no think time. Answers follow a plausible pupil distribution (most
items 0 or 1; item 9 positive for about 5 %). Anything but 201 is a failure. Each code is used exactly once.
"""

from __future__ import annotations

import os
import random

from locust import FastHttpUser, constant, events, task

CODES: list[str] = []
NEXT = [0]


@events.init.add_listener
def load_codes(environment, **kwargs):
    with open(os.environ["CAMPAIGN_CODES"], encoding="utf-8") as fh:
        CODES.extend(line.strip() for line in fh if line.strip())


def answers(rng: random.Random) -> dict:
    items = {str(i): rng.choices((0, 1, 2, 3), weights=(60, 25, 10, 5))[0] for i in range(1, 9)}
    items["9"] = rng.choices((0, 1, 2), weights=(95, 4, 1))[0]
    return items


class Participant(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.rng = random.Random()

    @task
    def submit(self):
        if NEXT[0] >= len(CODES):
            self.environment.runner.quit()  # out of codes: stop rather than reuse one
            return
        code = CODES[NEXT[0]]
        NEXT[0] += 1  # gevent: no other greenlet runs between the read and the increment
        with self.client.post("/api/v1/campaign-submissions/", json={"code": code, "responses": {"phq9": answers(self.rng)}},
                              name="campaign submission", catch_response=True) as resp:
            if resp.status_code == 201:
                resp.success()
            else:
                resp.failure(f"HTTP {resp.status_code}: {resp.text[:200]}")
