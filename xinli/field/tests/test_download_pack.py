"""The task pack: the caller's tasks in order of urgency and only the persons in them, each read audited."""

import datetime

import pytest
from django.utils import timezone

from xinli.core.models import AuditEntry
from xinli.smd.models import Task

from .conftest import api, headers, register

pytestmark = pytest.mark.django_db


def test_the_doctors_pack_holds_their_area_only_most_urgent_first(doctor, patients):
    mine, outside = patients
    today = timezone.localdate()
    Task.objects.filter(patient=mine[1]).update(due=today - datetime.timedelta(days=3))  # overdue: first
    Task.objects.filter(patient=mine[2]).update(due=today + datetime.timedelta(days=30))  # beyond 14 days: not in it
    device = register(doctor)
    r = api(doctor).get("/api/v1/field/pack/", {"days": 14}, **headers(device))
    assert r.status_code == 200, r.content
    body = r.json()
    assert r["ETag"].startswith('"')
    kinds = [(t["kind"], t["patient"], t["overdue"]) for t in body["tasks"]]
    # register_patient schedules the first follow-up two weeks after registration (today + 14).
    assert kinds == [("smd_follow_up", mine[1].pk, True), ("smd_follow_up", mine[0].pk, False)]
    assert body["tasks"][1]["due"] == (today + datetime.timedelta(days=14)).isoformat()
    assert {p["id"] for p in body["persons"]} == {mine[0].person_id, mine[1].person_id}
    zhang = next(p for p in body["persons"] if p["id"] == mine[0].person_id)
    assert zhang["name"] == "张三丰" and zhang["masked_id_number"] == "370202********" + mine[0].person.id_number[-4:]
    assert zhang["address"] == "太平角社区居委会1号" and zhang["phone"] == "13800000001" and zhang["smd_patient"] == mine[0].pk
    assert zhang["version"] and body["tasks"][0]["version"]
    reads = AuditEntry.objects.filter(actor_id=doctor.pk, purpose="field_pack", action="read")
    assert sorted(reads.values_list("person_id", flat=True)) == sorted([mine[0].person_id, mine[1].person_id])
    assert outside.person_id not in {p["id"] for p in body["persons"]}


def test_seven_days_by_default_and_the_last_visit_is_in_the_pack(doctor, patients):
    from xinli.smd.services import record_follow_up

    mine, _outside = patients
    today = timezone.localdate()
    record_follow_up(doctor, mine[0], {"date": today, "mode": "home", "risk": 1, "insight": "complete", "adherence": "regular"})
    device = register(doctor)
    body = api(doctor).get("/api/v1/field/pack/", **headers(device)).json()
    assert body["days"] == 7 and body["tasks"] == []  # the next follow-ups are all 14 days away
    assert body["persons"] == []
    Task.objects.filter(patient=mine[0], state="due").update(due=today + datetime.timedelta(days=2))
    body = api(doctor).get("/api/v1/field/pack/", **headers(device)).json()
    [person] = body["persons"]
    assert person["last_visit"] == {"date": today.isoformat(), "mode": "home", "classification": "basically_stable", "risk": 1,
                                    "adherence": "regular", "next_due": (today + datetime.timedelta(days=14)).isoformat(),
                                    "lost": False}


def test_a_community_worker_gets_their_plan_reviews_in_their_village_only(personas, people, tree):
    from xinli.archives.services import set_tags
    from xinli.counselling.services import create_plan

    today = timezone.localdate()
    worker = personas.village_worker_1
    for p in (people.in_a1v1, people.in_a1v2):
        set_tags(personas.county_officer, p, ["elderly_empty_nest"])
    plan = create_plan(worker, people.in_a1v1, goals="g", interventions="i", review_on=today + datetime.timedelta(days=3))
    create_plan(personas.village_worker_2, people.in_a1v2, goals="g", interventions="i", review_on=today + datetime.timedelta(days=1))
    device = register(worker)
    body = api(worker).get("/api/v1/field/pack/", **headers(device)).json()
    assert [(t["kind"], t["record"]) for t in body["tasks"]] == [("plan_review", {"type": "counselling.plan", "id": plan.pk})]
    [person] = body["persons"]
    assert person["id"] == people.in_a1v1.pk and person["last_visit"] is None and person["smd_patient"] is None


def test_the_crisis_team_gets_post_crisis_follow_ups(personas, people):
    from xinli.alerts import crisis
    from xinli.alerts.models import FollowUp

    team = personas.crisis_team
    case = crisis.open_case(team, people.in_a1v1, assessment="评估")
    crisis.close_case(team, case, summary="小结", high_risk=True)
    first = FollowUp.objects.filter(case=case).order_by("due").first()
    FollowUp.objects.filter(pk=first.pk).update(due=timezone.localdate())
    device = register(team)
    body = api(team).get("/api/v1/field/pack/", **headers(device)).json()
    assert [(t["kind"], t["record"]["id"]) for t in body["tasks"]] == [("crisis_follow_up", first.pk)]
    assert [p["id"] for p in body["persons"]] == [people.in_a1v1.pk]


def test_bad_pack_requests_are_bilingual_4xx(doctor, patients, personas):
    device = register(doctor)
    client = api(doctor)
    r = client.get("/api/v1/field/pack/", {"days": 15}, **headers(device))
    assert r.status_code == 400 and "Days" in r.json()["days"][0] and "天数" in r.json()["days"][0]
    r = client.get("/api/v1/field/pack/")
    assert r.status_code == 400 and "X-Field-Device" in r.json()["device"][0]
    other = register(personas.village_worker_1)
    r = client.get("/api/v1/field/pack/", **headers(other))  # someone else's device
    assert r.status_code == 400 and "设备" in r.json()["device"][0]
    assert api(personas.hotline_operator).get("/api/v1/field/pack/", **headers(device)).status_code == 403
    assert not AuditEntry.objects.filter(purpose="field_pack").exists()


def test_instrument_definitions_for_the_client_scorer(doctor):
    body = api(doctor).get("/api/v1/field/instruments/").json()
    phq9 = next(i for i in body["instruments"] if i["code"] == "phq9")
    assert [b["code"] for b in phq9["definition"]["bands"]] == ["minimal", "mild", "moderate", "moderately_severe", "severe"]
    assert phq9["version"]


def test_an_open_emergency_comes_first_and_a_transfer_to_accept_is_in_the_receivers_pack(doctor, patients, personas, tree):
    from xinli.archives.services import update_person
    from xinli.smd.services import record_emergency

    mine, _outside = patients
    em = record_emergency(doctor, mine[1], trigger="relapse", occurred_at=timezone.now() - datetime.timedelta(hours=2))
    device = register(doctor)
    body = api(doctor).get("/api/v1/field/pack/", {"days": 14}, **headers(device)).json()
    first = body["tasks"][0]
    assert (first["kind"], first["record"]["id"], first["trigger"]) == ("smd_emergency", em.pk, "relapse")
    assert first["complete_by"] == (em.occurred_at + datetime.timedelta(hours=24)).isoformat()
    # The resident of mine[0] moves to 燕儿岛 (county A, street a2): the a2 doctor has the transfer to accept.
    person = mine[0].person
    update_person(personas.county_officer, person, {"org_unit": tree.a2v1})
    receiver = next(u for u in type(doctor).objects.filter(username="a2_doctor"))
    receiver_device = register(receiver)
    body = api(receiver).get("/api/v1/field/pack/", **headers(receiver_device)).json()
    transfers = [t for t in body["tasks"] if t["kind"] == "transfer"]
    assert len(transfers) == 1 and transfers[0]["person"] == person.pk and transfers[0]["to_unit"] == tree.a2v1.name
    assert person.pk in {p["id"] for p in body["persons"]}


def test_the_field_routes_are_in_the_openapi_schema(client, personas):
    from xinli.testing.fixtures import login_verified

    login_verified(client, personas.county_officer)
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    for path in ("/api/v1/field/pack/", "/api/v1/field/sync/", "/api/v1/field/instruments/", "/api/v1/field/devices/",
                 "/api/v1/field/devices/{id}/revoke/"):
        assert path in paths, path
