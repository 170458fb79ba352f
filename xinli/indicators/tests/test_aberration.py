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


def test_cusum_accumulates_and_resets_after_an_alarm():
    y = [4] * 7 + [10, 10, 10]
    pts = {p.t: p for p in ab.cusum(y)}
    # Day 7: m = 4, z = 6/2 = 3, S = 3 - 1.04 = 1.96 (below h = 2.26): no alarm yet.
    assert pts[7].statistic == pytest.approx(1.96) and not pts[7].alarm
    # Day 8: baseline = six 4s and a 10 -> m = 34/7; S = 1.96 + (10 - m)/sqrt(m) - 1.04 = 3.254 -> alarm, then reset.
    m8 = 34 / 7
    assert pts[8].statistic == pytest.approx(1.96 + (10 - m8) / math.sqrt(m8) - 1.04) and pts[8].alarm
    # Day 9 starts again from 0: m = 40/7, S = (10 - m)/sqrt(m) - 1.04 = 0.753.
    m9 = 40 / 7
    assert pts[9].statistic == pytest.approx((10 - m9) / math.sqrt(m9) - 1.04) and not pts[9].alarm


def test_a_small_shift_absorbed_by_the_moving_baseline_does_not_alarm():
    assert not any(p.alarm for p in ab.cusum([4] * 7 + [7, 7, 7, 7]))


def test_parameters_can_be_overridden(settings):
    settings.XINLI_EARS = {"threshold": 100}
    assert not any(p.alarm for p in ab.c1([5] * 20 + [30]))
