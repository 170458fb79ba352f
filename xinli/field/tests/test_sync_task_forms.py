"""The other tasks of the pack completed from the phone: an SMD emergency record completed within its 24 hours and a
post-crisis follow-up contact recorded — each once, through the domain service, with the server's conflict when a
colleague did it first."""

import datetime

import pytest
from django.utils import timezone

from xinli.alerts import crisis
from xinli.alerts.models import FollowUp as CrisisFollowUp
from xinli.field import selectors
from xinli.field.models import FieldNote
from xinli.smd import services as smd

from .conftest import api, headers, item, register

pytestmark = pytest.mark.django_db


def _sync(user, device, items):
    r = api(user).post("/api/v1/field/sync/", {"items": items}, format="json", **headers(device))
    assert r.status_code == 200, r.content
    return r.json()["items"]


def test_an_emergency_record_is_completed_once_and_a_second_completion_is_a_conflict(doctor, patients):
    mine, _outside = patients
    em = smd.record_emergency(doctor, mine[0], trigger="relapse", occurred_at=timezone.now() - datetime.timedelta(hours=2))
    device = register(doctor)
    pack = api(doctor).get("/api/v1/field/pack/", **headers(device)).json()
    (task,) = [t for t in pack["tasks"] if t["kind"] == "smd_emergency"]
    form = item("smd_emergency_complete", {"emergency": em.pk, "actions": "陪同送医", "outcome": "已住院", "police": True},
                base_version=task["version"])
    [result] = _sync(doctor, device, [form])
    em.refresh_from_db()
    assert result["outcome"] == "stored" and (em.actions, em.outcome, em.police) == ("陪同送医", "已住院", True)
    assert em.completed_at is not None
    assert _sync(doctor, device, [form])[0]["replayed"] is True  # the same form again: nothing more
    late = item("smd_emergency_complete", {"emergency": em.pk, "actions": "电话随访", "outcome": "稳定"})
    [conflict] = _sync(doctor, device, [late])
    assert conflict["outcome"] == "conflict" and conflict["reason"] == "task_done"
    assert FieldNote.objects.filter(kind=FieldNote.Kind.CONFLICT, person=mine[0].person).count() == 1
    em.refresh_from_db()
    assert em.actions == "陪同送医"
    [refused] = _sync(doctor, device, [item("smd_emergency_complete", {"emergency": mine[1].pk * 1000, "actions": "x", "outcome": "y"})])
    assert refused["outcome"] == "refused" and "emergency" in refused["errors"]


def test_a_post_crisis_follow_up_is_recorded_with_the_note_and_needs_one(personas, people):
    team = personas.crisis_team
    case = crisis.open_case(team, people.in_a1v1, assessment="自伤念头")
    crisis.close_case(team, case, summary="平稳", high_risk=True)
    first = case.follow_ups.order_by("due").first()
    CrisisFollowUp.objects.filter(pk=first.pk).update(due=timezone.localdate())
    first.refresh_from_db()
    device = register(team)
    [refused] = _sync(team, device, [item("crisis_follow_up_done", {"follow_up": first.pk, "note": ""})])
    assert refused["outcome"] == "refused" and "note" in refused["errors"]
    first.refresh_from_db()
    assert first.done_at is None  # nothing written
    [stored] = _sync(team, device, [item("crisis_follow_up_done", {"follow_up": first.pk, "note": "电话联系，情绪平稳"},
                                         base_version=selectors.crisis_follow_up_version(first))])
    first.refresh_from_db()
    assert stored["outcome"] == "stored" and first.done_by == team and first.note == "电话联系，情绪平稳"
    [again] = _sync(team, device, [item("crisis_follow_up_done", {"follow_up": first.pk, "note": "又联系一次"})])
    assert again["outcome"] == "conflict" and again["reason"] == "task_done"
