"""Issue 16: the indicator rules a region sets as data — T12's rule, T09's tag set, T05's size cut and T08's minimum
crisis-team members — read through one table (``regions.parameters``), validated, nearest ancestor first."""

import pytest
from django.core.exceptions import ValidationError

from xinli.alerts.indicators import min_team_members
from xinli.core.policy import Role
from xinli.counselling.indicators import PLAN_GROUPS, t09_tag_sets
from xinli.network.coverage import workplace_size_cut
from xinli.regions.services import set_parameter
from xinli.smd.indicators import t12_rules_for
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(tree):
    return make_user("officer", [(tree.city, Role.HEALTH_OFFICER)])


def test_defaults(tree):
    assert t12_rules_for([tree.a1]) == {tree.a1.pk: "national"}
    assert t09_tag_sets([tree.a1.path])[tree.a1.path] == PLAN_GROUPS
    assert workplace_size_cut(tree.a1) is None
    assert min_team_members(tree.a1) == 3


def test_a_county_sets_its_rules_and_its_units_follow(tree, officer):
    set_parameter(officer, unit=tree.county_a, key="t12_rule", value="gap92", source="县卫健委文件 2026-1 号")
    set_parameter(officer, unit=tree.county_a, key="t09_tags", value="vagrant, detainee", source="县综治办 2026")
    set_parameter(officer, unit=tree.county_a, key="t05_min_employees", value="100", source="县卫健委 2026")
    set_parameter(officer, unit=tree.county_a, key="crisis_team_min_members", value="5", source="县卫健委 2026")
    assert t12_rules_for([tree.a1, tree.b1]) == {tree.a1.pk: "gap92", tree.b1.pk: "national"}
    assert t09_tag_sets([tree.a1v1.path])[tree.a1v1.path] == {"vagrant", "detainee"}
    assert t09_tag_sets([tree.b1v1.path])[tree.b1v1.path] == PLAN_GROUPS
    assert (workplace_size_cut(tree.a1), workplace_size_cut(tree.county_b)) == (100, None)
    assert (min_team_members(tree.county_a), min_team_members(tree.county_b)) == (5, 3)


@pytest.mark.parametrize(("key", "value"), [("t12_rule", "weekly"), ("t09_tags", "vagrant, nobody"), ("t09_tags", ""),
                                            ("t05_min_employees", "0"), ("crisis_team_min_members", "x")])
def test_bad_values_name_the_parameter_and_write_nothing(tree, officer, key, value):
    from xinli.regions.models import RegionParameter

    with pytest.raises(ValidationError) as err:
        set_parameter(officer, unit=tree.county_a, key=key, value=value, source="文件")
    assert "value" in err.value.message_dict
    assert not RegionParameter.objects.exists()
