"""The network API: create institutions, sites and staff, change a site's status, read coverage; errors; scope."""

import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from xinli.core.models import AuditEntry
from xinli.network.models import Site, Staff

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_officer_builds_the_register_and_reads_coverage(officer, tree):
    c = api(officer)
    r = c.post("/api/v1/network/sites/", {"name": "太平角心理咨询室", "kind": "village_room", "org_unit": tree.a1v1.pk,
                                          "opened_on": "2024-03-01", "hours": "周一至周五 9:00-17:00"}, format="json")
    assert r.status_code == 201 and r.json()["status"] == "active"
    site_id = r.json()["id"]
    r = c.post(f"/api/v1/network/sites/{site_id}/status/", {"status": "closed", "on": "2025-06-15"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "closed"
    body = c.get(f"/api/v1/network/coverage/{tree.county_a.pk}/", {"date": "2025-01-01"}).json()
    assert body["targets"]["T01"] == {"covered": 1, "total": 3, "rate": 1 / 3, "gaps": ["汇泉社区居委会", "燕儿岛社区居委会"]}
    assert body["targets"]["T05"]["rule"] == {"min_employees": None}  # the T05 rule in force: no size cut
    assert c.get(f"/api/v1/network/coverage/{tree.county_a.pk}/", {"year": "2025"}).json()["targets"]["T01"]["covered"] == 0
    assert c.get(f"/api/v1/network/coverage/{tree.county_a.pk}/", {"date": "soon"}).status_code == 400
    r = c.post("/api/v1/network/staff/", {"name": "王老师", "profession": "counsellor", "education": "master", "org_unit": tree.county_a.pk,
                                          "certificates": [{"kind": "counsellor", "number": "C-9", "issuer": "省协会", "valid_from": "2022-01-01"}]},
               format="json")
    assert r.status_code == 201 and r.json()["qualified"] is True and r.json()["problems"] == []
    r = c.post("/api/v1/network/staff/", {"name": "李老师", "profession": "counsellor", "education": "below", "org_unit": tree.county_a.pk},
               format="json")
    assert r.json()["qualified"] is False and r.json()["problems"] == ["education", "certificate"]
    listing = c.get("/api/v1/network/staff/").json()["results"]
    assert [s["name"] for s in listing] == ["王老师", "李老师"]
    assert AuditEntry.objects.filter(action="read", object_type="network.staff", actor_username="net_officer").count() == 2


@pytest.mark.parametrize("path, body, field", [
    ("sites", {"name": "x", "kind": "pub", "org_unit": 1, "opened_on": "2024-01-01"}, "kind"),
    ("sites", {"name": "x", "kind": "village_room", "org_unit": 999999, "opened_on": "2024-01-01"}, "org_unit"),
    ("sites", {"name": "x", "kind": "village_room", "org_unit": 1, "opened_on": "2099-01-01"}, "opened_on"),
    ("institutions", {"name": "x", "kind": "social_org", "org_unit": 1, "credit_code": "12345"}, "credit_code"),
    ("staff", {"name": "x", "profession": "wizard", "education": "master", "org_unit": 1}, "profession"),
    ("staff", {"name": "x", "profession": "counsellor", "education": "master", "org_unit": 1,
               "certificates": [{"kind": "counsellor", "number": "1", "issuer": "y", "valid_from": "2010-01-01", "valid_to": "2011-01-01"}]}, "certificates"),
])
def test_bad_input_names_the_field_and_writes_nothing(officer, tree, path, body, field):
    body = {**body, "org_unit": tree.county_a.pk if body["org_unit"] == 1 else body["org_unit"]}
    r = api(officer).post(f"/api/v1/network/{path}/", body, format="json")
    assert r.status_code == 400 and field in r.json(), r.content
    assert not Site.objects.exists() and not Staff.objects.exists()


def test_scope(officer, tree, personas):
    site = api(officer).post("/api/v1/network/sites/", {"name": "x", "kind": "village_room", "org_unit": tree.a1v1.pk,
                                                         "opened_on": "2024-01-01"}, format="json").json()["id"]
    # Sites are visible to anyone with regions.view over them; the status can only be changed by network.manage.
    assert api(personas.village_worker_1).get(f"/api/v1/network/sites/{site}/").status_code == 200
    assert api(personas.village_worker_1).post(f"/api/v1/network/sites/{site}/status/", {"status": "closed", "on": "2025-01-01"},
                                               format="json").status_code == 404
    assert api(personas.village_worker_2).get(f"/api/v1/network/sites/{site}/").status_code == 404
    assert api(officer).post("/api/v1/network/sites/", {"name": "y", "kind": "village_room", "org_unit": tree.b1v1.pk,
                                                        "opened_on": "2024-01-01"}, format="json").status_code == 403
    assert api(personas.village_worker_1).get("/api/v1/network/staff/").json()["results"] == []


def test_coverage_page_lists_the_villages_without_a_room(officer, tree):
    from django.test import Client

    from xinli.network import services
    from xinli.testing.fixtures import login_verified

    services.create_site(officer, org_unit=tree.a1v1, name="太平角心理咨询室", kind="village_room", opened_on=datetime.date(2024, 1, 1))
    client = Client()
    login_verified(client, officer)
    page = client.get("/network/").content.decode()
    assert "T01" in page and "1 / 3" in page and "汇泉社区居委会" in page and "太平角心理咨询室" in page


def test_inspection_training_and_volunteer_endpoints(officer, tree):
    c = api(officer)
    inst = c.post("/api/v1/network/institutions/", {"name": "一中", "kind": "secondary_school", "org_unit": tree.a1.pk, "students": 1200},
                  format="json").json()["id"]
    plan = c.post("/api/v1/network/inspection-plans/", {"name": "2025督导", "org_unit": tree.county_a.pk, "start": "2025-01-01",
                                                        "end": "2025-12-31"}, format="json").json()
    codes = [i["code"] for i in plan["checklist_items"]]
    results = {code: "pass" for code in codes} | {"F2": "fail"}
    r = c.post(f"/api/v1/network/inspection-plans/{plan['id']}/inspections/", {"institution": inst, "date": "2025-05-01", "results": results,
               "findings": [{"item": "F2", "severity": "minor", "description": "未公示开放时间", "deadline": "2025-06-01"}]}, format="json")
    assert r.status_code == 201 and r.json()["score"] == "90.9"
    rect = c.get("/api/v1/network/rectifications/", {"overdue": "1"}).json()["results"]
    assert [x["item"] for x in rect] == ["F2"] and rect[0]["overdue"] is True
    assert c.post(f"/api/v1/network/rectifications/{rect[0]['id']}/close/", {"evidence": ""}, format="json").status_code == 400
    assert c.post(f"/api/v1/network/rectifications/{rect[0]['id']}/close/", {"evidence": "已公示"}, format="json").json()["state"] == "closed"
    bad = c.post(f"/api/v1/network/inspection-plans/{plan['id']}/inspections/", {"institution": inst, "date": "2025-05-02",
                                                                                 "results": {"F1": "pass"}}, format="json")
    assert bad.status_code == 400 and "results" in bad.json()
    course = c.post("/api/v1/network/courses/", {"title": "危机干预", "provider": "市精卫中心", "hours": "8", "org_unit": tree.county_a.pk},
                    format="json").json()["id"]
    staff = c.post("/api/v1/network/staff/", {"name": "王", "profession": "social_worker", "education": "bachelor", "org_unit": tree.county_a.pk},
                   format="json").json()["id"]
    assert c.post(f"/api/v1/network/courses/{course}/attendance/", {"staff": staff, "date": "2025-03-01"}, format="json").status_code == 201
    vol = c.post("/api/v1/network/volunteers/", {"name": "志愿者", "org_unit": tree.a1v1.pk, "recruited_on": "2025-01-01"}, format="json").json()["id"]
    assert c.post(f"/api/v1/network/volunteers/{vol}/services/", {"date": "2025-02-01", "hours": "2.5", "activity": "科普"}, format="json").status_code == 201
    assert c.get("/api/v1/network/volunteers/").json()["results"][0]["service_hours"] == "2.5"


def test_public_pages_need_no_login_and_show_no_person(officer, tree, client):
    from xinli.network import inspection, services

    inst = services.create_institution(officer, org_unit=tree.county_a, name="心晴中心", kind="social_org", credit_code="91110000600037341L")
    plan = inspection.create_plan(officer, name="p", org_unit=tree.county_a, start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31))
    inspection.record_inspection(officer, plan, inst, date=datetime.date(2025, 5, 1), results={i["code"]: "pass" for i in plan.checklist.items})
    page = client.get("/public/evaluations/", {"year": "2025"})
    assert page.status_code == 200 and "心晴中心" in page.content.decode() and "100.0" in page.content.decode()
    site = services.create_site(officer, org_unit=tree.a1v1, name="太平角心理咨询室", kind="village_room", opened_on=datetime.date(2024, 1, 1))
    assert client.get(f"/feedback/site/{site.pk}/").status_code == 200
    assert client.post(f"/feedback/site/{site.pk}/", {"score": "9"}).status_code == 400
    assert client.post(f"/feedback/site/{site.pk}/", {"score": "5", "comment": "很好"}).status_code == 200
    assert inspection.satisfaction_rate(tree.county_a, datetime.date.today().year) == (1, 1)
    assert client.get("/feedback/site/999999/").status_code == 404


def test_inspection_page_plan_record_and_close(officer, tree, client):
    from xinli.network import services
    from xinli.network.models import Inspection, InspectionPlan, Rectification
    from xinli.testing.fixtures import login_verified

    inst = services.create_institution(officer, org_unit=tree.a1, name="一中", kind="secondary_school", students=1200)
    login_verified(client, officer)
    client.post("/network/inspections/", {"do": "plan", "name": "督导", "org_unit": tree.county_a.pk, "start": "2025-01-01", "end": "2025-12-31"})
    plan = InspectionPlan.objects.get()
    body = {"do": "inspection", "plan": plan.pk, "institution": inst.pk, "date": "2025-05-01"}
    body |= {f"item_{i['code']}": "pass" for i in plan.checklist.items}
    body |= {"item_F2": "fail", "severity_F2": "minor", "finding_F2": "未公示开放时间", "deadline_F2": "2025-06-01"}
    client.post("/network/inspections/", body)
    assert Inspection.objects.get().score == Decimal("90.9")
    page = client.get("/network/inspections/").content.decode()
    assert "未公示开放时间" in page and 'class="overdue"' in page
    rect = Rectification.objects.get()
    client.post("/network/inspections/", {"do": "close", "rectification": rect.pk, "evidence": "已公示"})
    rect.refresh_from_db()
    assert rect.state == "closed"
    # A failed item without a finding is refused with a message; nothing is written.
    client.post("/network/inspections/", body | {"item_F1": "fail"})
    assert Inspection.objects.count() == 1


def test_workforce_page_flags_and_forms(officer, tree, client):
    from xinli.network import services
    from xinli.network.models import Attendance, Volunteer
    from xinli.testing.fixtures import login_verified

    services.create_staff(officer, org_unit=tree.county_a, name="李老师", profession="counsellor", education="below")
    login_verified(client, officer)
    page = client.get("/network/workforce/").content.decode()
    assert "李老师" in page and ("needs a bachelor" in page or "本科" in page)
    client.post("/network/workforce/", {"do": "course", "title": "危机干预", "provider": "市精卫中心", "hours": "8", "org_unit": tree.county_a.pk})
    from xinli.network.models import Course, Staff

    client.post("/network/workforce/", {"do": "attendance", "course": Course.objects.get().pk, "staff": Staff.objects.get().pk, "date": "2025-03-01"})
    assert Attendance.objects.count() == 1
    client.post("/network/workforce/", {"do": "volunteer", "name": "志愿者", "recruited_on": "2025-01-01", "org_unit": tree.county_a.pk})
    client.post("/network/workforce/", {"do": "hours", "volunteer": Volunteer.objects.get().pk, "date": "2025-02-01", "hours": "40", "activity": "x"})
    assert not Volunteer.objects.get().services.exists()  # 40 h in a day is refused


def test_supervision_commendation_and_nearest_sites(officer, tree):
    c = api(officer)
    staff = c.post("/api/v1/network/staff/", {"name": "王", "profession": "counsellor", "education": "master", "org_unit": tree.county_a.pk},
                   format="json").json()["id"]
    assert c.post(f"/api/v1/network/staff/{staff}/supervision/", {"date": "2025-04-01", "hours": "2", "supervisor": "张督导"}, format="json").status_code == 201
    assert c.post(f"/api/v1/network/staff/{staff}/supervision/", {"date": "2025-04-01", "hours": "2", "supervisor": ""}, format="json").status_code == 400
    assert c.get(f"/api/v1/network/staff/{staff}/").json()["supervision_hours"] == "2.0"
    vol = c.post("/api/v1/network/volunteers/", {"name": "志愿者", "org_unit": tree.a1v1.pk, "recruited_on": "2025-01-01"}, format="json").json()["id"]
    r = c.post(f"/api/v1/network/volunteers/{vol}/commend/", {"date": "2025-12-01", "title": "优秀志愿者"}, format="json")
    assert r.status_code == 200 and r.json()["commendations"] == [{"date": "2025-12-01", "title": "优秀志愿者"}]
    for name, lat, lng in (("远", "36.300000", "120.600000"), ("近", "36.070000", "120.380000")):
        c.post("/api/v1/network/sites/", {"name": name, "kind": "village_room", "org_unit": tree.a1v1.pk, "opened_on": "2024-01-01",
                                          "latitude": lat, "longitude": lng}, format="json")
    rows = c.get("/api/v1/network/sites/", {"near": "36.06,120.37"}).json()["results"]
    assert [r["name"] for r in rows] == ["近", "远"] and rows[0]["distance_km"] < 2
    assert c.get("/api/v1/network/sites/", {"near": "north"}).status_code == 400


def test_qualified_filter_and_custom_checklist(officer, tree, tmp_path):
    import json

    from django.core.management import CommandError, call_command

    from xinli.network.models import Checklist

    c = api(officer)
    c.post("/api/v1/network/staff/", {"name": "合格", "profession": "counsellor", "education": "master", "org_unit": tree.county_a.pk,
                                      "certificates": [{"kind": "counsellor", "number": "Q-1", "issuer": "协会", "valid_from": "2022-01-01"}]}, format="json")
    c.post("/api/v1/network/staff/", {"name": "不合格", "profession": "counsellor", "education": "below", "org_unit": tree.county_a.pk}, format="json")
    assert [s["name"] for s in c.get("/api/v1/network/staff/", {"qualified": "1"}).json()["results"]] == ["合格"]
    assert [s["name"] for s in c.get("/api/v1/network/staff/", {"qualified": "0"}).json()["results"]] == ["不合格"]
    path = tmp_path / "checklist.json"
    path.write_text(json.dumps({"name": "学校心理辅导室专项检查", "items": [{"code": "A1", "text": "辅导室面积达标"}, {"code": "A2", "text": "有值班表"}]}))
    call_command("load_checklist", str(path))
    assert len(Checklist.objects.get(name="学校心理辅导室专项检查").items) == 2
    path.write_text(json.dumps({"name": "坏", "items": [{"code": "A1", "text": "x"}, {"code": "A1", "text": "y"}]}))
    with pytest.raises(CommandError):
        call_command("load_checklist", str(path))


def test_plan_with_a_named_checklist(officer, tree):
    from xinli.network.models import Checklist

    Checklist.objects.create(name="专项", items=[{"code": "A1", "area": "", "text": "x"}])
    c = api(officer)
    r = c.post("/api/v1/network/inspection-plans/", {"name": "p", "org_unit": tree.county_a.pk, "start": "2025-01-01", "end": "2025-02-01",
                                                     "checklist": "专项"}, format="json")
    assert r.status_code == 201 and [i["code"] for i in r.json()["checklist_items"]] == ["A1"]
    r = c.post("/api/v1/network/inspection-plans/", {"name": "p", "org_unit": tree.county_a.pk, "start": "2025-01-01", "end": "2025-02-01",
                                                     "checklist": "不存在"}, format="json")
    assert r.status_code == 400 and "checklist" in r.json()
