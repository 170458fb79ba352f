"""Opening hours of a site. Staff type them as free text (``Site.hours``: "工作日", "周一至周五 9:00-17:00",
"周二、周四 14:00-17:00", "每天 8:30-11:30 14:00-17:30", "周二至周日 9:00-17:00（周一休息）"); ``parse`` turns the text
into days of the week and time ranges so that appointment slots fall only within them.

The rule for free text (docs/network.md, "Opening hours"):

* Days: 工作日 = Monday–Friday; 周末 / 双休日 = Saturday–Sunday; 每天 / 每日 / 全年 = every day (全天 / 24小时 alone too; after days it
  only says "all day"); 周X (also 星期X,
  礼拜X; 日 and 天 are Sunday), a range 周X至周Y (至 / 到 / - / ~), a list 周X、周Y; English Mon–Sun, weekdays, weekends,
  daily. A day followed by 休息 / 闭馆 / 不开放 / 除外 is closed.
* Times: H:MM-H:MM (full-width colon and dashes too; 上午/下午/晚上 before a 12-hour time); several ranges may follow one
  set of days. Times belong to the days written before them (times written first belong to the first days).
* Days without times: open the whole day. Times without any day: every day.
* Text in which neither a day nor a time is recognised (blank, "请电话预约") restricts nothing: only the site's status
  (open / suspended / closed) decides. Public holidays are not modelled.

A slot is within the hours when its day is open and, if times are given, it starts and ends inside one range."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from functools import lru_cache

ALL_DAYS = frozenset(range(7))  # Monday = 0, as datetime.date.weekday()
_CN_DAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_EN_DAY = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_DASH = r"\s*(?:-|—|–|－|~|～|至|到|to)\s*"
_PREFIX = r"(?:周|星期|礼拜)"

_TOKEN = re.compile(
    r"(?P<range>" + _PREFIX + r"(?P<r1>[一二三四五六日天七])" + _DASH + _PREFIX + r"?(?P<r2>[一二三四五六日天七]))"
    r"|(?P<day>" + _PREFIX + r"(?P<d>[一二三四五六日天七])(?P<more>(?:[、,，/和及]" + _PREFIX + r"?[一二三四五六日天七])*))"
    r"|(?P<workdays>工作日|weekdays?)"
    r"|(?P<weekend>周末|双休日|weekends?)"
    r"|(?P<daily>每天|每日|全年|天天|daily|every\s*day)"
    r"|(?P<allday>全天|24\s*小时|24\s*h)"
    r"|(?P<enrange>(?P<e1>mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?" + _DASH + r"(?P<e2>mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?)"
    r"|(?P<enday>\b(?P<e>mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?)"
    r"|(?P<time>(?P<m1>上午|早上|中午|下午|晚上)?\s*(?P<h1>\d{1,2})[:：](?P<n1>\d{2})" + _DASH
    + r"(?P<m2>上午|早上|中午|下午|晚上)?\s*(?P<h2>\d{1,2})[:：](?P<n2>\d{2}))"
    r"|(?P<closed>休息|闭馆|不开放|除外|closed)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class OpeningHours:
    """Parsed opening hours: ``rules`` is a tuple of (days, ranges); ranges are (start, end) times, empty = all day."""

    rules: tuple[tuple[frozenset, tuple[tuple[datetime.time, datetime.time], ...]], ...]

    def open_on(self, day: datetime.date) -> bool:
        return any(day.weekday() in days for days, _ranges in self.rules)

    def covers(self, start: datetime.datetime, minutes: int) -> bool:
        """Whether an appointment from ``start`` (local time) lasting ``minutes`` lies within the hours."""
        end = start + datetime.timedelta(minutes=minutes)
        for days, ranges in self.rules:
            if start.weekday() not in days:
                continue
            if not ranges:
                if end.date() == start.date() or end.time() == datetime.time(0):
                    return True
                continue
            for lo, hi in ranges:
                if end.date() == start.date() and lo <= start.time() and end.time() <= hi:
                    return True
        return False


def _range(a: int, b: int) -> frozenset:
    return frozenset(range(a, b + 1)) if a <= b else frozenset([*range(a, 7), *range(0, b + 1)])


def _clock(meridiem: str | None, hour: str, minute: str) -> datetime.time | None:
    h, m = int(hour), int(minute)
    if meridiem in ("下午", "晚上") and h < 12:
        h += 12
    if h == 24 and m == 0:
        return datetime.time(23, 59, 59)
    if h > 23 or m > 59:
        return None
    return datetime.time(h, m)


@lru_cache(maxsize=4096)  # a site's hours are checked for every slot listed; the result is immutable
def parse(text: str) -> OpeningHours | None:
    """Parse free-text opening hours; ``None`` when nothing in the text is recognised (no restriction)."""
    groups: list[list] = []  # [days, ranges], in the order written
    closed: set[int] = set()
    pending: list = []  # times written before any day
    last_days: frozenset | None = None
    last_was_day = False
    for m in _TOKEN.finditer(text or ""):
        kind = m.lastgroup  # the outermost named group of the alternative that matched
        if kind == "closed":
            if last_days is not None and last_was_day:
                closed |= last_days
                groups.pop()
                last_days, last_was_day = None, False
            continue
        if kind == "allday":  # 全天 after days is the whole day (no times); alone it means every day
            if not groups:
                groups.append([ALL_DAYS, []])
                last_days, last_was_day = ALL_DAYS, False
            continue
        if kind == "time":
            m1 = m.group("m1")
            m2 = m.group("m2") or (m1 if m1 in ("下午", "晚上") else None)  # 下午2:00-5:00
            lo, hi = _clock(m1, m.group("h1"), m.group("n1")), _clock(m2, m.group("h2"), m.group("n2"))
            if lo is None or hi is None or not lo < hi:
                continue
            (groups[-1][1] if groups else pending).append((lo, hi))
            last_was_day = False
            continue
        if kind == "range":
            days = _range(_CN_DAY[m.group("r1")], _CN_DAY[m.group("r2")])
        elif kind == "day":
            days = frozenset([_CN_DAY[m.group("d")], *(_CN_DAY[c] for c in m.group("more") if c in _CN_DAY)])
        elif kind == "workdays":
            days = frozenset(range(5))
        elif kind == "weekend":
            days = frozenset((5, 6))
        elif kind == "daily":
            days = ALL_DAYS
        elif kind == "enrange":
            days = _range(_EN_DAY[m.group("e1").lower()], _EN_DAY[m.group("e2").lower()])
        else:
            days = frozenset([_EN_DAY[m.group("e").lower()]])
        if groups and last_was_day:
            # 周二、周四 written as two day words: one set of days.
            groups[-1][0] = groups[-1][0] | days
            last_days = groups[-1][0]
        else:
            groups.append([days, []])
            last_days = days
        last_was_day = True
    if not groups and not pending:
        return None
    if not groups:
        groups.append([ALL_DAYS, []])
    groups[0][1][:0] = pending
    rules = tuple((frozenset(days - closed), tuple(ranges)) for days, ranges in groups if days - closed)
    if not rules and closed:
        rules = ((ALL_DAYS - closed, ()),)
    return OpeningHours(rules)
