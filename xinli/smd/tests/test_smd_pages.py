"""SMD pages: worklist, follow-up form, patient page by role, indicators page."""

import datetime

import pytest
from django.test import Client

from xinli.smd.models import FollowUp, Task
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db


def test_doctor_records_a_follow_up_from_the_worklist(patient, doctor, client):
    Task.objects.filter(patient=patient).update(due=datetime.date.today() - datetime.timedelta(days=1))
    login_verified(client, doctor)
    page = client.get("/smd/").content.decode()
    assert patient.person.name in page and 'class="overdue"' in page
    r = client.post(f"/smd/patients/{patient.pk}/follow-up/", {
        "date": datetime.date.today().isoformat(), "mode": "home", "risk": "1", "insight": "partial", "adherence": "regular",
        "hospitalised": "none", "social_self_care": "good", "medications": "利培酮, 2mg, 每日两次"})
    assert r.status_code == 302, r.content.decode()[:2000]
    fu = FollowUp.objects.get()
    assert fu.classification == "basically_stable" and fu.social_function == {"self_care": "good"}
    assert "利培酮" in fu.medications
    detail = client.get(f"/smd/patients/{patient.pk}/").content.decode()
    assert "F20" in detail and fu.next_due.isoformat() in detail


def test_form_errors_are_shown(patient, doctor, client):
    login_verified(client, doctor)
    r = client.post(f"/smd/patients/{patient.pk}/follow-up/", {"date": datetime.date.today().isoformat(), "mode": "home",
                                                              "risk": "", "insight": "complete", "adherence": "regular", "hospitalised": "none"})
    assert r.status_code == 400 and not FollowUp.objects.exists()
    assert "0 到 5" in r.content.decode() or "0 to 5" in r.content.decode()


def test_police_liaison_page_shows_no_clinical_details(patient, police):
    client = Client()
    login_verified(client, police)
    listing = client.get("/smd/").content.decode()
    assert patient.person.name in listing
    page = client.get(f"/smd/patients/{patient.pk}/").content.decode()
    assert patient.person.name in page and "F20" not in page and "张父" not in page
    assert client.get(f"/smd/patients/{patient.pk}/follow-up/").status_code == 404


def test_indicators_page_for_the_county_officer(patient, personas):
    client = Client()
    login_verified(client, personas.county_officer)
    page = client.get("/smd/indicators/").content.decode()
    assert "T12" in page and "八大关街道" in page
    assert Client().get("/smd/indicators/").status_code == 302  # login first


def test_an_officer_without_patient_rights_is_not_offered_the_patient_list(patient, personas):
    """The SMD sub-navigation offers only the pages the reader may open (a link that answers 404 is a dead end)."""
    client = Client()
    login_verified(client, personas.county_officer)
    page = client.get("/smd/indicators/").content.decode()
    assert "/smd/patients/" not in page
    assert client.get("/smd/patients/").status_code == 404
