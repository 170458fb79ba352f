"""Aberration detection for the early warning (社会心态预测预警): EARS C1, C2, C3 and CUSUM, as pure functions of a
daily (or weekly) count series. Parameters come from settings (``XINLI_EARS``) with the defaults below.

* C1: baseline = y[t−7 .. t−1]; μ, σ (n−1, floored at ``min_sigma``); statistic (y_t − μ)/σ; alarm when ≥ ``threshold``.
* C2: the same with baseline y[t−9 .. t−3] (a two-day guard band).
* C3: sum over t−2 .. t (the current day included) of max(0, C2 − 1); alarm when ≥ ``c3_threshold``.
* CUSUM: z_t = (y_t − m)/√m with m the mean of a *lagged* baseline y[t−lag−span+1 .. t−lag] (defaults lag 8 and span
  28: days t−35 … t−8; fewer days at the start of a series, at least ``cusum_min_baseline`` = 7), floored at
  ``min_mean``; S_t = max(0, S_{t−1} + z_t − k); alarm when S_t ≥ h; S is reset to 0 after an alarm. The lag keeps a
  lasting rise out of its own baseline for a week, so CUSUM sees a step that C1's moving 7-day baseline absorbs
  (issue 16: ``[5]*7 + [9]*10`` never alarmed when the baseline was the previous 7 days).

Each function returns one ``Point`` per day that has a full baseline: the day's index, the observed value, the
expected value (baseline mean), the threshold, the statistic, and whether it alarms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

DEFAULTS = {"threshold": 3.0, "min_sigma": 0.5, "c3_threshold": 2.0, "k": 1.04, "h": 2.26, "min_mean": 0.5,
            "cusum_lag": 8, "cusum_span": 28, "cusum_min_baseline": 7}
# The periods before the last one that CUSUM needs for a full baseline (the warning module fetches them).
CUSUM_LEAD = DEFAULTS["cusum_lag"] + DEFAULTS["cusum_span"] - 1


def params(**overrides) -> dict:
    return {**DEFAULTS, **getattr(settings, "XINLI_EARS", {}), **overrides}


@dataclass(frozen=True)
class Point:
    t: int
    observed: float
    expected: float
    threshold: float
    statistic: float
    alarm: bool


def _baseline(y: Sequence[float], start: int, end: int, min_sigma: float) -> tuple[float, float]:
    window = [float(v) for v in y[start:end]]
    mean = sum(window) / len(window)
    var = sum((v - mean) ** 2 for v in window) / (len(window) - 1)
    return mean, max(math.sqrt(var), min_sigma)


def c1(y: Sequence[float], **overrides) -> list[Point]:
    p = params(**overrides)
    out = []
    for t in range(7, len(y)):
        mean, sigma = _baseline(y, t - 7, t, p["min_sigma"])
        stat = (float(y[t]) - mean) / sigma
        out.append(Point(t, float(y[t]), mean, p["threshold"], stat, stat >= p["threshold"]))
    return out


def c2(y: Sequence[float], **overrides) -> list[Point]:
    p = params(**overrides)
    out = []
    for t in range(9, len(y)):
        mean, sigma = _baseline(y, t - 9, t - 2, p["min_sigma"])
        stat = (float(y[t]) - mean) / sigma
        out.append(Point(t, float(y[t]), mean, p["threshold"], stat, stat >= p["threshold"]))
    return out


def c3(y: Sequence[float], **overrides) -> list[Point]:
    p = params(**overrides)
    by_t = {pt.t: pt for pt in c2(y, **overrides)}
    out = []
    for t in range(11, len(y)):
        stat = sum(max(0.0, by_t[s].statistic - 1) for s in (t - 2, t - 1, t))
        out.append(Point(t, float(y[t]), by_t[t].expected, p["c3_threshold"], stat, stat >= p["c3_threshold"]))
    return out


def cusum(y: Sequence[float], **overrides) -> list[Point]:
    p = params(**overrides)
    lag, span = int(p["cusum_lag"]), int(p["cusum_span"])
    out, s = [], 0.0
    for t in range(lag + int(p["cusum_min_baseline"]) - 1, len(y)):
        window = [float(v) for v in y[max(0, t - lag - span + 1):t - lag + 1]]
        m = max(sum(window) / len(window), p["min_mean"])
        z = (float(y[t]) - m) / math.sqrt(m)
        s = max(0.0, s + z - p["k"])
        alarm = s >= p["h"]
        out.append(Point(t, float(y[t]), m, p["h"], s, alarm))
        if alarm:
            s = 0.0
    return out


METHODS = {"C1": c1, "C2": c2, "C3": c3, "CUSUM": cusum}
