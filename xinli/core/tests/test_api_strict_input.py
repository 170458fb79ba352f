"""Regressions found by the schemathesis run (test_api_fuzz.py): malformed query parameters are a bilingual 400
naming the parameter, unknown API addresses answer JSON, and every documented operation declares its error codes."""

import pytest

from xinli.core.policy import Role
from xinli.testing.fixtures import make_user


@pytest.fixture
def api(client, tree):
    from xinli.accounts.services import issue_token

    user = make_user("api_user", [(tree.county_a, Role.CRISIS_TEAM), (tree.county_a, Role.SMD_DOCTOR),
                                  (tree.county_a, Role.HOTLINE_SUPERVISOR), (tree.county_a, Role.HEALTH_OFFICER)])
    key, _token = issue_token(user)
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("query, field", [
    ("page_size=true", "page_size"), ("page_size=0", "page_size"), ("page=abc", "page"),
    ("page_size=1&page_size=2", "page_size"), ("overdue=445", "overdue"), ("open=null", "open"),
    ("source=nonsense", "source"), ("source=", "source"), ("person=abc", "person"),
])
def test_malformed_query_parameters_are_rejected_naming_the_parameter(api, query, field):
    response = api.get(f"/api/v1/alerts/?{query}")
    assert response.status_code == 400, response.content
    message = response.json()[field][0]
    assert field.split("_")[0] in message.lower() and " / " in message  # bilingual, names the parameter


@pytest.mark.django_db
def test_well_formed_query_parameters_still_work(api):
    response = api.get("/api/v1/alerts/?overdue=true&open=1&source=hotline&page=1&page_size=5&person=12")
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_unknown_api_address_answers_json_404(api):
    response = api.get("/api/v1/assessments/-5e-324x/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "Not found" in response.json()["detail"]


@pytest.mark.django_db
def test_html_pages_keep_the_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_schema_documents_error_answers_on_every_operation():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [(path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()]
    assert len(operations) > 50
    for path, method, op in operations:
        assert {"400", "401", "403", "404"} <= set(op["responses"]), (method, path)
        if method in ("post", "put", "patch"):
            assert {"413", "415"} <= set(op["responses"]), (method, path)
    assert "429" in schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
