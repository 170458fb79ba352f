"""Issue 16, T10: a village or community is urban or rural by the statistics bureau's 统计用城乡划分代码 (111, 112, 121,
122, 123 urban; 210, 220 rural), carried on the org unit and imported with the tree; without a code the kind decides
(村委会 rural, 居委会 urban) and the page says the classification is estimated (推定)."""

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client

from xinli.core.policy import Role
from xinli.regions.codes import Kind
from xinli.regions.models import OrgUnit
from xinli.regions.services import import_units
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db

TREE = """code,name,parent_code,kind,urban_rural_code
370000000000,山东省,,省,
370200000000,青岛市,370000000000,市,
370202000000,市南区,370200000000,区,
370202001000,八大关街道,370202000000,街道,
370202001001,太平角社区居委会,370202001000,居委会,111
370202001002,汇泉社区居委会,370202001000,居委会,210
370202100000,某镇,370202000000,镇,
370202100201,某村村委会,370202100000,村委会,122
370202100202,东村村委会,370202100000,村委会,220
370202100203,西村村委会,370202100000,村委会,
"""


def _unit(code):
    return OrgUnit.objects.get(code=code)


@pytest.mark.parametrize(("code", "kind", "rural"), [
    ("111", Kind.VILLAGE, False), ("112", Kind.VILLAGE, False), ("121", Kind.VILLAGE, False), ("122", Kind.VILLAGE, False),
    ("123", Kind.VILLAGE, False), ("210", Kind.COMMUNITY, True), ("220", Kind.COMMUNITY, True),
    ("", Kind.VILLAGE, True), ("", Kind.COMMUNITY, False),
])
def test_urban_or_rural_comes_from_the_code_and_without_one_from_the_kind(code, kind, rural):
    unit = OrgUnit(code="370202001001", level="village", kind=kind, urban_rural_code=code)
    assert unit.is_rural is rural
    assert unit.urban_rural_estimated is (code == "")


def test_the_import_reads_the_column_and_the_code_decides(tmp_path):
    f = tmp_path / "units.csv"
    f.write_text(TREE, encoding="utf-8")
    call_command("import_orgunits", str(f))
    # A 居委会 coded 210 (乡中心区) is rural; a 村委会 coded 122 (镇乡结合区) is urban; an uncoded 村委会 rural by its kind.
    assert (_unit("370202001001").urban_rural_code, _unit("370202001001").is_rural) == ("111", False)
    assert (_unit("370202001002").urban_rural_code, _unit("370202001002").is_rural) == ("210", True)
    assert (_unit("370202100201").urban_rural_code, _unit("370202100201").is_rural) == ("122", False)
    assert (_unit("370202100202").is_rural, _unit("370202100203").is_rural) == (True, True)
    assert _unit("370202100203").urban_rural_estimated and _unit("370202000000").urban_rural_code == ""


def test_a_reimport_updates_the_code_and_an_empty_cell_keeps_it():
    assert import_units(TREE).ok
    report = import_units(TREE.replace("居委会,111", "居委会,112").replace("村委会,220", "村委会,"))
    assert report.ok and report.updated == 1
    assert _unit("370202001001").urban_rural_code == "112"
    assert _unit("370202100202").urban_rural_code == "220"  # empty cell: left as it was


def test_a_bad_code_or_a_code_on_a_township_is_refused_naming_the_field_and_nothing_is_written():
    bad = TREE.replace("居委会,111", "居委会,130").replace("某镇,370202000000,镇,", "某镇,370202000000,镇,121")
    report = import_units(bad)
    assert not report.ok and OrgUnit.objects.count() == 0
    by_line = dict(report.errors)
    assert "urban_rural_code" in by_line[6] and "130" in by_line[6] and "210, 220" in by_line[6]
    assert "urban_rural_code" in by_line[8] and "leave it empty" in by_line[8]
    assert sorted(by_line) == [6, 8]


def test_the_command_reports_a_bad_code_and_writes_nothing(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text(TREE.replace("村委会,220", "村委会,2200"), encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_orgunits", str(f))
    assert OrgUnit.objects.count() == 0


def test_the_database_refuses_a_code_outside_the_list_or_above_the_village_level(tree):
    for unit, code in ((tree.a1v1, "999"), (tree.county_a, "111")):
        with pytest.raises(IntegrityError), transaction.atomic():
            OrgUnit.objects.filter(pk=unit.pk).update(urban_rural_code=code)


def test_the_unit_page_shows_the_code_or_says_estimated(tree):
    OrgUnit.objects.filter(pk=tree.a1v1.pk).update(urban_rural_code="210")
    user = make_user("worker", [(tree.a1, Role.COMMUNITY_WORKER)])
    client = Client()
    login_verified(client, user)
    coded = client.get(f"/org/{tree.a1v1.pk}/").content.decode()
    assert "城乡划分代码" in coded and "210 乡中心区" in coded and "农村" in coded and "推定" not in coded
    estimated = client.get(f"/org/{tree.a1v2.pk}/").content.decode()
    assert "推定" in estimated and "城市" in estimated
    township = client.get(f"/org/{tree.a1.pk}/").content.decode()
    assert "推定" not in township and "城乡划分代码" not in township  # only villages and communities have one
