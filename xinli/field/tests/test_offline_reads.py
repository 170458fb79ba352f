"""What the phone showed while offline (the Today list, a form's person) comes with the next sync and is audited per
person with the device's time and the server's (issue 18: every read made offline is audited)."""

import pytest

from xinli.core.models import AuditEntry

from .conftest import api, headers, item, register, visit

pytestmark = pytest.mark.django_db


def test_offline_reads_are_audited_per_person_with_both_times(doctor, patients):
    mine, _outside = patients
    device = register(doctor)
    reads = [{"person": mine[0].person_id, "device_time": "2026-12-04T08:10:00+08:00", "view": "today"},
             {"person": mine[1].person_id, "device_time": "2026-12-04T08:10:00+08:00", "view": "today"},
             {"person": mine[0].person_id, "device_time": "2026-12-04T08:25:00+08:00", "view": "form"},
             {"person": 999999, "device_time": "2026-12-04T08:26:00+08:00"}]  # no such person: skipped
    r = api(doctor).post("/api/v1/field/sync/", {"items": [], "reads": reads}, format="json", **headers(device))
    assert r.status_code == 200, r.content
    assert r.json()["items"] == []
    entries = AuditEntry.objects.filter(purpose="field_offline").order_by("pk")
    assert [(e.person_id, e.action, e.detail["view"], e.detail["device_time"][11:16]) for e in entries] == [
        (mine[0].person_id, "read", "today", "08:10"), (mine[1].person_id, "read", "today", "08:10"),
        (mine[0].person_id, "read", "form", "08:25")]
    assert all(e.detail["server_time"] and e.detail["device"] == str(device.public_id) for e in entries)


def test_reads_come_with_forms_and_a_bad_read_refuses_the_request(doctor, patients):
    mine, _outside = patients
    device = register(doctor)
    body = {"items": [item("smd_follow_up", {"patient": mine[0].pk, "follow_up": visit()})],
            "reads": [{"person": "张三", "device_time": "2026-12-04T08:10:00+08:00"}]}
    r = api(doctor).post("/api/v1/field/sync/", body, format="json", **headers(device))
    assert r.status_code == 400 and "reads" in r.json()
    assert not AuditEntry.objects.filter(purpose__in=["field_offline", "field_sync"]).exists()  # nothing written
    body["reads"] = [{"person": mine[0].person_id, "device_time": "2026-12-04T08:10:00+08:00", "view": "form"}]
    r = api(doctor).post("/api/v1/field/sync/", body, format="json", **headers(device))
    assert r.status_code == 200 and r.json()["items"][0]["outcome"] == "stored"
    assert AuditEntry.objects.filter(purpose="field_offline", person_id=mine[0].person_id).count() == 1
