"""The duty console: why each alert was raised, overdue alerts marked in words, acknowledging from the console
updates the inbox badge, and its 10-second refresh audits the persons it shows on the first view and when new ones
appear — not two rows per person every 10 seconds."""

import pytest
from django.test import Client
from django.utils import timezone

from xinli.alerts import services
from xinli.alerts.models import Alert, Notification
from xinli.alerts.selectors import CONSOLE_AUDIT_KEY
from xinli.core.models import AuditEntry
from xinli.screening.services import administer
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db

ITEM9 = [0] * 8 + [2]


def _console_reads(user):
    return AuditEntry.objects.filter(actor_id=user.pk, view="alerts:console", person_id__isnull=False)


@pytest.fixture
def team(teams):
    client = Client()
    login_verified(client, teams["township"])
    return client


def test_console_shows_the_reason_and_marks_overdue_alerts_in_words(people, personas, teams, team):
    administer(personas.counsellor, scale="phq9", answers=ITEM9, person=people.in_a1v1)
    alert = Alert.objects.get()
    Alert.objects.filter(pk=alert.pk).update(ack_due_at=timezone.now() - timezone.timedelta(minutes=5))
    html = team.get("/alerts/console/").content.decode()
    assert "<th>原因</th>" in html and alert.summary_text("zh-hans") in html
    assert 'class="overdue"' in html and "⚠ 已逾期" in html  # not colour only


def test_refresh_audits_the_first_view_and_newly_listed_persons_only(people, personas, teams, team):
    user = teams["township"]
    person = people.in_a1v1
    administer(personas.counsellor, scale="phq9", answers=ITEM9, person=person)
    # A second open alert about the same person (another cause): one person, one audit row.
    services.report(personas.counsellor, level="orange", summary="邻居反映", person=person)
    assert Alert.objects.count() == 2
    team.get("/alerts/console/")
    assert list(_console_reads(user).values_list("person_id", flat=True)) == [person.pk]
    for _ in range(3):  # three refreshes: nothing new is shown, nothing is written
        assert team.get("/alerts/console/", HTTP_HX_REQUEST="true").status_code == 200
    assert _console_reads(user).count() == 1
    # A new person appears on the console: the refresh audits that person only.
    administer(personas.counsellor, scale="phq9", answers=ITEM9, person=people.in_a1v2)
    team.get("/alerts/console/", HTTP_HX_REQUEST="true")
    assert sorted(_console_reads(user).values_list("person_id", flat=True)) == sorted([person.pk, people.in_a1v2.pk])
    # After the window the persons still listed are audited again; a new full page view is a first view.
    session = team.session
    session[CONSOLE_AUDIT_KEY]["at"] = (timezone.now() - timezone.timedelta(hours=2)).isoformat()
    session.save()
    team.get("/alerts/console/", HTTP_HX_REQUEST="true")
    assert _console_reads(user).count() == 4
    team.get("/alerts/console/")
    assert _console_reads(user).count() == 6


def test_acknowledging_on_the_console_updates_the_unread_badge(people, personas, teams, team):
    administer(personas.counsellor, scale="phq9", answers=ITEM9, person=people.in_a1v1)
    administer(personas.counsellor, scale="phq9", answers=ITEM9, person=people.in_a1v2)
    first = Alert.objects.order_by("pk").first()
    html = team.get("/alerts/console/").content.decode()
    assert 'class="badge">2<' in html and f'hx-post="/alerts/{first.pk}/acknowledge/"' in html
    panel = team.post(f"/alerts/{first.pk}/acknowledge/", HTTP_HX_REQUEST="true")
    assert panel.status_code == 200
    body = panel.content.decode()
    # The panel comes back with the inbox link swapped out of band: one unread message left.
    assert 'id="inbox-link" hx-swap-oob="true"' in body and 'class="badge">1<' in body
    assert Alert.objects.get(pk=first.pk).state == "acknowledged"
    assert Notification.objects.filter(recipient=teams["township"], alert=first, read_at__isnull=True).count() == 0
    # Acknowledging twice: the message says why, nothing changes.
    again = team.post(f"/alerts/{first.pk}/acknowledge/", HTTP_HX_REQUEST="true").content.decode()
    assert "不能再确认" in again or "no longer be acknowledged" in again
