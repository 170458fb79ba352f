"""Crisis pages: open a case from an alert, act, close with follow-ups; create a group crisis and add people."""

import pytest
from django.test import Client

from xinli.alerts.models import AffectedPerson, Alert, CrisisCase, CrisisEvent, FollowUp
from xinli.screening.services import administer
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db


def test_team_opens_works_and_closes_a_case_from_the_alert_page(people, personas, teams):
    administer(personas.counsellor, scale="phq9", answers=[0] * 8 + [3], person=people.in_a1v1)
    alert = Alert.objects.get()
    client = Client()
    login_verified(client, teams["township"])
    assert "Open crisis case" in client.get(f"/alerts/{alert.pk}/").content.decode() or "危机" in client.get(f"/alerts/{alert.pk}/").content.decode()
    r = client.post(f"/alerts/{alert.pk}/case/", {"assessment": "有念头无计划", "safety_plan": "联系母亲"})
    case = CrisisCase.objects.get()
    assert r["Location"] == f"/crisis/cases/{case.pk}/" and case.alert == alert
    client.post(f"/crisis/cases/{case.pk}/", {"do": "action", "kind": "contact", "note": "电话联系"})
    client.post(f"/crisis/cases/{case.pk}/", {"do": "close", "summary": "", "high_risk": "on"})  # refused: no summary
    assert CrisisCase.objects.get().state == "open"
    client.post(f"/crisis/cases/{case.pk}/", {"do": "close", "summary": "稳定", "high_risk": "on"})
    assert CrisisCase.objects.get().state == "closed" and FollowUp.objects.filter(case=case).count() == 3
    page = client.get(f"/crisis/cases/{case.pk}/").content.decode()
    assert "电话联系" in page and "稳定" in page


def test_group_crisis_from_the_crisis_page(teams, tree):
    client = Client()
    login_verified(client, teams["county"])
    r = client.post("/crisis/", {"name": "台风", "kind": "disaster", "org_unit": tree.a2.pk, "occurred_at": "2026-11-01T08:00"})
    event = CrisisEvent.objects.get()
    assert r["Location"] == f"/crisis/events/{event.pk}/"
    client.post(f"/crisis/events/{event.pk}/", {"label": "受灾户张某", "risk": "high"})
    assert AffectedPerson.objects.get().risk == "high" and FollowUp.objects.count() == 4
    home = client.get("/crisis/").content.decode()
    assert "台风" in home
    bad = client.post("/crisis/", {"name": "x", "kind": "disaster", "org_unit": tree.a2.pk, "occurred_at": "soon"}, follow=True)
    assert CrisisEvent.objects.count() == 1 and bad.status_code == 200


def test_crisis_pages_are_hidden_outside_the_team(people, personas, teams):
    client = Client()
    login_verified(client, personas.village_worker_1)
    assert client.get("/crisis/").status_code == 404
