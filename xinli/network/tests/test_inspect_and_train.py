"""Training coverage (T22), volunteers, inspections with findings and rectification deadlines, evaluation scores,
satisfaction (T21) — each checked against hand counts."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from xinli.network import inspection, services
from xinli.network.models import Rectification

pytestmark = pytest.mark.django_db
D = datetime.date


def test_training_coverage(tree, officer):
    course = services.create_course(officer, org_unit=tree.county_a, title="心理危机干预", provider="市精神卫生中心", hours=16)
    staff = [services.create_staff(officer, org_unit=tree.county_a, name=f"员工{i}", profession="social_worker", education="bachelor")
             for i in range(4)]
    services.record_attendance(officer, course, staff[0], date=D(2025, 3, 1))
    services.record_attendance(officer, course, staff[1], date=D(2025, 4, 1), completed=False)  # missed: not counted
    services.record_attendance(officer, course, staff[2], date=D(2024, 12, 1))  # last year
    staff[3].active = False
    staff[3].save()
    # Active staff: 0, 1, 2 (3 left). Completed training in 2025: staff 0 only -> 1 of 3.
    assert services.training_coverage(tree.county_a, 2025) == (1, 3)
    with pytest.raises(ValidationError, match="date"):
        services.record_attendance(officer, course, staff[0], date=D(2025, 3, 1))  # the same session twice


def test_volunteer_hours_are_checked(tree, officer):
    v = services.create_volunteer(officer, org_unit=tree.a1v1, name="志愿者甲", recruited_on=D(2025, 1, 1), trained=True)
    services.log_volunteer_service(officer, v, date=D(2025, 5, 1), hours=Decimal("3.5"), activity="社区心理科普")
    for bad in ({"date": D(2024, 12, 31)}, {"hours": 30}, {"activity": " "}):
        with pytest.raises(ValidationError):
            services.log_volunteer_service(officer, v, **({"date": D(2025, 5, 2), "hours": 2, "activity": "x"} | bad))
    assert v.services.count() == 1


@pytest.fixture
def inspected(tree, officer):
    org = services.create_institution(officer, org_unit=tree.county_a, name="心晴中心", kind="social_org", credit_code="91110000600037341L")
    school = services.create_institution(officer, org_unit=tree.a1, name="一中", kind="secondary_school", students=1500)
    plan = inspection.create_plan(officer, name="2025年督导检查", org_unit=tree.county_a, start=D(2025, 3, 1), end=D(2025, 11, 30))
    codes = [i["code"] for i in plan.checklist.items]
    all_pass = {c: "pass" for c in codes}
    # The organisation: S2 and V1 failed, P3 not applicable -> 8 passed of 10 applicable = 80.0.
    r1 = all_pass | {"S2": "fail", "V1": "fail", "P3": "na"}
    inspection.record_inspection(officer, plan, org, date=D(2025, 4, 10), results=r1, findings=[
        {"item": "S2", "severity": "major", "description": "仅 1 名专职咨询师", "deadline": D(2025, 6, 30)},
        {"item": "V1", "severity": "critical", "description": "档案未加密", "deadline": D(2025, 5, 10)}])
    # A second visit: everything passed -> 100. Mean for the year (80 + 100) / 2 = 90.
    inspection.record_inspection(officer, plan, org, date=D(2025, 9, 1), results=all_pass)
    inspection.record_inspection(officer, plan, school, date=D(2025, 5, 5), results=all_pass | {"F2": "fail"},
                                 findings=[{"item": "F2", "severity": "minor", "description": "未公示开放时间", "deadline": D(2025, 6, 5)}])
    return org, school, plan


def test_inspection_scores_rectifications_and_public_evaluation(inspected, officer, tree):
    org, school, plan = inspected
    rows = {e.institution.name: e for e in inspection.evaluations(2025)}
    assert (rows["心晴中心"].score, rows["心晴中心"].inspections, rows["心晴中心"].findings) == (Decimal("90.0"), 2, 2)
    assert rows["心晴中心"].open_rectifications == 2
    assert rows["一中"].score == Decimal("90.9")  # 10 of 11 items passed
    # Overdue on 2025-06-01: the V1 rectification (deadline 05-10); S2 (06-30) and F2 (06-05) not yet.
    overdue = inspection.overdue_rectifications(tree.county_a, D(2025, 6, 1))
    assert [r.finding.item for r in overdue] == ["V1"]
    v1 = overdue[0]
    inspection.close_rectification(officer, v1, evidence="已启用加密档案系统", on=D(2025, 6, 2))
    assert sorted(r.finding.item for r in inspection.overdue_rectifications(tree.county_a, D(2025, 7, 1))) == ["F2", "S2"]
    with pytest.raises(ValidationError):
        inspection.close_rectification(officer, Rectification.objects.get(pk=v1.pk), evidence="again")


@pytest.mark.parametrize("change, field", [
    ({"results": {"F1": "pass"}}, "results"),
    ({"results": "all-pass"}, "results"),
    ({"findings": []}, "findings"),  # a failed item without a finding
    ({"date": D(2025, 12, 15)}, "date"),  # after the plan
])
def test_bad_inspections_are_refused(tree, officer, change, field):
    org = services.create_institution(officer, org_unit=tree.county_a, name="某中心", kind="social_org", credit_code="91110000600037341L")
    plan = inspection.create_plan(officer, name="计划", org_unit=tree.county_a, start=D(2025, 3, 1), end=D(2025, 11, 30))
    results = {i["code"]: "pass" for i in plan.checklist.items} | {"F1": "fail"}
    args = {"date": D(2025, 4, 1), "results": results,
            "findings": [{"item": "F1", "severity": "minor", "description": "x", "deadline": D(2025, 5, 1)}]} | change
    with pytest.raises(ValidationError) as exc:
        inspection.record_inspection(officer, plan, org, **args)
    assert field in exc.value.message_dict
    assert not org.inspections.exists()


def test_satisfaction_rate(tree, officer):
    site = services.create_site(officer, org_unit=tree.a1v1, name="咨询室", kind="village_room", opened_on=D(2024, 1, 1))
    for score in (5, 4, 3, 5, 1):
        inspection.record_satisfaction(service="site", score=score, site=site)
    assert inspection.satisfaction_rate(tree.county_a, datetime.date.today().year) == (3, 5)
    for bad in ({"score": 6}, {"score": "5"}, {"service": "spa"}):
        with pytest.raises(ValidationError):
            inspection.record_satisfaction(**({"service": "site", "score": 4, "site": site} | bad))
