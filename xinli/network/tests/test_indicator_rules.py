"""T04, T05 and T18 by the pilot plan (issue 16), worked out by hand for a village, the townships, both counties and
the city — through the network's rule (``coverage.compute``) and through the registry's rollups, which point at it.

The register (day of the figures: 31 December 2025):

Schools (T04: an active counselling room AND an active full- or part-time mental-health teacher on the staff register)
  一中 (A1)        room + full-time teacher                      ✓
  二中 (A1v1)      room; teacher inactive; a counsellor (no teacher) ✗
  实验小学 (A2)     part-time teacher, no room                    ✗
  香港路小学 (A2)   room + part-time teacher                      ✓
  海云小学 (B1v1)   room + full-time teacher                      ✓
  海云中学 (B1)     nothing                                       ✗
  幼儿园 (A1)       room + teacher, but a preschool: not counted
Workplaces (T05: party/government organs, public institutions, enterprises, factories/mines, new economic organisations;
a room or a purchased service active on the day; no size cut unless the region sets one)
  区委 (county A, organ, 300)                 nothing                               ✗
  区疾控中心 (county A, public inst., 80)      in-house room                         ✓
  小作坊 (A1, enterprise, 12, not above size)  purchased service                     ✓
  啤酒厂 (A1, factory/mine, 2000)              purchased service ended mid-2025      ✗
  网约车平台 (A2v1, new economic org., 40)     purchased service                     ✓
  海云矿 (county B, factory/mine, 600)         in-house room                         ✓
  海云镇政府 (B1, organ, 50)                   nothing                               ✗
  快递站 (B1v1, new economic org., no count)   nothing                               ✗
Mental-health institutions (T18: psychiatric hospitals and general hospitals with a psychiatric department or an
active psychiatry/psychology clinic; covered with an active family school)
  市精神卫生中心 (county A, psychiatric)         family school                      ✓
  区人民医院 (A1, general 2, psychiatric dept.)  —                                  ✗
  市立医院 (county A, general 3, clinic)         family school                      ✓
  社区医院 (A2, general 1)                       no department, no clinic: not counted
  口腔医院 (A2, general 2)                       clinic closed mid-2025: not counted
  海云医院 (B1, general 2, clinic)               —                                  ✗
  北区精神病院 (county B, psychiatric)           family school closed mid-2025      ✗
"""

import datetime

import pytest

from xinli.core.policy import Role
from xinli.network import coverage, services
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db
D = datetime.date
DAY = D(2025, 12, 31)
OPENED = D(2024, 3, 1)


@pytest.fixture
def city_officer(tree):
    return make_user("city_net_officer", [(tree.city, Role.HEALTH_OFFICER)])


@pytest.fixture
def register(tree, city_officer):
    s, o = services, city_officer

    def inst(unit, name, kind, **fields):
        return s.create_institution(o, org_unit=unit, name=name, kind=kind, **fields)

    def site(inst_, kind, *, closed_on=None, **fields):
        made = s.create_site(o, org_unit=inst_.org_unit, name=f"{inst_.name}{kind}", kind=kind, institution=inst_, opened_on=OPENED, **fields)
        if closed_on:
            s.set_site_status(o, made, status="closed", on=closed_on)
        return made

    def teacher(inst_, profession, *, active=True):
        staff = s.create_staff(o, org_unit=inst_.org_unit, name=f"{inst_.name}老师", profession=profession, education="bachelor",
                               employer=inst_, full_time=profession != "teacher_part")
        if not active:
            type(staff).objects.filter(pk=staff.pk).update(active=False)
        return staff

    # Schools
    yi = inst(tree.a1, "一中", "secondary_school", students=1800)
    site(yi, "school_room")
    teacher(yi, "teacher_full")
    er = inst(tree.a1v1, "二中", "secondary_school", students=1200)
    site(er, "school_room")
    teacher(er, "teacher_full", active=False)
    teacher(er, "counsellor")
    shiyan = inst(tree.a2, "实验小学", "primary_school", students=900)
    teacher(shiyan, "teacher_part")
    hk = inst(tree.a2, "香港路小学", "primary_school", students=700)
    site(hk, "school_room")
    teacher(hk, "teacher_part")
    hy = inst(tree.b1v1, "海云小学", "primary_school", students=300)
    site(hy, "school_room")
    teacher(hy, "teacher_full")
    inst(tree.b1, "海云中学", "secondary_school", students=600)
    kg = inst(tree.a1, "幼儿园", "preschool", students=200)
    site(kg, "school_room")
    teacher(kg, "teacher_full")
    # Workplaces
    inst(tree.county_a, "区委", "organ", employees=300)
    site(inst(tree.county_a, "区疾控中心", "public_institution", employees=80), "workplace_room")
    site(inst(tree.a1, "小作坊", "enterprise", employees=12, above_size=False), "workplace_room", purchased=True)
    site(inst(tree.a1, "啤酒厂", "factory_mine", employees=2000, above_size=True), "workplace_room", purchased=True, closed_on=D(2025, 6, 30))
    site(inst(tree.a2v1, "网约车平台", "new_economy_org", employees=40), "workplace_room", purchased=True)
    site(inst(tree.county_b, "海云矿", "factory_mine", employees=600), "workplace_room")
    inst(tree.b1, "海云镇政府", "organ", employees=50)
    inst(tree.b1v1, "快递站", "new_economy_org")
    # Mental-health institutions
    site(inst(tree.county_a, "市精神卫生中心", "psychiatric_hospital"), "family_school")
    inst(tree.a1, "区人民医院", "general_hospital", hospital_level="2", psychiatric_department=True)
    shili = inst(tree.county_a, "市立医院", "general_hospital", hospital_level="3")
    site(shili, "general_clinic")
    site(shili, "family_school")
    inst(tree.a2, "社区医院", "general_hospital", hospital_level="1")
    site(inst(tree.a2, "口腔医院", "general_hospital", hospital_level="2"), "general_clinic", closed_on=D(2025, 6, 30))
    site(inst(tree.b1, "海云医院", "general_hospital", hospital_level="2"), "general_clinic")
    site(inst(tree.county_b, "北区精神病院", "psychiatric_hospital"), "family_school", closed_on=D(2025, 6, 30))
    return tree


def counts(unit, code, **kw):
    c = coverage.compute(unit, DAY, **kw)[code]
    return c.covered, c.total


def test_t04_needs_a_room_and_a_psychological_teacher(register):
    t = register
    assert counts(t.a1v1, "T04") == (0, 1)  # 二中: room, but its teacher is inactive and a counsellor is not a teacher
    assert counts(t.a1, "T04") == (1, 2)  # 一中 ✓, 二中 ✗ (the old rule, a room alone, gave 2 / 2)
    assert counts(t.a2, "T04") == (1, 2)  # 香港路小学 ✓; 实验小学 has a teacher but no room
    assert counts(t.county_a, "T04") == (2, 4)
    assert counts(t.county_b, "T04") == (1, 2)
    assert counts(t.city, "T04") == (3, 6)
    assert [i.name for i in coverage.compute(t.city, DAY)["T04"].gaps] == ["二中", "实验小学", "海云中学"]


def test_t05_every_workplace_kind_with_a_room_or_a_purchased_service_and_no_size_cut(register):
    t = register
    assert counts(t.a2v1, "T05") == (1, 1)  # the new economic organisation's purchased service
    assert counts(t.a1, "T05") == (1, 2)  # 小作坊 (12 employees, purchased) ✓; 啤酒厂's contract ended ✗
    assert counts(t.a2, "T05") == (1, 1)
    assert counts(t.county_a, "T05") == (3, 5)
    assert counts(t.county_b, "T05") == (1, 3)
    assert counts(t.city, "T05") == (4, 8)
    c = coverage.compute(t.city, DAY)["T05"]
    assert c.rule == {"min_employees": None}  # the rule in force: no size cut (the default)
    assert sorted(i.name for i in c.gaps) == sorted(["区委", "啤酒厂", "海云镇政府", "快递站"])


def test_t05_with_a_regional_size_cut(register):
    """A cut of 100 employees: smaller units leave the denominator; a unit without an employee count stays in it."""
    t = register
    assert counts(t.a2v1, "T05", t05_min_employees=100) == (0, 0)
    assert counts(t.a1, "T05", t05_min_employees=100) == (0, 1)  # only 啤酒厂
    assert counts(t.county_a, "T05", t05_min_employees=100) == (0, 2)  # 区委, 啤酒厂
    assert counts(t.county_b, "T05", t05_min_employees=100) == (1, 2)  # 海云矿 ✓, 快递站 (no count) ✗
    assert counts(t.city, "T05", t05_min_employees=100) == (1, 4)
    assert coverage.compute(t.city, DAY, t05_min_employees=100)["T05"].rule == {"min_employees": 100}
    assert coverage.workplace_size_cut(t.city) is None  # the default until the region sets t05_min_employees


def test_t18_counts_every_mental_health_institution(register):
    t = register
    assert counts(t.a1v1, "T18") == (0, 0)
    assert counts(t.a1, "T18") == (0, 1)  # the general hospital with a psychiatric department, no family school
    assert counts(t.a2, "T18") == (0, 0)  # no department; the clinic closed before the day
    assert counts(t.county_a, "T18") == (2, 3)  # the old rule, psychiatric hospitals only, gave 1 / 1
    assert counts(t.county_b, "T18") == (0, 2)
    assert counts(t.city, "T18") == (2, 5)
    assert sorted(i.name for i in coverage.compute(t.city, DAY)["T18"].gaps) == sorted(["区人民医院", "海云医院", "北区精神病院"])


def test_the_rollups_point_at_the_network_rules(register):
    from xinli.indicators import services as indicators
    from xinli.indicators.models import Rollup

    indicators.rebuild(2025, codes={"T04", "T05", "T18"})

    def rollup(code, unit):
        r = Rollup.objects.get(indicator=code, org_unit=unit, period="2025", breakdown="")
        return r.numerator, r.denominator

    t = register
    assert [rollup("T04", u) for u in (t.a1, t.county_a, t.city)] == [(1, 2), (2, 4), (3, 6)]
    assert [rollup("T05", u) for u in (t.a1, t.county_a, t.city)] == [(1, 2), (3, 5), (4, 8)]
    assert [rollup("T18", u) for u in (t.county_a, t.county_b, t.city)] == [(2, 3), (0, 2), (2, 5)]


def test_many_units_at_once_gives_what_compute_gives_for_each(register, city_officer):
    """``coverage.many`` (the rebuild's set-based form) against ``compute`` for every unit of the tree, with a site
    registered above its institution's unit, management groups (one dissolved before the day) and a regional T05 size
    cut on county B only."""
    from xinli.network.models import Institution, ManagementGroup
    from xinli.regions.models import OrgUnit, RegionParameter

    t = register
    haiyun = Institution.objects.get(name="海云中学")  # in B1
    services.create_site(city_officer, org_unit=t.county_b, name="海云中学辅导室", kind="school_room", institution=haiyun, opened_on=OPENED)
    services.create_staff(city_officer, org_unit=t.b1, name="海云中学老师", profession="teacher_full", education="bachelor",
                          employer=haiyun, full_time=True)
    services.create_management_group(city_officer, org_unit=t.a1, established_on=OPENED)
    services.create_management_group(city_officer, org_unit=t.b1, established_on=OPENED)
    ManagementGroup.objects.filter(org_unit=t.b1).update(dissolved_on=D(2025, 6, 30))
    RegionParameter.objects.create(org_unit=t.county_b, key="t05_min_employees", value=100, source="test")

    units = list(OrgUnit.objects.order_by("path"))
    got = coverage.many(units, DAY)
    for u in units:
        c = coverage.compute(u, DAY)
        assert got[u.pk] == {code: (c[code].covered, c[code].total) for code in coverage.MANY_CODES}, u.name
    # By hand: 海云中学's room is registered at county B, so it covers the school for county B and the city, not for B1.
    assert [got[u.pk]["T04"] for u in (t.b1, t.county_b, t.city)] == [(1, 2), (2, 2), (4, 6)]
    # T19: A1's group ✓, A2 none, B1's group dissolved before the day.
    assert [got[u.pk]["T19"] for u in (t.county_a, t.county_b, t.city)] == [(1, 2), (0, 1), (1, 3)]
    # T05 with county B's cut of 100 (B1 inherits it: 海云镇政府, 50, leaves; 快递站, no count, stays); the city has none.
    assert [got[u.pk]["T05"] for u in (t.b1, t.county_b, t.city)] == [(0, 1), (1, 2), (4, 8)]
    assert coverage.many([], DAY) == {}


def test_psychiatric_department_is_recorded_for_general_hospitals_only(tree, officer):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.create_institution(officer, org_unit=tree.county_a, name="一中", kind="secondary_school", psychiatric_department=True)
    assert "psychiatric_department" in exc.value.message_dict


def test_the_register_imports_the_new_kinds_and_the_psychiatric_department(tmp_path, tree, officer):
    from django.core.management import call_command

    from xinli.network.models import Institution
    from xinli.network.tests.test_import_network import workbook

    rows = {"institutions": [
        {"org_unit_code": "370202000000", "name": "区人民医院", "kind": "general_hospital", "hospital_level": "2", "psychiatric_department": "是"},
        {"org_unit_code": "370202000000", "name": "啤酒厂", "kind": "factory_mine", "employees": 2000},
        {"org_unit_code": "370202000000", "name": "网约车平台", "kind": "new_economy_org"},
        {"org_unit_code": "370202000000", "name": "疾控中心", "kind": "public_institution"}]}
    call_command("import_network", workbook(tmp_path, rows), "--as", "net_officer")
    assert Institution.objects.get(name="区人民医院").psychiatric_department
    c = coverage.compute(tree.county_a, DAY)
    assert (c["T18"].covered, c["T18"].total, c["T05"].total) == (0, 1, 3)
