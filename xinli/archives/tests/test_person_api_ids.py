"""Regression: a person id longer than a 64-bit column (or negative) is not found, never a database error."""

import pytest

from xinli.core.policy import Role
from xinli.testing.fixtures import make_user


@pytest.mark.django_db
@pytest.mark.parametrize("pk", ["99999999999999999999999", "-1"])
def test_out_of_range_person_ids_are_not_found(client, tree, pk):
    from xinli.accounts.services import issue_token

    key, _token = issue_token(make_user("worker", [(tree.a1, Role.COMMUNITY_WORKER)]))
    response = client.get(f"/api/v1/persons/{pk}/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 404
