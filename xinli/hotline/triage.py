"""Suicide-risk triage of a call: a pure function of the structured answers.

The rule follows the common structure of hotline suicide-risk protocols (current ideation, plan, access to means,
prior attempt, intoxication, hopelessness). It is a decision aid recorded with the call; the counsellor's judgement
and the supervisor's review stay in charge.

* imminent — a plan with access to means together with a prior attempt or current intoxication, or ideation ≥ 8
  with a plan;
* high — a plan, ideation ≥ 7, ideation ≥ 5 with hopelessness ≥ 7, or a prior attempt with ideation ≥ 5;
* medium — ideation ≥ 3, or hopelessness ≥ 6;
* low — otherwise.
"""

from __future__ import annotations


def triage_risk(*, ideation: int, hopelessness: int, has_plan: bool, has_means: bool, prior_attempt: bool,
                intoxicated: bool) -> str:
    if has_plan and ((has_means and (prior_attempt or intoxicated)) or ideation >= 8):
        return "imminent"
    if has_plan or ideation >= 7 or (ideation >= 5 and hopelessness >= 7) or (prior_attempt and ideation >= 5):
        return "high"
    if ideation >= 3 or hopelessness >= 6:
        return "medium"
    return "low"
