"""Syncing queued SMD follow-ups: stored through the SMD service with the server's classification and due date,
each client id once, every write audited with device and server time."""

import datetime
import uuid

import pytest
from django.utils import timezone

from xinli.core.models import AuditEntry
from xinli.field.models import SyncItem
from xinli.smd.models import FollowUp, Task
from xinli.smd.rules import add_months

from .conftest import api, headers, item, register, visit

pytestmark = pytest.mark.django_db


def _pack(user, device):
    return api(user).get("/api/v1/field/pack/", {"days": 14}, **headers(device)).json()


def test_three_follow_ups_are_stored_classified_and_their_tasks_closed(doctor, patients):
    mine, _ = patients
    today = timezone.localdate()
    device = register(doctor)
    tasks = {t["patient"]: t for t in _pack(doctor, device)["tasks"]}
    forms = [visit(), visit(risk=1), visit(risk=3, referral_institution="青岛市精神卫生中心")]
    items = [item("smd_follow_up", {"patient": p.pk, "task": tasks[p.pk]["record"]["id"], "follow_up": f},
                  base_version=tasks[p.pk]["version"]) for p, f in zip(mine, forms, strict=True)]
    r = api(doctor).post("/api/v1/field/sync/", {"items": items}, format="json", **headers(device))
    assert r.status_code == 200, r.content
    results = r.json()["items"]
    assert [x["outcome"] for x in results] == ["stored"] * 3
    expected = [("stable", add_months(today, 3)), ("basically_stable", today + datetime.timedelta(days=14)),
                ("unstable", today + datetime.timedelta(days=14))]
    for patient, result, (classification, due) in zip(mine, results, expected, strict=True):
        fu = FollowUp.objects.get(patient=patient)
        assert (fu.classification, fu.next_due, fu.doctor) == (classification, due, doctor)
        assert result["result"] == {"follow_up": fu.pk, "classification": classification, "next_due": due.isoformat(),
                                    "task_closed": tasks[patient.pk]["record"]["id"]}
        assert Task.objects.get(pk=tasks[patient.pk]["record"]["id"]).state == "done"
        assert Task.objects.get(patient=patient, state="due").due == due
    entries = AuditEntry.objects.filter(purpose="field_sync").order_by("id")
    assert [e.person_id for e in entries] == [p.person_id for p in mine]
    for entry, it in zip(entries, items, strict=True):
        assert entry.detail["device_time"] == "2026-12-04T08:30:00+08:00"  # the device clock, as sent
        assert entry.detail["server_time"] and entry.detail["client_id"] == it["client_id"]
        assert entry.detail["device"] == str(device.public_id) and entry.detail["outcome"] == "stored"
    device.refresh_from_db()
    assert device.last_sync_at is not None


def test_the_same_client_id_twice_stores_one_record(doctor, patients):
    mine, _ = patients
    device = register(doctor)
    one = item("smd_follow_up", {"patient": mine[0].pk, "follow_up": visit()})
    first = api(doctor).post("/api/v1/field/sync/", {"items": [one]}, format="json", **headers(device)).json()["items"][0]
    again = api(doctor).post("/api/v1/field/sync/", {"items": [one]}, format="json", **headers(device)).json()["items"][0]
    assert first["outcome"] == "stored" and again["outcome"] == "stored" and again["replayed"] is True
    assert again["result"] == first["result"]
    assert FollowUp.objects.filter(patient=mine[0]).count() == 1
    assert SyncItem.objects.count() == 1
    assert AuditEntry.objects.filter(purpose="field_sync").count() == 1


def test_a_refused_item_writes_nothing_and_may_be_sent_again_fixed(doctor, patients):
    mine, _ = patients
    device = register(doctor)
    client_id = uuid.uuid4()
    bad = item("smd_follow_up", {"patient": mine[0].pk, "follow_up": visit(risk=9)}, client_id=client_id)
    r = api(doctor).post("/api/v1/field/sync/", {"items": [bad]}, format="json", **headers(device))
    [result] = r.json()["items"]
    assert result["outcome"] == "refused"
    assert "危险性" in result["errors"]["risk"][0] and "Risk level" in result["errors"]["risk"][0]
    assert not FollowUp.objects.exists() and not SyncItem.objects.exists()
    fixed = item("smd_follow_up", {"patient": mine[0].pk, "follow_up": visit(risk=0)}, client_id=client_id)
    [result] = api(doctor).post("/api/v1/field/sync/", {"items": [fixed]}, format="json", **headers(device)).json()["items"]
    assert result["outcome"] == "stored" and FollowUp.objects.filter(patient=mine[0]).count() == 1


def test_a_patient_outside_the_area_is_refused_as_not_found(doctor, patients):
    _, outside = patients
    device = register(doctor)
    [result] = api(doctor).post("/api/v1/field/sync/", {"items": [item("smd_follow_up", {"patient": outside.pk, "follow_up": visit()})]},
                                format="json", **headers(device)).json()["items"]
    assert result["outcome"] == "refused" and "patient" in result["errors"]
    assert not FollowUp.objects.exists()
    assert not AuditEntry.objects.filter(person_id=outside.person_id, actor_id=doctor.pk).exists()


@pytest.mark.parametrize("envelope", [
    {"items": "not a list"},
    {"items": [{"client_id": "not-a-uuid", "kind": "smd_follow_up", "device_time": "2026-12-04T08:30:00+08:00", "payload": {}}]},
    {"items": [{"client_id": str(uuid.uuid4()), "kind": "teleport", "device_time": "2026-12-04T08:30:00+08:00", "payload": {}}]},
    {"items": []},
    {"items": [{"client_id": str(uuid.uuid4()), "kind": "smd_follow_up", "device_time": "yesterday", "payload": {}}]},
])
def test_a_bad_envelope_is_a_bilingual_400_writing_nothing(doctor, patients, envelope):
    device = register(doctor)
    r = api(doctor).post("/api/v1/field/sync/", envelope, format="json", **headers(device))
    assert r.status_code == 400, r.content
    text = str(r.json())
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text) and " / " in text
    assert not SyncItem.objects.exists() and not FollowUp.objects.exists()
    assert not AuditEntry.objects.filter(purpose="field_sync").exists()


@pytest.mark.parametrize("patient", [True, "1", -1, 10**20, None])
def test_a_patient_id_that_is_not_a_whole_number_is_refused(doctor, patients, patient):
    device = register(doctor)
    [result] = api(doctor).post("/api/v1/field/sync/", {"items": [item("smd_follow_up", {"patient": patient, "follow_up": visit()})]},
                                format="json", **headers(device)).json()["items"]
    assert result["outcome"] == "refused" and "患者" in result["errors"]["patient"][0]
    assert not FollowUp.objects.exists()


def test_a_community_worker_cannot_record_an_smd_follow_up(personas, patients):
    mine, _ = patients
    worker = personas.village_worker_1  # smd.basic only: sees the patient, does not treat them
    device = register(worker)
    [result] = api(worker).post("/api/v1/field/sync/", {"items": [item("smd_follow_up", {"patient": mine[0].pk, "follow_up": visit()})]},
                                format="json", **headers(device)).json()["items"]
    assert result["outcome"] == "refused"
    assert not FollowUp.objects.exists() and not SyncItem.objects.exists()
