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


GAD7_ITEMS = ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]


def test_import_reads_a_gad7_response_coded_with_the_standard_loinc_answers(api, people):
    """GAD-7's answers are LOINC's LL358-3 list, the same LA codes as PHQ-9's items."""
    items = [{"linkId": f"/{code}", "code": [{"system": "http://loinc.org", "code": code}],
              "answer": [{"valueCoding": {"system": "http://loinc.org", "code": LA[v]}}]}
             for code, v in zip(GAD7_ITEMS, [0, 1, 2, 3, 1, 1, 0], strict=True)]
    items.append({"linkId": "/70274-6", "code": [{"system": "http://loinc.org", "code": "70274-6"}], "answer": [{"valueInteger": 8}]})
    resource = {"resourceType": "QuestionnaireResponse", "status": "completed", "questionnaire": "http://loinc.org/q/69737-5",
                "item": items}
    r = api.post("/api/v1/assessments/fhir-import/", {"resource": resource, "person": people.in_a1v1.pk}, format="json")
    assert r.status_code == 201, r.content
    a = Assessment.objects.get(pk=r.json()["id"])
    assert a.scale == "gad7" and a.answers == {"1": 0, "2": 1, "3": 2, "4": 3, "5": 1, "6": 1, "7": 0} and a.total == 8


def test_phq9_item_10_carries_its_loinc_code_and_is_understood_on_import(api, people):
    q = api.get("/api/v1/assessments/questionnaire/", {"scale": "phq9"}).json()
    assert q["item"][9]["linkId"] == "10" and q["item"][9]["code"] == [{"system": "http://loinc.org", "code": "69722-7"}]
    resource = hl7_style_response([1, 1, 1, 1, 1, 1, 1, 1, 0], 8)
    resource["item"].insert(9, {"linkId": "/69722-7", "code": [{"system": "http://loinc.org", "code": "69722-7"}],
                                "answer": [{"valueCoding": {"system": "urn:xinli:scale:phq9:options", "code": "2"}}]})
    r = api.post("/api/v1/assessments/fhir-import/", {"resource": resource, "person": people.in_a1v1.pk}, format="json")
    assert r.status_code == 201, r.content
    assert Assessment.objects.get(pk=r.json()["id"]).answers["10"] == 2


@pytest.mark.parametrize(("scale", "answers"), [("phq9", [0, 1, 2, 3, 0, 1, 2, 3, 0, 2]), ("gad7", [3, 2, 1, 0, 1, 2, 3])])
def test_export_then_import_gives_the_same_answers(api, people, scale, answers):
    r = api.post("/api/v1/assessments/", {"scale": scale, "person": people.in_a1v1.pk, "answers": answers}, format="json")
    assert r.status_code == 201, r.content
    first = Assessment.objects.get(pk=r.json()["id"])
    qr = api.get(f"/api/v1/assessments/{first.pk}/fhir/").json()["entry"][0]["resource"]
    if scale == "gad7":
        assert {i["answer"][0]["valueCoding"]["system"] for i in qr["item"] if "answer" in i and "valueCoding" in i["answer"][0]} == {"http://loinc.org"}
    qr.pop("id")
    r = api.post("/api/v1/assessments/fhir-import/", {"resource": qr, "person": people.in_a1v1.pk}, format="json")
    assert r.status_code == 201, r.content
    second = Assessment.objects.get(pk=r.json()["id"])
    assert second.pk != first.pk and second.answers == first.answers and second.total == first.total
