"""Conflicts the server decides at sync: the worker's entry is kept as a note on the person and shown in the answer."""

import datetime
import json

import pytest
from django.utils import timezone

from xinli.archives.models import Transfer
from xinli.core.policy import Role
from xinli.field.models import FieldNote, SyncItem
from xinli.smd.models import FollowUp, Task
from xinli.testing.fixtures import make_user

from .conftest import api, headers, item, register, visit

pytestmark = pytest.mark.django_db


def _sync(user, device, items):
    r = api(user).post("/api/v1/field/sync/", {"items": items}, format="json", **headers(device))
    assert r.status_code == 200, r.content
    return r.json()["items"]


def _task(user, device, patient):
    body = api(user).get("/api/v1/field/pack/", {"days": 14}, **headers(device)).json()
    return next(t for t in body["tasks"] if t["patient"] == patient.pk)


def _kept(result, person, entry):
    note = FieldNote.objects.get(pk=result["note"]["id"])
    assert note.person_id == person.pk and note.kind == "conflict"
    assert json.loads(note.entry) == entry and result["note"]["entry"] == entry
    assert note.text == result["message"]
    return note


def test_a_task_done_meanwhile_by_a_colleague(doctor, patients, tree):
    from xinli.smd.services import record_follow_up

    mine, _ = patients
    device = register(doctor)
    task = _task(doctor, device, mine[0])
    colleague = make_user("colleague", [(tree.a1, Role.SMD_DOCTOR)])
    type(colleague).objects.filter(pk=colleague.pk).update(display_name="王医生")
    colleague.refresh_from_db()
    record_follow_up(colleague, mine[0], {"date": timezone.localdate(), "mode": "clinic", "risk": 0, "insight": "complete",
                                          "adherence": "regular"})
    payload = {"patient": mine[0].pk, "task": task["record"]["id"], "follow_up": visit(risk=2)}
    [result] = _sync(doctor, device, [item("smd_follow_up", payload, base_version=task["version"])])
    assert result["outcome"] == "conflict" and result["reason"] == "task_done"
    assert "王医生" in result["message"] and "already recorded" in result["message"] and "已由" in result["message"]
    note = _kept(result, mine[0].person, payload)
    assert (note.about_type, note.about_id) == ("smd.task", task["record"]["id"])
    assert FollowUp.objects.filter(patient=mine[0]).count() == 1  # the colleague's only
    assert SyncItem.objects.get().outcome == "conflict"
    assert "entry" not in SyncItem.objects.get().result["note"]
    # Sent again (the answer was lost on the way): the same answer, the entry read back, no second note.
    [again] = _sync(doctor, device, [item("smd_follow_up", payload, client_id=result["client_id"], base_version=task["version"])])
    assert again["replayed"] is True and again["note"] == result["note"] and again["reason"] == "task_done"
    assert FieldNote.objects.count() == 1


def test_a_patient_who_died_meanwhile(doctor, patients):
    from xinli.smd.services import change_status

    mine, _ = patients
    device = register(doctor)
    task = _task(doctor, device, mine[1])
    change_status(doctor, mine[1], status="died", reason="病故", on=timezone.localdate())
    payload = {"patient": mine[1].pk, "task": task["record"]["id"], "follow_up": visit()}
    [result] = _sync(doctor, device, [item("smd_follow_up", payload, base_version=task["version"])])
    assert result["outcome"] == "conflict" and result["reason"] == "deceased"
    _kept(result, mine[1].person, payload)
    assert not FollowUp.objects.exists()


def test_a_patient_transferred_meanwhile(doctor, patients, tree):
    """The patient moved to 香港中路街道 and the receiving unit's doctor took them over."""
    from xinli.smd.models import Patient

    mine, _ = patients
    device = register(doctor)
    task = _task(doctor, device, mine[0])
    person = mine[0].person
    Transfer.objects.create(person=person, from_unit=tree.a1v1, to_unit=tree.a2v1, from_path=tree.a1v1.path,
                            to_path=tree.a2v1.path, status=Transfer.Status.ACCEPTED, accept_by=timezone.localdate())
    new_doctor = make_user("a2_doc", [(tree.a2, Role.SMD_DOCTOR)])
    type(person).objects.filter(pk=person.pk).update(org_unit=tree.a2v1, org_path=tree.a2v1.path)
    Patient.objects.filter(pk=mine[0].pk).update(org_path=tree.a2v1.path, doctor=new_doctor)
    payload = {"patient": mine[0].pk, "task": task["record"]["id"], "follow_up": visit()}
    [result] = _sync(doctor, device, [item("smd_follow_up", payload, base_version=task["version"])])
    assert result["outcome"] == "conflict" and result["reason"] == "transferred"
    note = _kept(result, person, payload)
    assert note.org_path == tree.a2v1.path  # on the record, for the receiving unit
    assert not FollowUp.objects.exists()


def test_a_record_changed_since_the_pack(doctor, patients):
    mine, _ = patients
    device = register(doctor)
    task = _task(doctor, device, mine[2])
    Task.objects.filter(pk=task["record"]["id"]).update(due=timezone.localdate() + datetime.timedelta(days=5))
    payload = {"patient": mine[2].pk, "task": task["record"]["id"], "follow_up": visit()}
    [result] = _sync(doctor, device, [item("smd_follow_up", payload, base_version=task["version"])])
    assert result["outcome"] == "conflict" and result["reason"] == "changed"
    _kept(result, mine[2].person, payload)
    assert Task.objects.get(pk=task["record"]["id"]).state == "due"
    assert not FollowUp.objects.exists()


def test_an_assessment_of_a_person_who_died(personas, people):
    from xinli.archives.models import Person

    worker = personas.village_worker_1
    device = register(worker)
    Person.objects.filter(pk=people.in_a1v1.pk).update(status="deceased")
    payload = {"person": people.in_a1v1.pk, "scale": "phq9", "answers": [1] * 8 + [0]}
    [result] = _sync(worker, device, [item("assessment", payload)])
    assert result["outcome"] == "conflict" and result["reason"] == "deceased"
    _kept(result, people.in_a1v1, payload)
