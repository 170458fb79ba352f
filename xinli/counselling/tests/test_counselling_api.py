"""The counselling API: notes null for colleagues, sessions, plans, referrals with reply; errors; scope."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from xinli.core.policy import Role
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_case_sessions_and_notes_visibility(people, personas, tree):
    me = api(personas.counsellor)
    case = me.post("/api/v1/counselling/cases/", {"person": people.in_a1v1.pk, "reason": "失眠"}, format="json").json()["id"]
    r = me.post(f"/api/v1/counselling/cases/{case}/sessions/", {"date": timezone.localdate().isoformat(), "minutes": 50,
                                                                "notes": "秘密", "signs_of_disorder": True}, format="json")
    assert r.status_code == 201 and r.json()["refer"] is True
    assert me.get(f"/api/v1/counselling/cases/{case}/").json()["sessions"][0]["notes"] == "秘密"
    colleague = api(make_user("colleague", [(tree.a1, Role.COUNSELLOR)]))
    assert colleague.get(f"/api/v1/counselling/cases/{case}/").json()["sessions"][0]["notes"] is None
    assert colleague.post(f"/api/v1/counselling/cases/{case}/sessions/", {"date": timezone.localdate().isoformat(), "minutes": 50},
                          format="json").status_code == 403
    assert api(personas.village_worker_1).get(f"/api/v1/counselling/cases/{case}/").status_code == 404
    bad = me.post(f"/api/v1/counselling/cases/{case}/sessions/", {"date": "2099-01-01", "minutes": 50}, format="json")
    assert bad.status_code == 400 and "date" in bad.json()


def test_plan_and_referral_through_the_api(people, personas, tree):
    from xinli.archives.models import PopulationTag
    from xinli.network import services as network

    PopulationTag(person=people.in_a1v1, tag="left_behind_child", since=timezone.localdate()).place_under(people.in_a1v1).save()
    me = api(personas.counsellor)
    r = me.post("/api/v1/counselling/plans/", {"person": people.in_a1v1.pk, "goals": "改善亲子沟通", "interventions": "每月家访",
                                               "partners": ["family", "social"], "review_on": (timezone.localdate() + datetime.timedelta(days=60)).isoformat()},
                format="json")
    assert r.status_code == 201 and r.json()["partners"] == ["family", "social"]
    assert me.post("/api/v1/counselling/plans/", {"person": people.in_a1v1.pk, "goals": "g", "interventions": "i", "partners": ["mafia"],
                                                  "review_on": "2099-01-01"}, format="json").status_code == 400
    officer = make_user("officer", [(tree.city, Role.HEALTH_OFFICER)])
    hospital = network.create_institution(officer, org_unit=tree.city, name="市精神卫生中心", kind="psychiatric_hospital")
    ref = me.post("/api/v1/counselling/referrals/", {"person": people.in_a1v1.pk, "institution": hospital.pk, "reason": "评估",
                                                     "urgency": "urgent"}, format="json").json()["id"]
    psy = api(make_user("psy", [(tree.city, Role.PSYCHIATRIST)]))
    assert psy.post(f"/api/v1/counselling/referrals/{ref}/reply/", {"reply": "x"}, format="json").status_code == 400  # receive first
    assert psy.post(f"/api/v1/counselling/referrals/{ref}/receive/").json()["state"] == "received"
    body = psy.post(f"/api/v1/counselling/referrals/{ref}/reply/", {"reply": "已诊治"}, format="json").json()
    assert body["state"] == "replied" and body["turnaround_hours"] is not None
    assert [r["reply"] for r in me.get("/api/v1/counselling/referrals/").json()["results"]] == ["已诊治"]
    assert api(personas.village_worker_2).post(f"/api/v1/counselling/referrals/{ref}/receive/").status_code == 404
