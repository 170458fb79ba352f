import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire
from rest_framework.test import APIClient

from xinli.screening.models import Assessment

pytestmark = pytest.mark.django_db

LA = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]  # PHQ-9 answers 0..3
PHQ9_ITEMS = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"]


@pytest.fixture
def api(personas):
    client = APIClient()
    client.force_authenticate(personas.counsellor)
    return client


def hl7_style_response(values, stated_total):
    """Shaped like the HL7 SDC PHQ-9 example: LOINC item codes and LOINC answer codes, total 44261-6."""
    items = [{"linkId": f"/{code}", "code": [{"system": "http://loinc.org", "code": code}],
              "answer": [{"valueCoding": {"system": "http://loinc.org", "code": LA[v]}}]} for code, v in zip(PHQ9_ITEMS, values, strict=True)]
    items.append({"linkId": "/44261-6", "code": [{"system": "http://loinc.org", "code": "44261-6"}],
                  "answer": [{"valueInteger": stated_total}]})
    return {"resourceType": "QuestionnaireResponse", "status": "completed",
            "questionnaire": "http://loinc.org/q/44249-1", "item": items}


def test_export_is_valid_fhir_r4_with_loinc_codes(api, people):
    r = api.post("/api/v1/assessments/", {"scale": "phq9", "person": people.in_a1v1.pk, "answers": [3] * 9}, format="json")
    bundle = api.get(f"/api/v1/assessments/{r.json()['id']}/fhir/").json()
    Bundle.model_validate(bundle)  # raises if not valid FHIR
    qr, obs = (e["resource"] for e in bundle["entry"])
    assert qr["item"][8]["answer"][0]["valueCoding"] == {"system": "http://loinc.org", "code": "LA6571-9", "display": "Nearly every day"}
    assert obs["code"]["coding"][0]["code"] == "44261-6" and obs["valueQuantity"]["value"] == 27
    assert obs["valueQuantity"]["unit"] == "{score}" and obs["category"][0]["coding"][0]["code"] == "survey"
    assert obs["derivedFrom"][0]["reference"] == f"QuestionnaireResponse/{qr['id']}"
    assert "name" not in str(qr.get("subject")) and people.in_a1v1.id_number not in str(bundle)


@pytest.mark.parametrize("code", ["phq9", "gad7", "k10", "auditc", "gds15"])
def test_questionnaires_are_valid_fhir(api, code):
    q = api.get("/api/v1/assessments/questionnaire/", {"scale": code}).json()
    Questionnaire.model_validate(q)
    weights = [o["extension"][0]["valueDecimal"] for o in q["item"][0]["answerOption"]]
    assert weights and q["item"][-1]["readOnly"] is True


def test_import_accepts_a_consistent_response(api, people):
    r = api.post("/api/v1/assessments/fhir-import/", {"resource": hl7_style_response([1, 1, 1, 1, 1, 1, 1, 1, 2], 10),
                                                      "person": people.in_a1v1.pk}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["total"] == "10.00" and r.json()["critical_items"] == ["9"]


def test_import_rejects_a_stated_total_that_disagrees_with_its_items(api, people):
    # The HL7 SDC example: item answers sum to 10 but the response records 13.
    r = api.post("/api/v1/assessments/fhir-import/", {"resource": hl7_style_response([1, 1, 1, 1, 1, 1, 1, 1, 2], 13),
                                                      "person": people.in_a1v1.pk}, format="json")
    assert r.status_code == 400
    message = r.json()["total"][0]
    assert "13" in message and "10" in message and "disagrees" in message and "不一致" in message
    assert not Assessment.objects.exists()


def test_import_rejects_foreign_resources_and_unknown_answer_codes(api):
    r = api.post("/api/v1/assessments/fhir-import/", {"resource": {"resourceType": "Patient"}}, format="json")
    assert r.status_code == 400 and "resourceType" in r.json()
    bad = hl7_style_response([1] * 9, 9)
    bad["item"][0]["answer"][0]["valueCoding"]["code"] = "LA0000-0"
    r = api.post("/api/v1/assessments/fhir-import/", {"resource": bad}, format="json")
    assert r.status_code == 400 and "item" in r.json()
