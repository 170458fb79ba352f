"""Region parameters (regions.RegionParameter): the small-cell threshold as data per region — the unit's own latest
row, else its nearest ancestor's, else the default (setting XINLI_SMALL_CELL); set by holders of indicators.manage
over the unit, checked (2–50, a source) and audited, history kept."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.regions.models import RegionParameter
from xinli.regions.parameters import history, in_force, parameter, small_cell_thresholds
from xinli.regions.services import set_parameter
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db
KEY = "small_cell_threshold"


def test_default_then_ancestor_then_own_row_latest_wins(tree, settings):
    settings.XINLI_SMALL_CELL = 6
    officer = make_user("threshold_officer", [(tree.city, Role.HEALTH_OFFICER)])
    assert parameter(tree.a1v1, KEY) == 6 and in_force(tree.a1v1, KEY).row is None  # the deployment default
    set_parameter(officer, unit=tree.county_a, key=KEY, value="10", source="市南区卫健局统计发布规定")
    assert parameter(tree.a1v1, KEY) == 10 and parameter(tree.a1v1.path, KEY) == 10  # the county's row, inherited
    assert parameter(tree.county_b, KEY) == 6  # another branch keeps the default
    force = in_force(tree.a1v1, KEY)
    assert force.row.org_unit == tree.county_a and not force.own
    set_parameter(officer, unit=tree.a1, key=KEY, value=3, source="街道决定")
    assert parameter(tree.a1v1, KEY) == 3 and parameter(tree.a2v1, KEY) == 10  # the nearest row wins
    assert in_force(tree.a1, KEY).own
    set_parameter(officer, unit=tree.county_a, key=KEY, value="8", source="修订")
    assert parameter(tree.a2v1, KEY) == 8  # the latest row of the county
    assert small_cell_thresholds([tree.a1v1.path, tree.a2v1.path, tree.b1v1.path]) == {
        tree.a1v1.path: 3, tree.a2v1.path: 8, tree.b1v1.path: 6}
    assert [(r.org_unit.code, r.value) for r in history(tree.a1v1, KEY)] == [
        (tree.county_a.code, 8), (tree.a1.code, 3), (tree.county_a.code, 10)]  # latest first
    entry = AuditEntry.objects.filter(object_type="regions.regionparameter").latest("id")
    assert entry.object_id == f"{KEY}:{tree.county_a.code}" and entry.detail == {"key": KEY, "value": 8, "source": "修订"}


def test_bad_values_name_the_field_and_write_nothing(tree):
    officer = make_user("threshold_officer", [(tree.city, Role.HEALTH_OFFICER)])
    for value, source, fields in (("1", "规定", {"value"}), ("51", "规定", {"value"}), ("五", "规定", {"value"}),
                                  ("²", "规定", {"value"}), ("5", "", {"source"}), ("0", " ", {"value", "source"}),
                                  ("5", "规" * 201, {"source"})):
        with pytest.raises(ValidationError) as exc:
            set_parameter(officer, unit=tree.county_a, key=KEY, value=value, source=source)
        assert set(exc.value.message_dict) == fields
        assert "2" in " ".join(exc.value.message_dict.get("value", ["2"]))  # the range is named
    with pytest.raises(ValidationError):
        set_parameter(officer, unit=tree.county_a, key="no_such_key", value="5", source="规定")
    assert not RegionParameter.objects.exists()


def test_only_indicator_managers_of_the_unit_set_it(tree):
    county_officer = make_user("county_officer_p", [(tree.county_a, Role.HEALTH_OFFICER)])
    for user in (make_user("publicity_p", [(tree.city, Role.PUBLICITY_OFFICER)]),
                 make_user("sysadmin_p", [(tree.province, Role.SYSTEM_ADMIN)]),
                 make_user("doctor_p", [(tree.city, Role.SMD_DOCTOR)])):
        with pytest.raises(PermissionDenied):
            set_parameter(user, unit=tree.county_a, key=KEY, value="5", source="规定")
    with pytest.raises(PermissionDenied):
        set_parameter(county_officer, unit=tree.county_b, key=KEY, value="5", source="规定")  # another county
    set_parameter(county_officer, unit=tree.a1, key=KEY, value="5", source="规定")  # below the officer's county
    assert RegionParameter.objects.count() == 1
