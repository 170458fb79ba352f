"""Regressions (schemathesis): ``previous`` answers a plain list (as documented, not a page); ``phone`` is optional
in the schema because without it the answer is an empty list (the authorization matrix calls it bare)."""

import pytest

from xinli.core.policy import Role
from xinli.testing.fixtures import make_user


@pytest.fixture
def token(tree):
    from xinli.accounts.services import issue_token

    return issue_token(make_user("operator", [(tree.county_a, Role.HOTLINE_SUPERVISOR)]))[0]


@pytest.mark.django_db
def test_previous_without_phone_is_an_empty_list_and_not_documented_as_required(client, token):
    from drf_spectacular.generators import SchemaGenerator

    response = client.get("/api/v1/hotline/calls/previous/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200 and response.json() == []
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = schema["paths"]["/api/v1/hotline/calls/previous/"]["get"]["parameters"]
    assert not next(p for p in parameters if p["name"] == "phone").get("required", False)


@pytest.mark.django_db
def test_previous_answers_a_list_and_the_schema_says_so(client, token):
    from drf_spectacular.generators import SchemaGenerator

    response = client.get("/api/v1/hotline/calls/previous/?phone=13800000009", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200 and response.json() == []
    schema = SchemaGenerator().get_schema(request=None, public=True)
    ok = schema["paths"]["/api/v1/hotline/calls/previous/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["type"] == "array"
