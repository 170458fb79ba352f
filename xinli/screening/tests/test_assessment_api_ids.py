"""Regression (schemathesis): an assessment id that is not a plain integer was a 500; it is simply not found."""

import pytest

from xinli.core.policy import Role
from xinli.testing.fixtures import make_user


@pytest.mark.django_db
@pytest.mark.parametrize("pk", ["-5e-324", "1e3", "99999999999999999999999"])
def test_odd_assessment_ids_are_not_found(client, tree, pk):
    from xinli.accounts.services import issue_token

    key, _token = issue_token(make_user("worker", [(tree.a1, Role.COUNSELLOR)]))
    for url in (f"/api/v1/assessments/{pk}/", f"/api/v1/assessments/{pk}/fhir/"):
        response = client.get(url, HTTP_AUTHORIZATION=f"Token {key}")
        assert response.status_code == 404, (url, response.status_code)
        assert response["Content-Type"].startswith("application/json")
