import pytest
from rest_framework.test import APIClient

from xinli.core.models import AuditEntry
from xinli.screening.models import Assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def counsellor_api(personas):
    client = APIClient()
    client.force_authenticate(personas.counsellor)
    return client


def test_counsellor_administers_gad7_to_a_client_and_gets_the_scored_result(counsellor_api, people):
    r = counsellor_api.post("/api/v1/assessments/", {"scale": "gad7", "person": people.in_a1v1.pk,
                                                     "answers": {str(i): 2 for i in range(1, 8)}}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["total"] == "14.00" and body["band"] == "moderate" and body["mode"] == "staff"
    assert body["answers"] == {str(i): 2 for i in range(1, 8)}
    assert body["band_label"]["zh-hans"] and body["band_label"]["en"]
    a = Assessment.objects.get()
    assert a.org_path == people.in_a1v1.org_path and a.administered_by.username == "counsellor"


def test_phq9_item_9_is_handed_to_the_alert_hook_in_the_same_transaction(counsellor_api, people):
    r = counsellor_api.post("/api/v1/assessments/", {"scale": "phq9", "person": people.in_a1v1.pk,
                                                     "answers": [0, 0, 0, 0, 0, 0, 0, 0, 1]}, format="json")
    assert r.status_code == 201 and r.json()["critical_items"] == ["9"]
    from xinli.alerts.models import Alert

    alert = Alert.objects.get()
    assert (alert.level, alert.source, alert.cause, alert.person_id) == ("orange", "critical_item", "phq9:item9", people.in_a1v1.pk)
    assert alert.assessment_id == r.json()["id"]
    assert AuditEntry.objects.filter(object_type="alerts.alert", action="create").count() == 1


def test_idempotency_key_makes_retries_safe(counsellor_api, people):
    payload = {"scale": "phq9", "person": people.in_a1v1.pk, "answers": [1] * 9, "idempotency_key": "tablet-7-0001"}
    first = counsellor_api.post("/api/v1/assessments/", payload, format="json")
    again = counsellor_api.post("/api/v1/assessments/", payload, format="json")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"] and Assessment.objects.count() == 1


@pytest.mark.parametrize("payload, field", [
    ({"scale": "phq9", "answers": [1] * 8 + [7]}, "answers"),
    ({"scale": "phq9", "answers": {"12": 1}}, "answers"),
    ({"scale": "nope", "answers": [1]}, "scale"),
    ({"scale": "phq9", "answers": "all of them"}, "answers"),
    ({"scale": "phq9"}, "answers"),
    ({"scale": "auditc", "answers": [1, 1, 1], "mode": "self"}, "sex"),
])
def test_bad_answers_are_a_bilingual_400_and_nothing_is_written(counsellor_api, people, payload, field):
    payload = {"person": people.in_a1v1.pk, **payload}
    if payload.get("mode") == "self":
        payload["person"] = None
    before = (Assessment.objects.count(), AuditEntry.objects.filter(action="create").count())
    r = counsellor_api.post("/api/v1/assessments/", payload, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json() and " / " in str(r.json()[field])
    assert (Assessment.objects.count(), AuditEntry.objects.filter(action="create").count()) == before


def test_person_outside_the_area_cannot_be_assessed(personas, people):
    client = APIClient()
    client.force_authenticate(personas.village_worker_1)
    r = client.post("/api/v1/assessments/", {"scale": "phq9", "person": people.in_a2v1.pk, "answers": [0] * 9}, format="json")
    assert r.status_code == 400 and "person" in r.json()
    assert not Assessment.objects.exists()


def test_results_are_listed_per_person_and_reads_audited(counsellor_api, people):
    counsellor_api.post("/api/v1/assessments/", {"scale": "phq9", "person": people.in_a1v1.pk, "answers": [2] * 9}, format="json")
    r = counsellor_api.get("/api/v1/assessments/", {"person": people.in_a1v1.pk})
    assert r.json()["count"] == 1
    pk = r.json()["results"][0]["id"]
    counsellor_api.get(f"/api/v1/assessments/{pk}/")
    assert AuditEntry.objects.filter(action="read", object_type="screening.assessment", object_id=str(pk)).exists()


def test_answers_are_encrypted_at_rest(counsellor_api, people):
    from django.db import connection

    counsellor_api.post("/api/v1/assessments/", {"scale": "phq9", "person": people.in_a1v1.pk, "answers": [3] * 9}, format="json")
    with connection.cursor() as cur:
        cur.execute("SELECT answers_json FROM screening_assessment")
        stored = cur.fetchone()[0]
    assert stored.startswith("t1$") and '"9": 3' not in stored
