"""``smd.indicators.complete_visits``: the complete follow-ups the SMD indicators read (T12 national and gap rules,
T13–T15, the stable rate), aggregated by PostgreSQL or grouped in Python on SQLite — the same answer by hand on
whichever database runs the tests (CI runs both)."""

import datetime

import pytest

from xinli.smd import services
from xinli.smd.indicators import complete_visits
from xinli.smd.models import FollowUp, Patient

from .conftest import visit

pytestmark = pytest.mark.django_db
D = datetime.date


def test_days_in_order_and_the_last_visits_facts(doctor, patient):
    def add(**changes):
        return services.record_follow_up(doctor, patient, visit(**changes), imported=True)

    add(date=D(2025, 12, 30), adherence="none")  # before the period: not read
    add(date=D(2026, 1, 15), adherence="intermittent", hospitalised="past")
    add(date=D(2026, 3, 2), adherence="regular")
    add(date=D(2026, 6, 1), mode="phone", lost_reason="moved")  # lost to follow-up: not complete
    a = add(date=D(2026, 7, 10), adherence="regular")
    b = add(date=D(2026, 7, 10), adherence="none", hospitalised="current", risk=1)  # same day, recorded after: the last
    add(date=D(2026, 12, 1), adherence="regular")  # after ``until``: not read
    assert a.pk < b.pk

    ids = Patient.objects.filter(pk=patient.pk).values("pk")
    result = complete_visits(ids, D(2026, 1, 1), D(2026, 11, 30))
    last = FollowUp.objects.get(pk=b.pk)
    assert result == {patient.pk: ([D(2026, 1, 15), D(2026, 3, 2), D(2026, 7, 10), D(2026, 7, 10)],
                                   ("none", "current", last.classification))}
    assert last.classification  # classified by the rules when saved
    assert complete_visits(ids, D(2026, 8, 1), D(2026, 11, 30)) == {}
