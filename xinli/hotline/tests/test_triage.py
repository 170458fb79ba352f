"""The triage rule, case by case (each boundary on both sides)."""

import pytest

from xinli.hotline.triage import triage_risk

BASE = {"ideation": 0, "hopelessness": 0, "has_plan": False, "has_means": False, "prior_attempt": False, "intoxicated": False}


@pytest.mark.parametrize("changes, expected", [
    ({}, "low"),
    ({"ideation": 2, "hopelessness": 5}, "low"),
    ({"ideation": 3}, "medium"),
    ({"hopelessness": 6}, "medium"),
    ({"ideation": 6}, "medium"),
    ({"ideation": 7}, "high"),
    ({"ideation": 5, "hopelessness": 7}, "high"),
    ({"ideation": 5, "hopelessness": 6}, "medium"),
    ({"ideation": 5, "prior_attempt": True}, "high"),
    ({"ideation": 4, "prior_attempt": True}, "medium"),
    ({"has_plan": True}, "high"),
    ({"has_plan": True, "has_means": True}, "high"),
    ({"has_plan": True, "has_means": True, "prior_attempt": True}, "imminent"),
    ({"has_plan": True, "has_means": True, "intoxicated": True}, "imminent"),
    ({"has_plan": True, "ideation": 8}, "imminent"),
    ({"has_plan": True, "ideation": 7}, "high"),
    ({"has_means": True, "prior_attempt": True, "intoxicated": True}, "low"),  # no ideation, no plan
])
def test_triage(changes, expected):
    assert triage_risk(**(BASE | changes)) == expected
