"""Opening hours typed as free text are parsed into days and times (the rule in xinli/network/hours.py)."""

import datetime

import pytest

from xinli.network.hours import ALL_DAYS, parse

WEEKDAYS = frozenset(range(5))
T = datetime.time


@pytest.mark.parametrize(("text", "rules"), [
    ("工作日", ((WEEKDAYS, ()),)),
    ("周一至周五 9:00-17:00", ((WEEKDAYS, ((T(9), T(17)),)),)),
    ("星期一到星期五 9：00—17：00", ((WEEKDAYS, ((T(9), T(17)),)),)),
    ("周二、周四 14:00-17:00", ((frozenset({1, 3}), ((T(14), T(17)),)),)),
    ("每天 8:30-11:30 14:00-17:30", ((ALL_DAYS, ((T(8, 30), T(11, 30)), (T(14), T(17, 30)))),)),
    ("周一至周五 上午8:30-11:30 下午2:00-5:00，周六 9:00-12:00",
     ((WEEKDAYS, ((T(8, 30), T(11, 30)), (T(14), T(17)))), (frozenset({5}), ((T(9), T(12)),)))),
    ("周二至周日 9:00-17:00，周一休息", ((frozenset(range(1, 7)), ((T(9), T(17)),)),)),
    ("周一至周五全天", ((WEEKDAYS, ()),)),
    ("周末 9:00-12:00", ((frozenset({5, 6}), ((T(9), T(12)),)),)),
    ("9:00-17:00", ((ALL_DAYS, ((T(9), T(17)),)),)),
    ("24小时", ((ALL_DAYS, ()),)),
    ("Mon-Fri 9:00-17:00", ((WEEKDAYS, ((T(9), T(17)),)),)),
    ("周一至周五 9:00-17:00（法定节假日除外）", ((WEEKDAYS, ((T(9), T(17)),)),)),
])
def test_free_text_hours_are_parsed(text, rules):
    assert parse(text).rules == rules


@pytest.mark.parametrize("text", ["", "请电话预约", "预约制", "25:00-26:00"])
def test_unrecognised_hours_restrict_nothing(text):
    assert parse(text) is None


def test_a_slot_must_start_and_end_within_one_range():
    hours = parse("周一至周五 8:30-11:30 14:00-17:00")
    monday = datetime.date(2026, 12, 7)
    at = lambda h, m=0: datetime.datetime.combine(monday, T(h, m))  # noqa: E731
    assert hours.covers(at(8, 30), 50) and hours.covers(at(16, 10), 50)
    assert not hours.covers(at(11), 50)  # runs past 11:30
    assert not hours.covers(at(12), 50) and not hours.covers(at(16, 30), 50)
    assert not hours.covers(at(9) + datetime.timedelta(days=5), 50)  # Saturday
    assert hours.open_on(monday) and not hours.open_on(monday + datetime.timedelta(days=6))
