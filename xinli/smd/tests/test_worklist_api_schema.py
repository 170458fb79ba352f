"""Regressions (schemathesis): the worklist is documented as the object it returns and rejects a malformed flag."""

import pytest

from xinli.core.policy import Role
from xinli.testing.fixtures import make_user


@pytest.fixture
def token(tree):
    from xinli.accounts.services import issue_token

    return issue_token(make_user("doctor", [(tree.a1, Role.SMD_DOCTOR)]))[0]


@pytest.mark.django_db
def test_worklist_shape_matches_the_schema(client, token):
    from drf_spectacular.generators import SchemaGenerator

    body = client.get("/api/v1/smd/worklist/?overdue=true", HTTP_AUTHORIZATION=f"Token {token}").json()
    assert set(body) == {"count", "results"}
    schema = SchemaGenerator().get_schema(request=None, public=True)
    ok = schema["paths"]["/api/v1/smd/worklist/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/Worklist"}
    assert set(schema["components"]["schemas"]["Worklist"]["properties"]) == {"count", "results"}


@pytest.mark.django_db
def test_worklist_rejects_a_malformed_overdue_flag(client, token):
    response = client.get("/api/v1/smd/worklist/?overdue=445", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 400 and "overdue" in response.json()
