import pytest

from xinli.core.policy import Role
from xinli.testing.fixtures import make_user


@pytest.fixture
def officer(tree):
    """A health-commission officer of county A (network.manage there)."""
    return make_user("net_officer", [(tree.county_a, Role.HEALTH_OFFICER)])
