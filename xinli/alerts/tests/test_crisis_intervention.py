"""Crisis cases for individuals and group crisis events, through the API."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from xinli.alerts.models import Alert, CrisisCase, FollowUp
from xinli.screening.services import administer

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_case_from_an_alert_with_safety_plan_actions_and_follow_ups(people, personas, teams):
    administer(personas.counsellor, scale="phq9", answers=[0] * 8 + [3], person=people.in_a1v1)
    alert = Alert.objects.get()
    team = api(teams["township"])
    r = team.post("/api/v1/crisis-cases/", {"person": people.in_a1v1.pk, "alert": alert.pk, "assessment": "有自杀念头，无计划",
                                            "safety_plan": "预警信号：失眠；联系人：母亲；热线 12356"}, format="json")
    assert r.status_code == 201, r.content
    case_id = r.json()["id"]
    assert team.post(f"/api/v1/crisis-cases/{case_id}/actions/", {"kind": "visit", "note": "入户走访"}, format="json").status_code == 201
    assert team.post(f"/api/v1/crisis-cases/{case_id}/actions/", {"kind": "teleport"}, format="json").status_code == 400
    r = team.post(f"/api/v1/crisis-cases/{case_id}/close/", {"summary": "情绪稳定，转心理咨询", "high_risk": True}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "closed"
    today = timezone.localdate()
    due = sorted(FollowUp.objects.filter(case_id=case_id).values_list("due", flat=True))
    assert due == [today + datetime.timedelta(days=d) for d in (7, 30, 90)]
    # Closing again, or acting on a closed case, is refused.
    assert team.post(f"/api/v1/crisis-cases/{case_id}/close/", {"summary": "x", "high_risk": False}, format="json").status_code == 400
    assert team.post(f"/api/v1/crisis-cases/{case_id}/actions/", {"kind": "contact"}, format="json").status_code == 400
    case = CrisisCase.objects.get()
    assert case.safety_plan.startswith("预警信号") and case.alert == alert and [a.kind for a in case.actions.all()] == ["visit"]
    # A follow-up is done once; then it leaves the due list.
    first = FollowUp.objects.filter(case=case).order_by("due").first()
    FollowUp.objects.filter(pk=first.pk).update(due=today)
    assert [f["id"] for f in team.get("/api/v1/follow-ups/", {"due": "1"}).json()["results"]] == [first.pk]
    assert team.post(f"/api/v1/follow-ups/{first.pk}/done/", {"note": "电话回访，安全"}, format="json").status_code == 200
    assert team.get("/api/v1/follow-ups/", {"due": "1"}).json()["results"] == []
    assert team.post(f"/api/v1/follow-ups/{first.pk}/done/", {}, format="json").status_code == 400


def test_a_low_risk_closure_schedules_no_follow_up(people, teams):
    team = api(teams["county"])
    case_id = team.post("/api/v1/crisis-cases/", {"person": people.in_a1v2.pk, "assessment": "误会"}, format="json").json()["id"]
    team.post(f"/api/v1/crisis-cases/{case_id}/close/", {"summary": "无风险", "high_risk": False}, format="json")
    assert not FollowUp.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({"assessment": "x"}, "person"),
    ({"person": 999999, "assessment": "x"}, "person"),
    ({"person": None, "assessment": ""}, "person"),
])
def test_bad_case_input(people, teams, body, field):
    r = api(teams["township"]).post("/api/v1/crisis-cases/", body, format="json")
    assert r.status_code == 400 and field in r.json()
    assert not CrisisCase.objects.exists()


def test_empty_assessment_is_refused(people, teams):
    r = api(teams["township"]).post("/api/v1/crisis-cases/", {"person": people.in_a1v1.pk, "assessment": "  "}, format="json")
    assert r.status_code == 400 and not CrisisCase.objects.exists()


def test_group_crisis_with_affected_people_and_recovery_follow_ups(people, teams, tree):
    team = api(teams["county"])
    occurred = timezone.now() - datetime.timedelta(days=2)
    r = team.post("/api/v1/crisis-events/", {"name": "燕儿岛路火灾", "kind": "accident", "org_unit": tree.a2.pk,
                                             "occurred_at": occurred.isoformat(), "description": "居民楼火灾"}, format="json")
    assert r.status_code == 201, r.content
    event_id = r.json()["id"]
    r = team.post(f"/api/v1/crisis-events/{event_id}/affected/", {"person": people.in_a2v1.pk, "risk": "high"}, format="json")
    assert r.status_code == 201
    start, today = timezone.localtime(occurred).date(), timezone.localdate()
    # Day 1 after the event has already passed: it is due today; then 7, 30 and 90 days after the event.
    assert [f["due"] for f in r.json()["follow_ups"]] == [d.isoformat() for d in (
        today, start + datetime.timedelta(days=7), start + datetime.timedelta(days=30), start + datetime.timedelta(days=90))]
    assert team.post(f"/api/v1/crisis-events/{event_id}/affected/", {"label": "", "risk": "low"}, format="json").status_code == 400
    assert team.post(f"/api/v1/crisis-events/{event_id}/state/", {"state": "recovery"}, format="json").json()["state"] == "recovery"
    # The township team of another area does not see the event.
    from xinli.core.policy import Role
    from xinli.testing.fixtures import make_user

    other = api(make_user("team_b1", [(tree.b1, Role.CRISIS_TEAM)]))
    assert other.get(f"/api/v1/crisis-events/{event_id}/").status_code == 404
    assert other.post(f"/api/v1/crisis-events/{event_id}/affected/", {"label": "x"}, format="json").status_code == 404


def test_event_in_the_future_is_refused(teams, tree):
    r = api(teams["county"]).post("/api/v1/crisis-events/", {"name": "x", "kind": "other", "org_unit": tree.a2.pk,
                                                            "occurred_at": (timezone.now() + datetime.timedelta(days=1)).isoformat()}, format="json")
    assert r.status_code == 400 and "occurred_at" in r.json()


def test_a_case_cannot_be_linked_to_an_alert_about_someone_else(people, personas, teams):
    administer(personas.counsellor, scale="phq9", answers=[0] * 8 + [3], person=people.in_a1v1)
    alert = Alert.objects.get()
    r = api(teams["county"]).post("/api/v1/crisis-cases/", {"person": people.in_a1v2.pk, "alert": alert.pk,
                                                            "assessment": "x"}, format="json")
    assert r.status_code == 400 and "another person" in r.json()["alert"][0], r.content
    assert not CrisisCase.objects.exists()
    # The alert's own person is fine.
    r = api(teams["county"]).post("/api/v1/crisis-cases/", {"person": people.in_a1v1.pk, "alert": alert.pk,
                                                            "assessment": "x"}, format="json")
    assert r.status_code == 201 and CrisisCase.objects.get().alert == alert
