"""Coverage counts on a hand-built county, with status history, and the qualification rules."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from xinli.network import coverage, rules, services

pytestmark = pytest.mark.django_db
D = datetime.date
VALID_USCC = "91110000600037341L"


@pytest.fixture
def county(tree, officer):
    s = services
    # County A has 3 villages: A1v1, A1v2, A2v1.
    s.create_site(officer, org_unit=tree.a1v1, name="太平角心理咨询室", kind="village_room", opened_on=D(2024, 3, 1))
    closed = s.create_site(officer, org_unit=tree.a1v2, name="汇泉社工室", kind="social_work_room", opened_on=D(2024, 1, 1))
    s.set_site_status(officer, closed, status="closed", on=D(2025, 6, 15))  # closed mid-2025
    late = s.create_site(officer, org_unit=tree.a2v1, name="燕儿岛心理咨询室", kind="village_room", opened_on=D(2025, 12, 1))
    assert late
    u1 = s.create_institution(officer, org_unit=tree.county_a, name="青岛大学", kind="university", students=20000, psychology_teachers=5)
    s.create_institution(officer, org_unit=tree.county_a, name="青岛科技学院", kind="university", students=9000, psychology_teachers=2)
    s.create_site(officer, org_unit=tree.county_a, name="青大心理中心", kind="university_centre", institution=u1, opened_on=D(2020, 1, 1))
    school1 = s.create_institution(officer, org_unit=tree.a1, name="一中", kind="secondary_school", students=1800)
    s.create_institution(officer, org_unit=tree.a2, name="实验小学", kind="primary_school", students=900)
    s.create_site(officer, org_unit=tree.a1, name="一中心理辅导室", kind="school_room", institution=school1, opened_on=D(2023, 9, 1))
    s.create_staff(officer, org_unit=tree.a1, name="周老师", profession="teacher_full", education="master", employer=school1)
    organ = s.create_institution(officer, org_unit=tree.county_a, name="区政府", kind="organ", employees=300)
    s.create_institution(officer, org_unit=tree.county_a, name="小作坊", kind="enterprise", employees=12, above_size=False)
    big = s.create_institution(officer, org_unit=tree.county_a, name="海尔", kind="enterprise", employees=5000, above_size=True)
    s.create_site(officer, org_unit=tree.county_a, name="海尔EAP", kind="workplace_room", institution=big, opened_on=D(2022, 1, 1), purchased=True)
    assert organ
    psy = s.create_institution(officer, org_unit=tree.county_a, name="市精神卫生中心", kind="psychiatric_hospital")
    s.create_site(officer, org_unit=tree.county_a, name="心理门诊", kind="psychiatric_clinic", institution=psy, opened_on=D(2019, 1, 1))
    g2 = s.create_institution(officer, org_unit=tree.county_a, name="区人民医院", kind="general_hospital", hospital_level="2")
    s.create_institution(officer, org_unit=tree.county_a, name="市立医院", kind="general_hospital", hospital_level="3")
    s.create_institution(officer, org_unit=tree.county_a, name="社区医院", kind="general_hospital", hospital_level="1")
    s.create_site(officer, org_unit=tree.county_a, name="心理科", kind="general_clinic", institution=g2, opened_on=D(2021, 1, 1))
    return tree


def test_year_end_coverage_of_the_county(county):
    c = coverage.compute(county.county_a, coverage.year_day(2025, D(2026, 11, 25)))
    # T01: A1v1 active all year; A1v2 closed on 2025-06-15 (not active on 31 Dec); A2v1 opened 2025-12-01 (active).
    assert (c["T01"].covered, c["T01"].total) == (2, 3) and [v.code for v in c["T01"].gaps] == ["370202001002"]
    # T02: one of two universities has a centre. T03: 5 × 4000 ≥ 20000 yes; 2 × 4000 < 9000 no.
    assert (c["T02"].covered, c["T02"].total, c["T03"].covered, c["T03"].total) == (1, 2, 1, 2)
    assert [i.name for i in c["T03"].gaps] == ["青岛科技学院"]
    # T04: the secondary school has a room and a mental-health teacher, the primary school neither.
    assert (c["T04"].covered, c["T04"].total) == (1, 2)
    # T05: the organ (no room), the small workshop and the large enterprise (purchased EAP): no size cut by default.
    assert (c["T05"].covered, c["T05"].total) == (1, 3) and [i.name for i in c["T05"].gaps] == ["区政府", "小作坊"]
    # T06 yes; T07: level-2 with a clinic, level-3 without; the level-1 hospital is not counted. T18: the psychiatric
    # hospital and the general hospital with a clinic are mental-health institutions; neither has a family school.
    assert (c["T06"].covered, c["T06"].total, c["T07"].covered, c["T07"].total) == (1, 1, 1, 2)
    assert (c["T18"].covered, c["T18"].total) == (0, 2)


def test_status_history_gives_the_coverage_of_any_day(county):
    assert coverage.compute(county.county_a, D(2025, 6, 14))["T01"].covered == 2  # A1v1 and A1v2 (not yet closed)
    assert coverage.compute(county.county_a, D(2025, 6, 15))["T01"].covered == 1  # A1v2 closed that day
    assert coverage.compute(county.county_a, D(2024, 2, 1))["T01"].covered == 1   # only A1v2 was open


def test_status_changes_are_checked(county, officer):
    from xinli.network.models import Site

    site = Site.objects.get(name="太平角心理咨询室")
    with pytest.raises(ValidationError, match="on"):
        services.set_site_status(officer, site, status="suspended", on=D(2024, 1, 1))  # before the current period
    with pytest.raises(ValidationError, match="status"):
        services.set_site_status(officer, site, status="active", on=D(2025, 1, 1))  # already active
    services.set_site_status(officer, site, status="suspended", on=D(2025, 1, 1))
    services.set_site_status(officer, site, status="active", on=D(2025, 3, 1))
    assert [(s.status, s.start, s.end) for s in site.statuses.all()] == [
        ("active", D(2024, 3, 1), D(2024, 12, 31)), ("suspended", D(2025, 1, 1), D(2025, 2, 28)), ("active", D(2025, 3, 1), None)]
    assert site.status_on(D(2025, 2, 1)) == "suspended"


def test_counsellor_and_organisation_qualification(tree, officer):
    org = services.create_institution(officer, org_unit=tree.county_a, name="心晴社会心理服务中心", kind="social_org", credit_code=VALID_USCC)
    cert = {"kind": "counsellor", "number": "C-001", "issuer": "省心理咨询师协会", "valid_from": D(2022, 1, 1), "valid_to": D(2030, 1, 1)}
    ok = services.create_staff(officer, org_unit=tree.county_a, name="王老师", profession="counsellor", education="master",
                               employer=org, certificates=[cert])
    no_degree = services.create_staff(officer, org_unit=tree.county_a, name="李老师", profession="counsellor", education="below",
                                      employer=org, certificates=[cert | {"number": "C-002"}])
    no_cert = services.create_staff(officer, org_unit=tree.county_a, name="赵老师", profession="counsellor", education="bachelor", employer=org)
    today = D(2026, 11, 25)
    assert [rules.counsellor_qualified(s, today) for s in (ok, no_degree, no_cert)] == [True, False, False]
    assert rules.counsellor_problems(no_degree, today) == ["education"] and rules.counsellor_problems(no_cert, today) == ["certificate"]
    assert not rules.organisation_compliant(org, today)  # only one qualified full-time counsellor
    services.create_staff(officer, org_unit=tree.county_a, name="钱老师", profession="counsellor", education="bachelor", employer=org,
                          certificates=[cert | {"number": "C-003"}])
    assert rules.organisation_compliant(org, today)
    assert not rules.organisation_compliant(org, D(2030, 1, 2))  # both certificates expired by then


@pytest.mark.parametrize("fields, field", [
    ({"kind": "social_org", "credit_code": "91110000600037341X"}, "credit_code"),
    ({"kind": "social_org"}, "credit_code"),
    ({"kind": "university", "students": 100}, "students"),
    ({"kind": "general_hospital"}, "hospital_level"),
    ({"kind": "castle"}, "kind"),
])
def test_bad_institutions_are_refused(tree, officer, fields, field):
    with pytest.raises(ValidationError) as exc:
        services.create_institution(officer, org_unit=tree.county_a, name="某机构", **fields)
    assert field in exc.value.message_dict


def test_certificates_expired_or_out_of_order_are_refused_and_nothing_is_written(tree, officer):
    from xinli.network.models import Staff

    for cert in ({"valid_from": D(2020, 1, 1), "valid_to": D(2021, 1, 1)}, {"valid_from": D(2024, 1, 1), "valid_to": D(2023, 1, 1)}):
        with pytest.raises(ValidationError, match="certificates"):
            services.create_staff(officer, org_unit=tree.county_a, name="孙", profession="counsellor", education="bachelor",
                                  certificates=[{"kind": "counsellor", "number": "X", "issuer": "Y", **cert}])
    assert not Staff.objects.exists()


def test_writes_outside_the_area_are_refused(tree, officer):
    with pytest.raises(PermissionDenied):
        services.create_site(officer, org_unit=tree.b1v1, name="海云村咨询室", kind="village_room", opened_on=D(2024, 1, 1))


def test_township_management_groups(tree, officer):
    services.create_management_group(officer, org_unit=tree.a1, established_on=D(2024, 5, 1), members=["综治", "卫健", "公安"])
    with pytest.raises(ValidationError, match="org_unit"):
        services.create_management_group(officer, org_unit=tree.a1, established_on=D(2025, 1, 1))  # already has one
    with pytest.raises(ValidationError, match="org_unit"):
        services.create_management_group(officer, org_unit=tree.a1v1, established_on=D(2025, 1, 1))  # not a township
    # County A has townships A1 and A2: A1 has a group since 2024-05-01.
    assert (coverage.compute(tree.county_a, D(2025, 12, 31))["T19"].covered, coverage.compute(tree.county_a, D(2025, 12, 31))["T19"].total) == (1, 2)
    assert coverage.compute(tree.county_a, D(2024, 4, 30))["T19"].covered == 0
