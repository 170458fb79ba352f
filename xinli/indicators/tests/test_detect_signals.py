"""Early-warning series and detection: the weekly series alarm on a spike week (stored on the week's Monday as
``<series>:week``), C2 is run and stored, the screening rate and mean severity are the hand-computed values with
sparse days missing (not 0), extreme incidents are a daily series, and detection stays idempotent."""

import datetime

import pytest
from django.utils import timezone

from xinli.alerts.models import Alert
from xinli.indicators import warning
from xinli.indicators.models import ExtremeIncident, Signal
from xinli.screening.models import Assessment

pytestmark = pytest.mark.django_db


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def alerts_on(tree, day, n, tag="k"):
    moment = at(day)
    for i in range(n):
        Alert.objects.create(level="red" if i % 2 else "orange", source="manual", cause="x", summary="", subject_key=f"{tag}:{day}:{i}",
                             org_unit=tree.a1v1, org_path=tree.a1v1.path, county_code="370202", owner_unit=tree.a1, created_at=moment,
                             ack_due_at=moment, contact_due_at=moment, last_signal_at=moment)


def assessments_on(tree, day, severities, unit=None):
    unit = unit or tree.a1v1
    for s in severities:
        Assessment.objects.create(scale="phq9", scale_version="1", mode="staff", answers_json="{}", total=0, raw_total=0, band="b",
                                  severity=s, taken_at=at(day), org_path=unit.path, county_code=unit.code[:6])


def test_a_spike_week_alarms_on_the_weekly_series(tree):
    week = warning.week_start(timezone.localdate()) - datetime.timedelta(weeks=1)  # the last complete ISO week
    for back in range(1, 16):
        monday = week - datetime.timedelta(weeks=back)
        alerts_on(tree, monday + datetime.timedelta(days=back % 7), 2 + back % 2)  # 2 or 3 a week, on varying weekdays
    alerts_on(tree, week + datetime.timedelta(days=6), 12)  # Sunday of the spike week: still that week
    y = warning.weekly_series(tree.county_a, "alerts_red_orange", week)
    assert len(y) == 16 and y[-1] == 12 and y[:-1] == [2 + back % 2 for back in range(15, 0, -1)]
    created = warning.detect(week + datetime.timedelta(days=3), units=[tree.county_a, tree.county_b], weekly=True)
    got = {(s.org_unit_id, s.series, s.method, s.day) for s in created}
    assert (tree.county_a.pk, "alerts_red_orange:week", "C1", week) in got
    assert (tree.county_a.pk, "alerts_red_orange:week", "C2", week) in got
    assert not any(s.org_unit_id == tree.county_b.pk for s in created)
    c1 = Signal.objects.get(series="alerts_red_orange:week", method="C1")
    assert c1.observed == 12 and float(c1.expected) == pytest.approx(sum([2 + b % 2 for b in range(1, 8)]) / 7, abs=0.001)
    assert warning.detect(week, units=[tree.county_a], weekly=True) == []  # the same week again: nothing new
    assert Signal.objects.filter(series="alerts_red_orange:week", method="C1").count() == 1


def test_c2_is_run_and_stored(tree):
    today = timezone.localdate()
    for back in range(1, 30):
        alerts_on(tree, today - datetime.timedelta(days=back), 1)
    alerts_on(tree, today, 9)
    warning.detect(today, units=[tree.county_a])
    c2 = Signal.objects.get(series="alerts_red_orange", method="C2")
    assert (c2.day, c2.observed, c2.expected, c2.threshold) == (today, 9, 1, 3)
    assert c2.statistic == 16  # (9 − 1) / σ floored at 0.5


def test_screening_rate_and_mean_severity_by_hand(tree):
    today = timezone.localdate()
    assessments_on(tree, today, [0, 1, 2, 3, 0, 0, 2, 1])  # 8 results, 3 moderate or worse; severities sum to 9
    assessments_on(tree, today, [3], unit=tree.b1v1)  # another county: not counted
    assessments_on(tree, today - datetime.timedelta(days=1), [3, 3, 3, 3])  # only 4: too few for a rate
    assessments_on(tree, today - datetime.timedelta(days=3), [2, 0, 0, 0, 0])  # 5: enough
    rate = warning.series(tree.county_a, "screening_positive_rate", today)
    mean = warning.series(tree.county_a, "screening_mean_severity", today)
    assert rate[-1] == 37.5 and mean[-1] == 1.125
    assert rate[-2] is None and mean[-2] is None  # 4 results: missing, not 100 %
    assert rate[-3] is None  # no screening at all: missing, not 0 %
    assert rate[-4] == 20.0 and mean[-4] == 0.4
    assert warning.series(tree.county_a, "screening_positive", today)[-1] == 3
    weekly = warning.weekly_series(tree.county_a, "screening_positive_rate", today)
    week_days = range(today.weekday() + 1)  # the days of this week up to today
    week = [(8, 3)] * (0 in week_days) + [(4, 4)] * (1 in week_days) + [(5, 1)] * (3 in week_days)
    n, pos = sum(w[0] for w in week), sum(w[1] for w in week)
    assert weekly[-1] == (round(100 * pos / n, 3) if n >= 5 else None)


def test_a_rate_spike_alarms_and_empty_days_do_not(tree):
    today = timezone.localdate()
    for back in range(1, 16):
        if back in (2, 5, 6):
            continue  # no screening on those days: left out of the baseline
        assessments_on(tree, today - datetime.timedelta(days=back), [2] + [0] * 9)  # 10 %
    assessments_on(tree, today, [2] * 6 + [0] * 4)  # 60 %
    created = warning.detect(today, units=[tree.county_a])
    rate = {s.method: s for s in created if s.series == "screening_positive_rate"}
    assert {"C1", "C2"} <= set(rate) and rate["C1"].observed == 60 and rate["C1"].expected == 10
    assert any(s.series == "screening_mean_severity" for s in created)
    assert not any(s.series == "screening_mean_severity" and s.method == "CUSUM" for s in created)
    # The day after two empty days, a normal 10 % raises nothing (a 0 % gap would have made it look like a jump).
    Signal.objects.all().delete()
    assert [s for s in warning.detect(today - datetime.timedelta(days=4), units=[tree.county_a]) if s.series.startswith("screening")] == []


def test_extreme_incidents_are_a_daily_series(tree):
    today = timezone.localdate()
    for back, n in ((0, 3), (10, 1)):
        for _ in range(n):
            ExtremeIncident.objects.create(org_unit=tree.a2v1, org_path=tree.a2v1.path, date=today - datetime.timedelta(days=back), kind="suicide")
    ExtremeIncident.objects.create(org_unit=tree.b1v1, org_path=tree.b1v1.path, date=today, kind="suicide")
    y = warning.series(tree.county_a, "extreme_incidents", today)
    assert y[-1] == 3 and y[-11] == 1 and sum(y) == 4
    created = warning.detect(today, units=[tree.county_a])
    assert ("extreme_incidents", "C1") in {(s.series, s.method) for s in created}


def test_chart_marks_alarm_days(tree):
    today = timezone.localdate()
    for back in range(1, 40):
        alerts_on(tree, today - datetime.timedelta(days=back), 1)
    alerts_on(tree, today - datetime.timedelta(days=5), 8, tag="spike")  # 9 that day
    c = warning.chart(tree.county_a, "alerts_red_orange", today)
    assert len(c["labels"]) == len(c["values"]) == 30 and c["values"][-6] == 9
    assert c["alarms"][0][:2] == [24, 9] and {"C1", "C2", "C3"} <= set(c["alarms"][0][2].split())
    assert {a[0] for a in c["alarms"]} <= {24, 25, 26}  # C3 looks back two days; the quiet days after are not marked
    quiet = warning.chart(tree.county_b, "alerts_red_orange", today)
    assert quiet["values"] == [0] * 30 and quiet["alarms"] == []


def test_detect_sees_a_lasting_rise_through_the_lagged_cusum_baseline(tree):
    """Five weeks of 2 red/orange alerts a day, then 5 a day for four days: CUSUM (baseline days t−35 … t−8, fetched
    by detect beyond its 30-day window) alarms on the third day: S grows by 3/√2 − 1.04 = 1.081 a day — 1.081,
    2.162 (< h = 2.26), 3.243 (alarm)."""
    today = timezone.localdate()
    for back in range(4, 40):
        alerts_on(tree, today - datetime.timedelta(days=back), 2)
    for back in range(0, 4):
        alerts_on(tree, today - datetime.timedelta(days=back), 5, tag="rise")
    third = today - datetime.timedelta(days=1)
    created = warning.detect(third, units=[tree.county_a])
    cusum = [s for s in created if s.method == "CUSUM" and s.series == "alerts_red_orange"]
    assert len(cusum) == 1 and cusum[0].day == third and float(cusum[0].expected) == 2
    assert float(cusum[0].statistic) == pytest.approx(3 * (3 / 2 ** 0.5 - 1.04), abs=0.001)
    second = warning.detect(today - datetime.timedelta(days=2), units=[tree.county_a])
    assert not any(s.method == "CUSUM" for s in second)
