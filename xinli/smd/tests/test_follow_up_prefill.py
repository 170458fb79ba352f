"""The follow-up form starts from today's date and carries over from the last follow-up only what stays true between
visits (the medication list, the mode); today's assessment starts empty. The guardian and contacts are shown."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from xinli.smd import services
from xinli.smd.models import FollowUp
from xinli.testing.fixtures import login_verified

from .conftest import visit

pytestmark = pytest.mark.django_db


def form_page(client, patient):
    r = client.get(f"/smd/patients/{patient.pk}/follow-up/")
    assert r.status_code == 200
    return r.context["form"], r.content.decode()


def test_first_follow_up_form_has_today_and_nothing_else(patient, doctor):
    client = Client()
    login_verified(client, doctor)
    form, page = form_page(client, patient)
    assert form.initial["date"] == timezone.localdate()
    assert not form.initial.get("medications") and "risk" not in form.initial
    assert f'name="date" value="{timezone.localdate().isoformat()}"' in page  # ISO: a date input shows nothing else
    assert "张父" in page  # the guardian, to call


def test_next_form_carries_medications_and_mode_not_the_assessment(patient, doctor):
    services.record_follow_up(doctor, patient, visit(date=timezone.localdate() - datetime.timedelta(days=14), mode="phone", risk=2,
                                                     insight="partial", symptoms=["suspicion"], sleep="poor",
                                                     medications=[{"name": "利培酮", "dose": "2mg", "usage": "每日两次"},
                                                                  {"name": "苯海索", "dose": "2mg", "usage": "每日一次"}]))
    client = Client()
    login_verified(client, doctor)
    form, page = form_page(client, patient)
    assert form.initial["date"] == timezone.localdate()
    assert form.initial["mode"] == "phone"
    assert form.initial["medications"] == "利培酮, 2mg, 每日两次\n苯海索, 2mg, 每日一次"
    for field in ("risk", "symptoms", "insight", "sleep", "diet", "adherence", "social_self_care"):
        assert field not in form.initial, field
    assert "利培酮, 2mg, 每日两次" in page
    # Saving the pre-filled form with today's assessment records the carried-over medication list.
    r = client.post(f"/smd/patients/{patient.pk}/follow-up/", {
        "date": timezone.localdate().isoformat(), "mode": "phone", "risk": "0", "insight": "complete", "adherence": "regular",
        "hospitalised": "none", "sleep": "good", "diet": "good", "social_self_care": "good", "medications": form.initial["medications"]})
    assert r.status_code == 302
    assert "苯海索" in FollowUp.objects.first().medications


def test_without_consent_nothing_clinical_is_carried_over(doctor, people):
    p = services.register_patient(doctor, people.in_a1v2, {"diagnosis": "F22", "diagnosed_by": "市精神卫生中心",
                                                          "diagnosed_on": datetime.date(2021, 1, 1), "source": "community"})
    services.record_follow_up(doctor, p, {"date": timezone.localdate() - datetime.timedelta(days=3), "mode": "clinic", "risk": 1})
    client = Client()
    login_verified(client, doctor)
    form, _ = form_page(client, p)
    assert form.initial["mode"] == "clinic" and not form.initial.get("medications")
