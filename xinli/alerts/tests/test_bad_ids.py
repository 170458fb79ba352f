"""Ids in URLs, query strings and forms that are not plain ASCII numbers ('²' is a digit to str.isdigit() but not to
int()) are answered as "not found" — never a server error."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from xinli.alerts.models import Alert, CrisisCase, FollowUp
from xinli.core.forms import form_pk
from xinli.core.ids import parse_id as parse_pk
from xinli.screening.services import administer
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db

BAD = ["²", "١٢", "１２", "12a", "-1", "", "  ", "99999999999999999999"]


@pytest.mark.parametrize("value", BAD)
def test_parse_pk_and_form_pk_refuse_anything_but_ascii_digits(value):
    assert parse_pk(value) is None
    assert form_pk(value) == 0


def test_parse_pk_and_form_pk_accept_plain_numbers():
    assert (parse_pk("42"), parse_pk(" 7 "), parse_pk(0), parse_pk(None)) == (42, 7, 0, None)
    assert (form_pk("42"), form_pk(None), form_pk(3)) == (42, 0, 3)


@pytest.fixture
def alert(people, personas, teams):
    administer(personas.counsellor, scale="phq9", answers=[0] * 8 + [2], person=people.in_a1v1)
    return Alert.objects.get()


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("bad", ["²", "١"])
def test_unicode_digits_in_alert_api_ids_are_not_found(alert, teams, bad):
    team = api(teams["township"])
    assert team.get(f"/api/v1/alerts/{bad}/").status_code == 404
    assert team.post(f"/api/v1/alerts/{bad}/acknowledge/").status_code == 404
    assert team.post(f"/api/v1/alerts/{bad}/start/").status_code == 404
    assert team.post(f"/api/v1/alerts/{bad}/close/", {"outcome": "false_alarm"}, format="json").status_code == 404
    assert team.post(f"/api/v1/notifications/{bad}/read/").status_code == 404
    assert team.post(f"/api/v1/follow-ups/{bad}/done/", {}, format="json").status_code == 404
    assert team.get(f"/api/v1/crisis-cases/{bad}/").status_code == 404
    assert team.get(f"/api/v1/crisis-events/{bad}/").status_code == 404
    r = team.get("/api/v1/alerts/", {"person": bad})  # not an integer: a 400 naming the parameter (schema)
    assert r.status_code == 400 and "person" in r.json()
    assert Alert.objects.get().state == "new"


def test_unicode_digits_in_a_posted_follow_up_id_change_nothing(people, teams):
    from xinli.alerts import crisis

    team = teams["county"]
    case = crisis.open_case(team, people.in_a1v1, assessment="x")
    crisis.close_case(team, case, summary="稳定", high_risk=True)
    client = Client()
    login_verified(client, team)
    r = client.post(f"/crisis/cases/{case.pk}/", {"do": "follow_up", "follow_up": "²", "note": "x"})
    assert r.status_code == 302
    assert not FollowUp.objects.filter(done_at__isnull=False).exists() and CrisisCase.objects.count() == 1
