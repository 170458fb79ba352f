"""Hostile JSON bodies (issue 15 item 5): deep nesting, malformed FHIR, non-ASCII digits as answers. Every answer is a
JSON 4xx naming what is wrong, never a 500; an unhandled error under /api/ is a JSON 500."""

import json

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from xinli.screening.models import Assessment

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


def _post(client, url, body):
    return client.generic("POST", url, body, content_type="application/json")


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT, '{"username": ' + DEEP + "}"])
def test_deep_json_on_token_endpoint_without_login_is_400(client, body):
    r = _post(client, "/api/v1/auth/token/", body)
    assert r.status_code == 400 and r["Content-Type"].startswith("application/json")
    detail = r.json()["detail"]
    assert "请求体" in detail and "Request body" in detail


@pytest.fixture
def api(personas):
    c = APIClient()
    c.force_authenticate(personas.counsellor)
    return c


@pytest.mark.parametrize("url", ["/api/v1/assessments/", "/api/v1/assessments/fhir-import/", "/api/v1/persons/"])
def test_deep_json_on_authenticated_endpoints_is_400(api, url):
    r = api.generic("POST", url, DEEP_OBJECT, content_type="application/json")
    assert r.status_code == 400 and "Request body" in r.json()["detail"]


def _qr(**overrides):
    base = {"resourceType": "QuestionnaireResponse", "questionnaire": "urn:xinli:questionnaire:phq9",
            "item": [{"linkId": "1", "answer": [{"valueInteger": 1}]}]}
    base.update(overrides)
    return base


MALFORMED = [
    ({"resource": _qr(item=[1])}, "item"),
    ({"resource": _qr(item="x")}, "item"),
    ({"resource": _qr(item=[{"answer": 1}])}, "item"),
    ({"resource": _qr(item=[{"linkId": "1", "answer": [{"valueCoding": "x"}]}])}, "item"),
    ({"resource": _qr(item=[{"linkId": {}}])}, "item"),
    ({"resource": _qr(item=[{"linkId": "1", "answer": [1]}])}, "item"),
    ({"resource": _qr(item=[{"linkId": "1", "answer": "x"}])}, "item"),
    ({"resource": _qr(item=[{"linkId": "1", "code": "x"}])}, "item"),
    ({"resource": _qr(item=[{"linkId": "1", "code": [1]}])}, "item"),
    ({"resource": _qr(item=[{"linkId": "1", "answer": [{"valueInteger": "²"}]}])}, "item"),
    ({"resource": _qr(item=[{"linkId": "1", "answer": [{"valueCoding": {"code": "²"}}]}])}, "item"),
    ({"resource": _qr(item=[{"linkId": "total", "answer": [{"valueQuantity": "x"}]}])}, "total"),
    ({"resource": _qr(item=[{"linkId": "total", "answer": [{"valueDecimal": [1]}]}])}, "total"),
    ({"resource": _qr(item=[{"linkId": "total", "answer": [{"valueDecimal": "NaN"}]}])}, "total"),
    ({"resource": _qr(questionnaire={"a": 1})}, "questionnaire"),
    ({"resource": [1, 2]}, "resource"),
    ({"resource": "x"}, "resource"),
    ({"resource": {"item": []}}, "resourceType"),
]


@pytest.mark.parametrize(("body", "field"), MALFORMED)
def test_malformed_fhir_is_400_naming_the_field(api, body, field):
    r = api.post("/api/v1/assessments/fhir-import/", body, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json(), r.json()
    assert not Assessment.objects.exists()


@pytest.mark.parametrize("answers", [["²"] * 9, ["٣"] * 9, [{"a": 1}] * 9, [[1]] * 9, [True] * 9])
def test_non_digit_answers_in_assessment_api_are_400(api, people, answers):
    r = api.post("/api/v1/assessments/", {"scale": "phq9", "person": people.in_a1v1.pk, "answers": answers}, format="json")
    assert r.status_code == 400 and "answers" in r.json()
    assert not Assessment.objects.exists()


def test_portal_self_test_superscript_answer_is_a_form_error(client):
    data = {f"q_{i}": "1" for i in range(1, 10)}
    data["q_1"] = "²"
    r = client.post("/p/test/phq9/", data)
    assert r.status_code in (200, 400)
    assert not Assessment.objects.exists()


def test_unhandled_api_error_is_json_500(api, monkeypatch):
    from xinli.screening import selectors

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "visible_assessments", boom)
    api.raise_request_exception = False
    r = api.get("/api/v1/assessments/")
    assert r.status_code == 500 and r["Content-Type"].startswith("application/json")
    detail = r.json()["detail"]
    assert "服务器" in detail and "server" in detail.lower() and "boom" not in detail


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet="1²٣x{}[]", max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["item", "answer", "linkId", "valueCoding", "code", "valueInteger", "resourceType"]), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(item=json_values, depth=st.integers(min_value=0, max_value=1500))
def test_fhir_and_json_endpoints_never_500(api, item, depth):
    api.raise_request_exception = False
    resource = {"resourceType": "QuestionnaireResponse", "questionnaire": "urn:xinli:questionnaire:phq9", "item": item}
    r = api.post("/api/v1/assessments/fhir-import/", {"resource": resource}, format="json")
    assert r.status_code < 500, r.content
    nested = "[" * depth + "]" * depth
    for url in ("/api/v1/assessments/", "/api/v1/assessments/fhir-import/", "/api/v1/auth/token/"):
        r = api.generic("POST", url, nested or "null", content_type="application/json")
        assert r.status_code < 500, (url, depth)
    assert json.loads("[]") == []


@override_settings(DEBUG=False)
def test_settings_use_bounded_parser():
    from rest_framework.settings import api_settings

    assert "xinli.core.parsers.BoundedJSONParser" in [f"{p.__module__}.{p.__name__}" for p in api_settings.DEFAULT_PARSER_CLASSES]


def test_staff_form_superscript_answer_is_a_form_error(client, personas, people):
    from xinli.testing.fixtures import login_verified

    login_verified(client, personas.counsellor)
    data = {"scale": "phq9", **{f"item_{i}": "1" for i in range(1, 10)}}
    data["item_1"] = "²"
    r = client.post(f"/persons/{people.in_a1v1.pk}/assess/?scale=phq9", data)
    assert r.status_code in (200, 400) and "text/html" in r["Content-Type"] and not Assessment.objects.exists()
