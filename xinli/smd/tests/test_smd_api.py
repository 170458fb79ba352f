"""The SMD API: registration, follow-up, role visibility (police liaison vs doctor), worklist, indicators, errors."""

import datetime

import pytest
from rest_framework.test import APIClient

from xinli.core.models import AuditEntry
from xinli.smd.models import FollowUp

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_doctor_registers_and_follows_up_through_the_api(doctor, people):
    r = api(doctor).post("/api/v1/smd/patients/", {"person": people.in_a1v2.pk, "diagnosis": "F31", "diagnosed_by": "市精神卫生中心",
                                                   "diagnosed_on": "2021-03-01", "source": "community", "guardian_name": "李母", "consent_community": True}, format="json")
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    r = api(doctor).post(f"/api/v1/smd/patients/{pid}/follow-ups/", {
        "date": "2026-11-20", "mode": "home", "risk": 1, "insight": "partial", "symptoms": ["suspicion"], "adherence": "intermittent",
        "social_function": {"self_care": "fair"}, "incidents": {"minor_trouble": 1},
        "medications": [{"name": "碳酸锂", "dose": "0.25g", "usage": "每日三次"}]}, format="json")
    assert r.status_code == 201, r.content
    assert (r.json()["classification"], r.json()["next_due"]) == ("basically_stable", "2026-12-04")
    assert r.json()["medications"] == [{"name": "碳酸锂", "dose": "0.25g", "usage": "每日三次"}]
    listed = api(doctor).get(f"/api/v1/smd/patients/{pid}/follow-ups/").json()
    assert [f["classification"] for f in listed] == ["basically_stable"]


def test_police_liaison_sees_only_what_the_role_needs(patient, police, doctor):
    body = api(police).get(f"/api/v1/smd/patients/{patient.pk}/").json()
    assert set(body) == {"id", "name", "address", "risk", "doctor", "doctor_name", "status"}
    assert "diagnosis" not in body and "guardian_phone" not in body
    assert api(police).get(f"/api/v1/smd/patients/{patient.pk}/follow-ups/").status_code == 404
    assert api(police).post(f"/api/v1/smd/patients/{patient.pk}/follow-ups/", {}, format="json").status_code == 404
    full = api(doctor).get(f"/api/v1/smd/patients/{patient.pk}/").json()
    assert full["diagnosis"] == "F20" and full["guardian_name"] == "张父"
    reads = AuditEntry.objects.filter(action="read", object_type="smd.patient").values_list("actor_username", "purpose")
    assert set(reads) == {("police", "smd basic"), ("jingfang", "smd")}


def test_outside_the_area_nothing_is_visible(patient, tree, personas):
    from xinli.core.policy import Role
    from xinli.testing.fixtures import make_user

    other = make_user("doc_b", [(tree.b1, Role.SMD_DOCTOR)])
    for user in (other, personas.counsellor, personas.county_officer):
        assert api(user).get(f"/api/v1/smd/patients/{patient.pk}/").status_code == 404
        assert api(user).get("/api/v1/smd/patients/").json()["results"] == []


def test_worklist_shows_due_and_overdue(patient, doctor):
    from xinli.smd.models import Task

    Task.objects.filter(patient=patient).update(due=datetime.date.today() - datetime.timedelta(days=2))
    rows = api(doctor).get("/api/v1/smd/worklist/").json()["results"]
    assert [(r["patient"], r["overdue"]) for r in rows] == [(patient.pk, True)]


@pytest.mark.parametrize("body, field", [
    ({"date": "2026-11-20", "mode": "home", "risk": "high", "insight": "complete", "adherence": "regular"}, "risk"),
    ({"date": "tomorrow", "mode": "home"}, "date"),
    ({"date": "2026-11-20", "mode": "home", "risk": 0, "insight": "complete", "adherence": "regular", "medications": "lots"}, "medications"),
    ({"date": "2026-11-20", "mode": "home", "risk": 0, "insight": "complete", "adherence": "regular", "colour": 1}, "colour"),
])
def test_bad_follow_up_bodies_answer_400(patient, doctor, body, field):
    r = api(doctor).post(f"/api/v1/smd/patients/{patient.pk}/follow-ups/", body, format="json")
    assert r.status_code == 400 and field in r.json(), r.content
    assert not FollowUp.objects.exists()


def test_indicators_endpoint_for_officers_and_doctors(patient, doctor, personas, tree):
    r = api(personas.county_officer).get(f"/api/v1/smd/indicators/{tree.a1.pk}/", {"year": datetime.date.today().year})
    # the officer has no SMD person rights: the single patient is a small cell (docs/indicators.md, "Small cells")
    assert r.status_code == 200 and r.json()["counts"]["in_register"] is None and "in_register" in r.json()["suppressed"]
    r = api(doctor).get(f"/api/v1/smd/indicators/{tree.a1.pk}/")
    assert r.status_code == 200 and r.json()["counts"]["in_register"] == 1
    assert api(personas.village_worker_1).get(f"/api/v1/smd/indicators/{tree.a1.pk}/").status_code == 404
    assert api(personas.county_officer).get(f"/api/v1/smd/indicators/{tree.a1.pk}/", {"year": "1999"}).status_code == 400
