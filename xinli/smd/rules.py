"""Classification of a follow-up and the next due date (DOMAIN.md §5), in the order the norms give. Pure functions
of the follow-up's fields, so each branch is tested by a table.

* **unstable** if risk 3–5, or obvious psychotic symptoms, or insight absent, or an acute adverse drug reaction, or a
  serious physical illness → refer immediately (the police may assist); if not admitted, follow up within 2 weeks.
* **basically stable** if risk 1–2, or any symptom, or insight incomplete, or any social function poor → adjust and
  observe; follow up within 2 weeks.
* **stable** if risk 0 and everything else good → follow up in 3 months.

Decisions recorded here (where the norms leave room): "symptoms" means any ticked symptom other than none; a
basically-stable patient is seen again in 2 weeks (the norms' "every 3 months once stabilising" is reached when the
next follow-up classifies the patient stable); an unstable patient who is in hospital now gets no community due date
until discharge (the next follow-up after discharge restarts the schedule). A lost-to-follow-up visit keeps the
previous classification and is due again in 2 weeks; a death ends the schedule.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

TWO_WEEKS = datetime.timedelta(days=14)


@dataclass(frozen=True)
class Outcome:
    classification: str  # unstable / basically_stable / stable / "" (lost or died)
    next_due: datetime.date | None
    refer: bool


def add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def classify(*, date: datetime.date, risk: int | None, psychotic_symptoms_obvious: bool = False, insight: str = "",
             acute_adverse_reaction: bool = False, serious_physical_illness: bool = False, symptoms=(),
             social_function: dict | None = None, hospitalised: str = "", lost_reason: str = "",
             death_date: datetime.date | None = None) -> Outcome:
    if death_date is not None:
        return Outcome("", None, False)
    if lost_reason:
        return Outcome("", date + TWO_WEEKS, False)
    social = social_function or {}
    if ((risk or 0) >= 3 or psychotic_symptoms_obvious or insight == "absent" or acute_adverse_reaction
            or serious_physical_illness):
        return Outcome("unstable", None if hospitalised == "current" else date + TWO_WEEKS, True)
    if (risk or 0) >= 1 or any(s for s in symptoms if s != "none") or insight == "partial" or "poor" in social.values():
        return Outcome("basically_stable", date + TWO_WEEKS, False)
    return Outcome("stable", add_months(date, 3), False)
