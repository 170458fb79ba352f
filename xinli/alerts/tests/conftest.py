import pytest

from xinli.core.policy import Role
from xinli.testing.fixtures import make_user


@pytest.fixture
def teams(tree):
    """Crisis teams at the township A1, the county A and the city (none in the villages)."""
    township = make_user("team_a1", [(tree.a1, Role.CRISIS_TEAM)], email="a1@example.org", mobile="13900000001")
    county = make_user("team_county_a", [(tree.county_a, Role.CRISIS_TEAM)])
    city = make_user("team_city", [(tree.city, Role.CRISIS_TEAM)])
    return {"township": township, "county": county, "city": city}
