import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from xinli.regions.models import OrgUnit
from xinli.regions.services import import_units

pytestmark = pytest.mark.django_db

GOOD = """code,name,parent_code,kind
370000000000,山东省,,省
370200000000,青岛市,370000000000,市
370202000000,市南区,370200000000,区
370202001000,八大关街道,370202000000,街道
370202001001,太平角社区居委会,370202001000,居委会
370202100000,某镇,370202000000,镇
370202100201,某村村委会,370202100000,村委会
"""


def test_import_builds_the_tree_with_materialised_paths(tmp_path):
    f = tmp_path / "units.csv"
    f.write_text(GOOD, encoding="utf-8")
    call_command("import_orgunits", str(f))
    assert OrgUnit.objects.count() == 7
    county = OrgUnit.objects.get(code="370202000000")
    village = OrgUnit.objects.get(code="370202001001")
    assert village.level == "village" and village.kind == "community"
    assert village.path.startswith(county.path) and village.depth == 4
    subtree = set(OrgUnit.objects.filter(path__startswith=county.path).values_list("code", flat=True))
    assert subtree == {"370202000000", "370202001000", "370202001001", "370202100000", "370202100201"}


def test_reimport_is_idempotent_and_updates_names():
    import_units(GOOD)
    report = import_units(GOOD.replace("某镇", "新名镇"))
    assert report.ok and report.created == 0 and report.updated == 1 and report.unchanged == 6
    assert OrgUnit.objects.get(code="370202100000").name == "新名镇"


BAD = """code,name,parent_code,kind
370000000000,山东省,,省
370200000000,青岛市,370000000000,市
37020200000,短代码,370200000000,区
370202000000,市南区,370200000000,区
370202001000,八大关街道,370202000000,镇
370202001001,,370202001000,居委会
370202001401,越界村,370202001000,村委会
370202600000,越界乡,370202000000,乡
370202001002,错父,370202100000,居委会
370202001003,孤儿社区,370202009000,居委会
370202000000,重复,370200000000,区
370202001004,未知类型,370202001000,胡同
"""


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(tmp_path):
    report = import_units(BAD)
    assert not report.ok
    lines = sorted({line for line, _ in report.errors})
    assert lines == [4, 6, 7, 8, 9, 10, 11, 12, 13]
    text = "\n".join(m for _, m in report.errors)
    assert "12" in text and "kind" in text and "parent" in text and " / " in text
    assert OrgUnit.objects.count() == 0
    f = tmp_path / "bad.csv"
    f.write_text(BAD, encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_orgunits", str(f))
    assert OrgUnit.objects.count() == 0


def test_missing_columns_are_reported():
    report = import_units("code,name\n370000000000,山东省\n")
    assert not report.ok and report.errors[0][0] == 1 and "parent_code" in report.errors[0][1]


def test_unknown_county_code_is_accepted_with_a_warning():
    text = GOOD + "370299000000,新设区,370200000000,区\n"
    report = import_units(text)
    assert report.ok and report.created == 8
    assert any("370299000000" in w for _, w in report.warnings)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="index range scan is a PostgreSQL plan")
def test_subtree_query_uses_the_path_index_on_postgresql(tree):
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        sql, params = OrgUnit.objects.filter(path__startswith=tree.county_a.path).query.sql_with_params()
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "orgunit_path_like" in plan, plan
