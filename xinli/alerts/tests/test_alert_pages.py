"""The pages: duty console (full and htmx partial), alert page with its actions, inbox."""

import pytest
from django.test import Client
from django.utils import timezone

from xinli.alerts.models import Alert
from xinli.screening.services import administer
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(people, personas, teams):
    administer(personas.counsellor, scale="phq9", answers=[0] * 8 + [2], person=people.in_a1v1)
    return Alert.objects.get()


def test_duty_console_lists_open_alerts_by_deadline_and_marks_overdue_ones(alert, teams, people):
    Alert.objects.filter(pk=alert.pk).update(ack_due_at=timezone.now() - timezone.timedelta(minutes=5))
    client = Client()
    login_verified(client, teams["county"])
    page = client.get("/alerts/console/").content.decode()
    assert 'hx-trigger="every 10s"' in page and people.in_a1v1.name in page and 'class="overdue"' in page
    panel = client.get("/alerts/console/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in panel and f'/alerts/{alert.pk}/' in panel and "overdue" in panel


def test_team_acknowledges_and_closes_from_the_alert_page(alert, teams):
    client = Client()
    login_verified(client, teams["township"])
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert 'id="acknowledge"' in page
    client.post(f"/alerts/{alert.pk}/acknowledge/")
    r = client.post(f"/alerts/{alert.pk}/close/", {"outcome": ""}, follow=True)
    assert "Outcome" in r.content.decode() or "结局" in r.content.decode()  # the bilingual error message
    assert Alert.objects.get().state == "acknowledged"
    client.post(f"/alerts/{alert.pk}/close/", {"outcome": "contacted_safe", "note": "已电话联系"})
    alert.refresh_from_db()
    assert (alert.state, alert.outcome, alert.outcome_note) == ("closed", "contacted_safe", "已电话联系")


def test_pages_are_not_found_outside_scope(alert, personas):
    client = Client()
    login_verified(client, personas.village_worker_2)
    assert client.get(f"/alerts/{alert.pk}/").status_code == 404
    assert client.post(f"/alerts/{alert.pk}/acknowledge/").status_code == 404
    assert client.get("/alerts/console/").status_code == 404
    assert Alert.objects.get().state == "new"


def test_inbox_shows_the_message_and_the_unread_badge(alert, teams):
    client = Client()
    login_verified(client, teams["township"])
    home = client.get("/").content.decode()
    assert 'class="badge">1<' in home
    inbox = client.get("/inbox/").content.decode()
    assert f"#{alert.pk}" in inbox and 'class="unread"' in inbox
    client.post("/inbox/read-all/")
    assert 'class="badge"' not in client.get("/").content.decode()


def test_the_confidential_outcome_note_is_shown_only_to_those_who_work_the_alert(alert, teams, personas):
    team = Client()
    login_verified(team, teams["township"])
    team.post(f"/alerts/{alert.pk}/acknowledge/")
    team.post(f"/alerts/{alert.pk}/close/", {"outcome": "counselling", "note": "家暴，已转介妇联"})
    assert "家暴，已转介妇联" in team.get(f"/alerts/{alert.pk}/").content.decode()
    # The counsellor who reported it still follows the alert and sees its outcome, but not the note.
    reporter = Client()
    login_verified(reporter, personas.counsellor)
    r = reporter.get(f"/alerts/{alert.pk}/")
    assert r.status_code == 200
    page = r.content.decode()
    assert "家暴，已转介妇联" not in page
    assert "taken into counselling" in page or "咨询" in page
