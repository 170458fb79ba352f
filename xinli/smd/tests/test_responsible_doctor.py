"""The responsible doctor and the scope agree: a patient whose responsible doctor is you is always yours to see and
follow up (selectors, pages, API, worklist), and only someone who follows up patients of the patient's area can be
made the responsible doctor."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.smd import selectors, services
from xinli.smd.models import FollowUp, Patient, Task
from xinli.testing.fixtures import login_verified, make_user

from .conftest import visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def psychiatrist(tree):
    return make_user("psychiatrist_ca", [(tree.county_a, Role.PSYCHIATRIST)])


@pytest.fixture
def elsewhere(psychiatrist, people):
    """A patient of 香港中路街道 (outside the a1 doctor's township) registered by the district psychiatrist."""
    return services.register_patient(psychiatrist, people.in_a2v1, {
        "diagnosis": "F20", "diagnosed_by": "市精神卫生中心", "diagnosed_on": datetime.date(2020, 1, 1), "source": "hospital",
        "consent_community": True})


def test_a_doctor_named_on_the_register_sees_and_follows_up_the_patient_outside_their_area(elsewhere, doctor):
    assert not selectors.clinical_patients(doctor).filter(pk=elsewhere.pk).exists()
    Patient.objects.filter(pk=elsewhere.pk).update(doctor=doctor)  # e.g. the patient moved, the doctor stayed
    Task.objects.filter(patient=elsewhere).update(due=timezone.localdate() - datetime.timedelta(days=3))
    patient, clinical = selectors.get_patient(doctor, elsewhere.pk)
    assert clinical
    assert elsewhere.pk in [t.patient_id for t in selectors.worklist(doctor)["overdue"]]
    assert elsewhere.pk in [p.pk for p in selectors.patient_list(doctor)]
    client = Client()
    login_verified(client, doctor)
    assert client.get(f"/smd/patients/{elsewhere.pk}/").status_code == 200
    assert client.get(f"/smd/patients/{elsewhere.pk}/follow-up/").status_code == 200
    assert "王五" in client.get("/smd/").content.decode()
    api = APIClient()
    api.force_authenticate(doctor)
    assert api.get(f"/api/v1/smd/patients/{elsewhere.pk}/").json()["diagnosis"] == "F20"
    assert api.get(f"/api/v1/smd/patients/{elsewhere.pk}/follow-ups/").status_code == 200
    services.record_follow_up(doctor, patient, visit(date=timezone.localdate()))
    assert FollowUp.objects.get(patient=elsewhere).doctor == doctor


def test_the_doctor_clause_ends_with_the_treating_role(elsewhere, doctor):
    Patient.objects.filter(pk=elsewhere.pk).update(doctor=doctor)
    doctor.assignments.update(active=False)  # no longer a doctor anywhere
    doctor.__dict__.pop("_xinli_scope_cache", None)
    doctor.__dict__.pop("_xinli_assignments", None)
    assert not selectors.visible_patients(doctor).filter(pk=elsewhere.pk).exists()


def test_only_a_doctor_of_the_patients_area_can_be_named(people, doctor, psychiatrist, tree):
    other_doctor = make_user("doctor_a2", [(tree.a2, Role.SMD_DOCTOR)])
    with pytest.raises(ValidationError) as exc:
        services.register_patient(psychiatrist, people.in_a1v2, {"diagnosis": "F20", "diagnosed_by": "市精神卫生中心",
                                                                 "diagnosed_on": datetime.date(2020, 1, 1), "source": "hospital",
                                                                 "doctor": other_doctor})
    assert set(exc.value.message_dict) == {"doctor"} and not Patient.objects.exists()
    p = services.register_patient(psychiatrist, people.in_a1v2, {"diagnosis": "F20", "diagnosed_by": "市精神卫生中心",
                                                                 "diagnosed_on": datetime.date(2020, 1, 1), "source": "hospital",
                                                                 "doctor": doctor})
    assert p.doctor == doctor
    with pytest.raises(ValidationError):
        services.assign_doctor(psychiatrist, p, other_doctor)
    with pytest.raises(ValidationError):
        services.assign_doctor(psychiatrist, p, make_user("police_a1", [(tree.a1, Role.POLICE_LIAISON)]))
    assert Patient.objects.get(pk=p.pk).doctor == doctor
    before = AuditEntry.objects.count()
    assert services.assign_doctor(doctor, p, psychiatrist).doctor == psychiatrist
    assert AuditEntry.objects.count() == before + 1


def test_api_assigns_a_doctor_and_refuses_one_who_cannot_see_the_patient(patient, doctor, psychiatrist, tree):
    api = APIClient()
    api.force_authenticate(doctor)
    outsider = make_user("doctor_b", [(tree.county_b, Role.SMD_DOCTOR)])
    r = api.post(f"/api/v1/smd/patients/{patient.pk}/doctor/", {"doctor": outsider.pk}, format="json")
    assert r.status_code == 400 and "doctor" in r.json()
    assert api.post(f"/api/v1/smd/patients/{patient.pk}/doctor/", {"doctor": 999999}, format="json").status_code == 400
    r = api.post(f"/api/v1/smd/patients/{patient.pk}/doctor/", {"doctor": psychiatrist.pk}, format="json")
    assert r.status_code == 200 and r.json()["doctor"] == psychiatrist.pk
