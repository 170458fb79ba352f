"""In-process scoring throughput of xinli.scales.score (no database): scores per second per instrument.

Run: .venv/bin/python bench/bench_scoring.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinli.settings")

import django  # noqa: E402

django.setup()

from xinli.scales import definitions, score  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    rng = random.Random(1)
    print(f"{'scale':8} {'scores/s':>10}")
    for code in ("phq9", "gad7", "k10", "who5", "pcl5", "audit", "scl90", "sdq"):
        d = definitions.get(code)
        samples = [{i.id: rng.choice(i.values) for i in d.scored_items} for _ in range(200)]
        sex = "female" if d.needs_sex else None
        n, start = 0, time.perf_counter()
        deadline = start + args.seconds
        while time.perf_counter() < deadline:
            for answers in samples:
                score(code, answers, sex=sex)
            n += len(samples)
        rate = n / (time.perf_counter() - start)
        print(f"{code:8} {rate:10.0f}")


if __name__ == "__main__":
    main()
