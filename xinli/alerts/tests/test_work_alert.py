"""The lifecycle through the API: acknowledge, start, close with an outcome; bad transitions and scope."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from xinli.alerts.models import Alert, Notification
from xinli.core.models import AuditEntry
from xinli.screening.services import administer

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def alert(people, personas, teams):
    administer(personas.counsellor, scale="phq9", answers=[0] * 8 + [2], person=people.in_a1v1)
    return Alert.objects.get()


def test_team_acknowledges_starts_and_closes_with_an_outcome(alert, teams):
    team = api(teams["township"])
    r = team.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    assert r.status_code == 200 and r.json()["state"] == "acknowledged"
    assert team.post(f"/api/v1/alerts/{alert.pk}/start/").json()["state"] == "in_intervention"
    r = team.post(f"/api/v1/alerts/{alert.pk}/close/", {"outcome": "counselling", "note": "约定每周面谈"}, format="json")
    assert r.status_code == 200 and (r.json()["state"], r.json()["outcome"]) == ("closed", "counselling")
    alert.refresh_from_db()
    assert alert.acknowledged_by == teams["township"] and alert.closed_by == teams["township"]
    assert alert.outcome_note == "约定每周面谈"
    assert list(alert.events.values_list("kind", flat=True)) == ["raised", "acknowledged", "intervention", "closed"]
    states = [e.detail.get("state") for e in AuditEntry.objects.filter(object_type="alerts.alert", action="update").order_by("id")]
    assert states == ["acknowledged", "in_intervention", "closed"]


@pytest.mark.parametrize("path, body, field", [
    ("close", {}, "outcome"),  # closing without an outcome
    ("close", {"outcome": "vanished"}, "outcome"),
    ("start", {}, "state"),  # starting before acknowledging
])
def test_invalid_transitions_are_refused_and_change_nothing(alert, teams, path, body, field):
    r = api(teams["township"]).post(f"/api/v1/alerts/{alert.pk}/{path}/", body, format="json")
    assert r.status_code == 400 and field in r.json()
    alert.refresh_from_db()
    assert alert.state == "new" and alert.events.count() == 1


def test_closing_an_unacknowledged_alert_and_acknowledging_twice_are_refused(alert, teams):
    team = api(teams["township"])
    r = team.post(f"/api/v1/alerts/{alert.pk}/close/", {"outcome": "false_alarm"}, format="json")
    assert r.status_code == 400 and "acknowledge it before closing" in r.json()["state"][0]
    assert team.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 200
    r = api(teams["county"]).post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    assert r.status_code == 400 and "已确认" in r.json()["state"][0]  # bilingual: Chinese first
    assert Alert.objects.get().acknowledged_by == teams["township"]


def test_out_of_scope_users_get_404(alert, personas, tree):
    from xinli.core.policy import Role
    from xinli.testing.fixtures import make_user

    other_team = make_user("team_county_b", [(tree.county_b, Role.CRISIS_TEAM)])
    for user in (other_team, personas.village_worker_2, personas.county_officer):
        client = api(user)
        assert client.get(f"/api/v1/alerts/{alert.pk}/").status_code == 404
        assert client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 404
        assert client.post(f"/api/v1/alerts/{alert.pk}/close/", {"outcome": "false_alarm"}, format="json").status_code == 404
    assert Alert.objects.get().state == "new"


def test_list_filters_and_the_reporter_sees_the_alert(alert, teams, personas, people):
    team = api(teams["county"])
    assert [a["id"] for a in team.get("/api/v1/alerts/", {"level": "orange"}).json()["results"]] == [alert.pk]
    assert team.get("/api/v1/alerts/", {"level": "red"}).json()["results"] == []
    assert [a["id"] for a in team.get("/api/v1/alerts/", {"person": people.in_a1v1.pk}).json()["results"]] == [alert.pk]
    assert team.get("/api/v1/alerts/", {"person": people.in_a1v2.pk}).json()["results"] == []
    assert team.get("/api/v1/alerts/", {"overdue": "1"}).json()["results"] == []
    Alert.objects.filter(pk=alert.pk).update(ack_due_at=timezone.now() - timezone.timedelta(minutes=1))
    rows = team.get("/api/v1/alerts/", {"overdue": "1"}).json()["results"]
    assert [r["id"] for r in rows] == [alert.pk] and rows[0]["overdue"] is True
    assert rows[0]["person_name"] == people.in_a1v1.name
    # Listing names residents: each listed person is an audited read.
    assert AuditEntry.objects.filter(action="search", person_id=people.in_a1v1.pk, actor_username="team_county_a").exists()
    # The counsellor who administered the PHQ-9 reported it and can follow it, but cannot work it.
    counsellor = api(personas.counsellor)
    assert [a["id"] for a in counsellor.get("/api/v1/alerts/").json()["results"]] == [alert.pk]
    assert counsellor.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 404


def test_worker_reports_an_emergency_by_hand(personas, people, teams):
    r = api(personas.village_worker_1).post("/api/v1/alerts/", {
        "person": people.in_a1v1.pk, "summary": "邻居反映其扬言轻生", "emergency": True}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["level"], body["source"], body["state"]) == ("red", "emergency", "new")
    alert = Alert.objects.get()
    assert (alert.ack_due_at - alert.created_at).total_seconds() == 15 * 60
    assert Notification.objects.filter(alert=alert, recipient=teams["township"]).exists()


@pytest.mark.parametrize("body, field", [
    ({"summary": ""}, "summary"),
    ({"summary": "x"}, "org_unit"),
    ({"summary": "x", "org_unit": 999999}, "org_unit"),
    ({"summary": "x", "level": "purple", "org_unit": 1}, "level"),
    ({"summary": "x", "person": 999999}, "person"),
    ({"summary": "x", "org_unit": 1, "colour": "red"}, "colour"),
])
def test_bad_reports_are_refused_with_the_field_named(personas, people, body, field):
    r = api(personas.village_worker_1).post("/api/v1/alerts/", body, format="json")
    assert r.status_code == 400 and field in r.json(), r.content
    assert not Alert.objects.exists()


def test_reporting_outside_ones_area_is_a_field_error(personas, people, tree):
    # An org unit outside the reporter's area answers like an unknown one: 400 naming the field, not 403.
    r = api(personas.village_worker_1).post("/api/v1/alerts/", {"summary": "x", "org_unit": tree.b1v1.pk}, format="json")
    assert r.status_code == 400 and "not found in your area" in r.json()["org_unit"][0], r.content
    assert not Alert.objects.exists()
    # A user without alerts.report anywhere is still refused outright.
    r = api(personas.nobody).post("/api/v1/alerts/", {"summary": "x", "org_unit": tree.a1v1.pk}, format="json")
    assert r.status_code == 403 and not Alert.objects.exists()


def test_inbox_lists_only_ones_own_notifications(alert, teams):
    mine = api(teams["township"]).get("/api/v1/notifications/").json()["results"]
    assert len(mine) == 1 and f"#{alert.pk}" in mine[0]["text"] and mine[0]["read_at"] is None
    note_id = mine[0]["id"]
    assert api(teams["county"]).post(f"/api/v1/notifications/{note_id}/read/").status_code == 404
    assert api(teams["township"]).post(f"/api/v1/notifications/{note_id}/read/").json()["read_at"]
    assert api(teams["township"]).get("/api/v1/notifications/", {"unread": "1"}).json()["results"] == []
    assert api(teams["county"]).get("/api/v1/notifications/").json()["results"] == []
    assert Notification.objects.get().read_at is not None


def test_a_reporter_who_loses_the_role_no_longer_follows_the_alert(alert, personas, people, tree):
    from xinli.accounts.models import Assignment, User
    from xinli.accounts.services import grant_role, revoke_assignment
    from xinli.core.policy import Role

    counsellor = personas.counsellor  # administered the PHQ-9: the alert's reporter
    assert alert.reported_by == counsellor
    assert [a["id"] for a in api(counsellor).get("/api/v1/alerts/").json()["results"]] == [alert.pk]
    # Moved to another township (still a counsellor, so still alerts.report, but not over the resident): gone.
    revoke_assignment(personas.province_admin, Assignment.objects.get(user=counsellor))
    grant_role(counsellor, tree.a2, Role.COUNSELLOR)
    moved = User.objects.get(pk=counsellor.pk)
    assert api(moved).get("/api/v1/alerts/").json()["results"] == []
    assert api(moved).get(f"/api/v1/alerts/{alert.pk}/").status_code == 404
    # No role left at all: gone too.
    Assignment.objects.filter(user=counsellor).update(active=False)
    gone = User.objects.get(pk=counsellor.pk)
    assert api(gone).get("/api/v1/alerts/").json()["results"] == []
    assert api(gone).get(f"/api/v1/alerts/{alert.pk}/").status_code == 404


def test_campaign_staff_follow_campaign_alerts_only_while_they_hold_the_role(tree, teams):
    import datetime as dt

    from xinli.accounts.models import Assignment, User
    from xinli.alerts.selectors import visible_alerts
    from xinli.core.policy import Role
    from xinli.screening import campaigns
    from xinli.testing.fixtures import make_user

    psy = make_user("school_psy", [(tree.a1, Role.SCHOOL_PSYCHOLOGIST)])
    now = timezone.now()
    c = campaigns.create_campaign(psy, name="普查", kind="school", institution="一中", org_unit=tree.a1, scales=["phq9"],
                                  opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=1),
                                  groups=[{"grade": "初二", "name": "1班", "participants": [{"label": "甲", "minor_under_14": False}]}])
    campaigns.submit(c.participants.get().code, {"phq9": {str(i): v for i, v in enumerate([2, 2, 2, 2, 1, 1, 0, 0, 0], 1)}})
    alert = Alert.objects.get()
    assert list(visible_alerts(psy)) == [alert]
    Assignment.objects.filter(user=psy).update(active=False)
    assert list(visible_alerts(User.objects.get(pk=psy.pk))) == []
