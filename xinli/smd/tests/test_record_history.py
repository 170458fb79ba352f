"""``smd.services.record_history``: a patient's imported follow-up history written in bulk gives exactly what one
``record_follow_up(imported=True)`` per visit gives — follow-ups with their classification and next due day, the task
chain, the patient's row, referrals, audit entries — and refuses a bad visit with its index, writing nothing."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from xinli.core.models import AuditEntry
from xinli.smd import services
from xinli.smd.models import FollowUp, Patient, Support, Task

from .conftest import visit

pytestmark = pytest.mark.django_db
D = datetime.date

HISTORY = [
    visit(date=D(2025, 1, 10), risk=0),
    visit(date=D(2025, 3, 12), risk=1, adherence="intermittent"),
    visit(date=D(2025, 3, 12), risk=0, mode="phone"),  # two on one day
    visit(date=D(2025, 5, 2), risk=3, insight="absent", symptoms=["hallucination"], referral_institution="市精神卫生中心"),  # unstable: referral
    {"date": D(2025, 6, 20), "mode": "home", "lost_reason": "moved"},  # lost to follow-up: no classification
    visit(date=D(2025, 9, 1), risk=0),
    visit(date=D(2026, 2, 1), risk=2, adherence="none"),
]


def _register(doctor, person):
    return services.register_patient(doctor, person, {
        "diagnosis": "F20", "diagnosed_by": "青岛市精神卫生中心", "diagnosed_on": D(2020, 5, 1), "source": "hospital",
        "residence": "home", "guardian_name": "张父", "consent_community": True})


FU_FIELDS = ("date", "mode", "risk", "insight", "adherence", "symptoms", "lost_reason", "classification", "next_due",
             "referral_institution", "medications", "org_path", "county_code", "doctor_id")


def _state(patient):
    patient.refresh_from_db()
    fus = list(FollowUp.objects.filter(patient=patient).order_by("date", "id"))
    index = {fu.pk: i for i, fu in enumerate(fus)}
    return {
        "follow_ups": [tuple(getattr(fu, f) for f in FU_FIELDS) for fu in fus],
        "tasks": sorted((t.due, t.state, index.get(t.done_by_id), t.done_on, t.org_path) for t in Task.objects.filter(patient=patient)),
        "patient": (patient.last_follow_up, patient.classification, patient.risk, patient.status, patient.status_on),
        "supports": sorted((s.kind, s.start, s.institution) for s in Support.objects.filter(patient=patient)),
        "audit": sorted((e.action, index[int(e.object_id)], e.detail["classification"], e.detail["risk"], e.detail["imported"])
                        for e in AuditEntry.objects.filter(object_type="smd.followup", object_id__in=[str(k) for k in index])),
    }


def test_the_bulk_history_equals_one_follow_up_at_a_time(doctor, people):
    one_by_one = _register(doctor, people.in_a1v1)
    for data in HISTORY:
        services.record_follow_up(doctor, one_by_one, dict(data), imported=True)
    bulk = _register(doctor, people.in_a1v2)
    fus = services.record_history(doctor, bulk, [dict(d) for d in HISTORY])
    assert len(fus) == len(HISTORY)

    expected, got = _state(one_by_one), _state(bulk)
    # The two patients live in different villages: compare everything but the place.
    for key in ("follow_ups", "tasks"):
        strip = (lambda row: row[:-3] + row[-1:]) if key == "follow_ups" else (lambda row: row[:-1])
        expected[key], got[key] = [strip(r) for r in expected[key]], [strip(r) for r in got[key]]
    assert got == expected
    # By hand: the registration's task done by the first visit, each visit's next-due task by the next, the last due.
    states = [t[1] for t in got["tasks"]]
    assert states.count("due") == 1 and states.count("done") == len(HISTORY)
    assert got["patient"][:3] == (D(2026, 2, 1), "basically_stable", 2)
    assert [s[0] for s in got["supports"]] == ["referral_out"]
    assert Patient.objects.get(pk=bulk.pk).org_path == people.in_a1v2.org_path


def test_a_refused_visit_names_its_index_and_nothing_is_written(doctor, people):
    patient = _register(doctor, people.in_a1v1)
    bad = [dict(d) for d in HISTORY[:3]] + [visit(date=D(2025, 4, 1), risk=9)]
    with pytest.raises(ValidationError) as err:
        services.record_history(doctor, patient, bad)
    assert err.value.index == 3 and "risk" in err.value.message_dict
    assert not FollowUp.objects.filter(patient=patient).exists()
    assert list(Task.objects.filter(patient=patient).values_list("state", flat=True)) == ["due"]
    # Out of order against a follow-up already recorded: refused like record_follow_up.
    services.record_follow_up(doctor, patient, visit(date=D(2025, 6, 1)), imported=True)
    with pytest.raises(ValidationError) as err:
        services.record_history(doctor, patient, [visit(date=D(2025, 7, 1)), visit(date=D(2025, 5, 1))])
    assert err.value.index == 1 and "date" in err.value.message_dict
    assert FollowUp.objects.filter(patient=patient).count() == 1
