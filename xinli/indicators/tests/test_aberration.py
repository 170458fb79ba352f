"""EARS C1/C2/C3 and CUSUM on known series, each number worked out by hand."""

import math

import pytest

from xinli.indicators import aberration as ab


@pytest.mark.parametrize("method", ["C1", "C2", "C3", "CUSUM"])
def test_a_flat_series_never_alarms(method):
    assert not any(p.alarm for p in ab.METHODS[method]([5] * 40))


def test_a_spike_alarms_on_its_day_with_c1_and_c3():
    y = [5] * 20 + [30] + [5] * 9
    c1 = {p.t: p for p in ab.c1(y)}
    # Baseline of day 20: seven 5s -> mean 5, sigma 0 floored at 0.5 -> (30 - 5) / 0.5 = 50.
    assert c1[20].expected == 5 and c1[20].statistic == 50 and c1[20].alarm
    assert not c1[19].alarm
    c3 = {p.t: p for p in ab.c3(y)}
    assert c3[20].alarm and not c3[19].alarm
    # C3 on day 20 = max(0, C2(18) - 1) + max(0, C2(19) - 1) + max(0, C2(20) - 1) = 0 + 0 + (50 - 1) = 49.
    assert c3[20].statistic == 49


def test_c1_with_variation():
    y = [2, 4, 6, 4, 2, 4, 6, 12]
    (p,) = ab.c1(y)
    mean = 28 / 7
    sigma = math.sqrt(sum((v - mean) ** 2 for v in [2, 4, 6, 4, 2, 4, 6]) / 6)
    assert p.expected == pytest.approx(mean) and p.statistic == pytest.approx((12 - mean) / sigma)
    assert p.alarm == ((12 - mean) / sigma >= 3)


def test_c2_guard_band_ignores_the_two_days_before():
    y = [5] * 9 + [50, 50, 50]
    c2 = {p.t: p for p in ab.c2(y)}
    # Day 11: baseline days 2..8 (all 5), so days 9 and 10 do not raise the expectation.
    assert c2[11].expected == 5 and c2[11].alarm


HISTORY = [5] * 35  # five weeks of a steady 5 a day: CUSUM's lagged baseline (days t−35 … t−8) is full


def test_cusum_accumulates_and_resets_after_an_alarm():
    y = [4] * 35 + [10, 10, 10]
    pts = {p.t: p for p in ab.cusum(y)}
    # Day 35: m = 4 (days 0..27), z = 6/2 = 3, S = 3 - 1.04 = 1.96 (below h = 2.26): no alarm yet.
    assert pts[35].expected == 4 and pts[35].statistic == pytest.approx(1.96) and not pts[35].alarm
    # Day 36: the baseline (days 1..28) still holds no 10 -> S = 1.96 + 3 - 1.04 = 3.92: alarm, then reset.
    assert pts[36].expected == 4 and pts[36].statistic == pytest.approx(3.92) and pts[36].alarm
    # Day 37 starts again from 0: S = 3 - 1.04 = 1.96.
    assert pts[37].statistic == pytest.approx(1.96) and not pts[37].alarm


def test_the_baseline_is_lagged_by_eight_days_and_spans_four_weeks():
    y = list(range(1, 51))  # y[i] = i + 1
    pts = {p.t: p for p in ab.cusum(y)}
    assert min(pts) == 14  # the first day with 7 baseline days (days 0..6)
    assert pts[14].expected == pytest.approx(sum(range(1, 8)) / 7)  # days 0..6
    assert pts[40].expected == pytest.approx(sum(range(6, 34)) / 28)  # days 5..32 = values 6..33


def test_a_lasting_step_alarms_within_three_days():
    # The series [5]*7 + [9]*10 (an 80 % step), after five weeks at 5. z = 4/√5 = 1.789 a day, S grows by
    # 0.749: 0.749, 1.498, 2.247 (< 2.26), 2.995 -> alarm on the third day after the step's first day.
    y = HISTORY[7:] + [5] * 7 + [9] * 10
    t0 = 35
    pts = {p.t: p for p in ab.cusum(y)}
    step = 4 / math.sqrt(5) - 1.04
    assert [round(pts[t0 + i].statistic, 6) for i in range(4)] == [round(step * (i + 1), 6) for i in range(4)]
    assert [pts[t0 + i].alarm for i in range(4)] == [False, False, False, True]
    # The old 7-day moving baseline absorbed the same step: it never alarmed.
    assert not any(p.alarm for p in ab.cusum(y, cusum_lag=1, cusum_span=7))


def test_a_ramp_alarms_and_a_spike_alarms_on_its_day():
    ramp = HISTORY + [5 + i for i in range(10)]  # +1 a day
    pts = {p.t: p for p in ab.cusum(ramp)}
    # S: day 35..37 z ≤ k -> 0; day 38: 3/√5 - 1.04 = 0.302; day 39: + 4/√5 - 1.04; day 40: + 5/√5 - 1.04 = 2.247;
    # day 41: + 6/√5 - 1.04 -> 3.890 -> alarm.
    s = 0.0
    for t, y in zip(range(35, 42), ramp[35:42], strict=True):
        s = max(0.0, s + (y - 5) / math.sqrt(5) - 1.04)
        assert pts[t].statistic == pytest.approx(s)
    assert [t for t in range(35, 42) if pts[t].alarm] == [41]
    spike = HISTORY + [30] + [5] * 9
    assert [p.t for p in ab.cusum(spike) if p.alarm] == [35]


def test_flat_and_noisy_series_stay_quiet():
    assert not any(p.alarm for p in ab.cusum([5] * 90))
    pattern = [5, 4, 6, 5, 3, 7, 5, 6, 4, 5, 5, 6, 4, 7, 3, 5] * 6  # bounded day-to-day noise around 5
    assert not any(p.alarm for p in ab.cusum(pattern))
    # Poisson(5) noise, 200 seeded series of 90 days: false alarms on fewer than 1 % of the days with a full
    # baseline (measured 0.65 %; C1 on the same days 2.5 %).
    import random

    def poisson(rng, lam=5.0):
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= rng.random()
            if p < limit:
                return k
            k += 1

    days = alarms = 0
    for seed in range(200):
        rng = random.Random(seed)
        pts = [p for p in ab.cusum([poisson(rng) for _ in range(90)]) if p.t >= 35]
        days += len(pts)
        alarms += sum(p.alarm for p in pts)
    assert days == 200 * 55 and alarms / days < 0.01


def test_parameters_can_be_overridden(settings):
    settings.XINLI_EARS = {"threshold": 100}
    assert not any(p.alarm for p in ab.c1([5] * 20 + [30]))
