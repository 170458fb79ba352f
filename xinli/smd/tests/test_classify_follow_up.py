"""Each classification branch and its next due date (DOMAIN.md §5), as a table."""

import datetime

import pytest

from xinli.smd.rules import add_months, classify

D = datetime.date(2026, 11, 30)
GOOD = {"risk": 0, "insight": "complete", "symptoms": [], "social_function": {"self_care": "good", "work": "fair"}}


@pytest.mark.parametrize("changes, cls, due, refer", [
    ({}, "stable", datetime.date(2027, 2, 28), False),                      # 3 months, clamped to month end
    ({"symptoms": ["none"]}, "stable", datetime.date(2027, 2, 28), False),
    ({"risk": 1}, "basically_stable", D + datetime.timedelta(days=14), False),
    ({"risk": 2}, "basically_stable", D + datetime.timedelta(days=14), False),
    ({"symptoms": ["suspicion"]}, "basically_stable", D + datetime.timedelta(days=14), False),
    ({"insight": "partial"}, "basically_stable", D + datetime.timedelta(days=14), False),
    ({"social_function": {"study": "poor"}}, "basically_stable", D + datetime.timedelta(days=14), False),
    ({"risk": 3}, "unstable", D + datetime.timedelta(days=14), True),
    ({"risk": 5}, "unstable", D + datetime.timedelta(days=14), True),
    ({"psychotic_symptoms_obvious": True}, "unstable", D + datetime.timedelta(days=14), True),
    ({"insight": "absent"}, "unstable", D + datetime.timedelta(days=14), True),
    ({"acute_adverse_reaction": True}, "unstable", D + datetime.timedelta(days=14), True),
    ({"serious_physical_illness": True}, "unstable", D + datetime.timedelta(days=14), True),
    ({"risk": 4, "hospitalised": "current"}, "unstable", None, True),   # admitted: no community due date
    ({"risk": 3, "insight": "partial", "symptoms": ["suspicion"]}, "unstable", D + datetime.timedelta(days=14), True),  # order
    ({"lost_reason": "moved"}, "", D + datetime.timedelta(days=14), False),
    ({"death_date": D}, "", None, False),
])
def test_classification(changes, cls, due, refer):
    out = classify(date=D, **(GOOD | changes))
    assert (out.classification, out.next_due, out.refer) == (cls, due, refer)


def test_add_months():
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2026, 11, 15), 3) == datetime.date(2027, 2, 15)
