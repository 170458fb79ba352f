"""An inbox message about an SMD patient leads to the patient (the text carries no name, so the link is the way)."""

import pytest
from django.test import Client

from xinli.alerts.models import Notification
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db


def test_an_smd_reminder_links_to_the_patient_and_a_count_links_nowhere(personas):
    user = personas.village_worker_1
    Notification.objects.create(recipient=user, kind="smd_overdue", params={"patient": 4711, "day": "2026-11-01"})
    Notification.objects.create(recipient=user, kind="plans_due", params={"count": 3})
    client = Client()
    login_verified(client, user)
    html = client.get("/inbox/").content.decode()
    assert 'href="/smd/patients/4711/"' in html
    assert html.count("<a href=\"/smd/patients/") == 1
