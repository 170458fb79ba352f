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
    form = item("emergency_complete", {"emergency": em.pk, "actions": "陪同送医", "outcome": "已住院", "police": True},
                base_version=task["version"])
    [result] = _sync(doctor, device, [form])
    em.refresh_from_db()
    assert result["outcome"] == "stored" and (em.actions, em.outcome, em.police) == ("陪同送医", "已住院", True)
    assert em.completed_at is not None
    assert _sync(doctor, device, [form])[0]["replayed"] is True  # the same form again: nothing more
    late = item("emergency_complete", {"emergency": em.pk, "actions": "电话随访", "outcome": "稳定"})
    [conflict] = _sync(doctor, device, [late])
    assert conflict["outcome"] == "conflict" and conflict["reason"] == "task_done"
    assert FieldNote.objects.filter(kind=FieldNote.Kind.CONFLICT, person=mine[0].person).count() == 1
    em.refresh_from_db()
    assert em.actions == "陪同送医"
    [refused] = _sync(doctor, device, [item("emergency_complete", {"emergency": mine[1].pk * 1000, "actions": "x", "outcome": "y"})])
    assert refused["outcome"] == "refused" and "emergency" in refused["errors"]


def test_a_post_crisis_follow_up_is_recorded_with_the_note_and_needs_one(personas, people):
    team = personas.crisis_team
    case = crisis.open_case(team, people.in_a1v1, assessment="自伤念头")
    crisis.close_case(team, case, summary="平稳", high_risk=True)
    first = case.follow_ups.order_by("due").first()
    CrisisFollowUp.objects.filter(pk=first.pk).update(due=timezone.localdate())
    first.refresh_from_db()
    device = register(team)
    [refused] = _sync(team, device, [item("crisis_contact", {"follow_up": first.pk, "note": ""})])
    assert refused["outcome"] == "refused" and "note" in refused["errors"]
    first.refresh_from_db()
    assert first.done_at is None  # nothing written
    [stored] = _sync(team, device, [item("crisis_contact", {"follow_up": first.pk, "note": "电话联系，情绪平稳"},
                                         base_version=selectors.crisis_follow_up_version(first))])
    first.refresh_from_db()
    assert stored["outcome"] == "stored" and first.done_by == team and first.note == "电话联系，情绪平稳"
    [again] = _sync(team, device, [item("crisis_contact", {"follow_up": first.pk, "note": "又联系一次"})])
    assert again["outcome"] == "conflict" and again["reason"] == "task_done"


def test_a_resident_who_moved_here_is_accepted_or_returned_from_the_phone(doctor, patients, personas, tree):
    from xinli.archives.models import Transfer
    from xinli.archives.services import update_person
    from xinli.smd.models import Patient

    mine, _outside = patients
    update_person(personas.county_officer, mine[0].person, {"org_unit": tree.a2v1})  # moves to the a2 doctor's area
    update_person(personas.county_officer, mine[1].person, {"org_unit": tree.a2v1})
    receiver = type(doctor).objects.get(username="a2_doctor")
    device = register(receiver)
    pack = api(receiver).get("/api/v1/field/pack/", **headers(device)).json()
    tasks = {t["person"]: t for t in pack["tasks"] if t["kind"] == "transfer"}
    first, second = tasks[mine[0].person_id], tasks[mine[1].person_id]
    [refused] = _sync(receiver, device, [item("transfer_decision", {"transfer": second["record"]["id"], "decision": "return"})])
    assert refused["outcome"] == "refused" and "reason" in refused["errors"]  # a return needs its reason; nothing written
    results = _sync(receiver, device, [
        item("transfer_decision", {"transfer": first["record"]["id"], "decision": "accept"}, base_version=first["version"]),
        item("transfer_decision", {"transfer": second["record"]["id"], "decision": "return", "reason": "查无此人"},
             base_version=second["version"])])
    assert [r["outcome"] for r in results] == ["stored", "stored"]
    assert Transfer.objects.get(pk=first["record"]["id"]).status == "accepted"
    assert Patient.objects.get(pk=mine[0].pk).org_path == tree.a2v1.path  # the same row, now the receiver's
    returned = Transfer.objects.get(pk=second["record"]["id"])
    assert (returned.status, returned.reason) == ("returned", "查无此人")
    [late] = _sync(receiver, device, [item("transfer_decision", {"transfer": first["record"]["id"], "decision": "return",
                                                                 "reason": "x"})])
    assert late["outcome"] == "conflict" and late["reason"] == "task_done"


def test_a_plan_is_reviewed_from_the_phone(personas, people):
    from xinli.archives.services import set_tags
    from xinli.counselling.models import Plan
    from xinli.counselling.services import create_plan

    worker = personas.village_worker_1
    set_tags(personas.county_officer, people.in_a1v1, ["elderly_empty_nest"])
    today = timezone.localdate()
    plan = create_plan(worker, people.in_a1v1, goals="减少孤独", interventions="每周电话", review_on=today + datetime.timedelta(days=2))
    device = register(worker)
    version = selectors.plan_version(plan)
    [refused] = _sync(worker, device, [item("plan_review", {"plan": plan.pk, "next_review": today.isoformat()})])
    assert refused["outcome"] == "refused" and "review_on" in refused["errors"]  # the next review after today
    nxt = today + datetime.timedelta(days=90)
    [stored] = _sync(worker, device, [item("plan_review", {"plan": plan.pk, "next_review": nxt.isoformat(), "note": "情况好转"},
                                           base_version=version)])
    plan.refresh_from_db()
    assert stored["outcome"] == "stored" and plan.review_on == nxt and plan.state == "active"
    [changed] = _sync(worker, device, [item("plan_review", {"plan": plan.pk, "close": True}, base_version=version)])
    assert changed["outcome"] == "conflict" and changed["reason"] == "changed"  # reviewed since that pack
    [closed] = _sync(worker, device, [item("plan_review", {"plan": plan.pk, "close": True})])
    assert closed["outcome"] == "stored" and Plan.objects.get(pk=plan.pk).state == "closed"


def test_every_sync_kind_fits_the_column_that_records_it():
    from xinli.field import services
    from xinli.field.models import SyncItem

    assert max(len(k) for k in services.KINDS) <= SyncItem._meta.get_field("kind").max_length
