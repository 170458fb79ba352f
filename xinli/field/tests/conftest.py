import datetime
import uuid

import pytest
from rest_framework.test import APIClient

from xinli.core.policy import Role
from xinli.testing.fixtures import make_user

ENROL = {"diagnosis": "F20", "diagnosed_by": "青岛市精神卫生中心", "diagnosed_on": datetime.date(2020, 5, 1), "source": "hospital",
         "residence": "home", "consent_community": True}


@pytest.fixture
def doctor(personas):
    """The SMD doctor of 八大关街道 (a1: villages a1v1 and a1v2)."""
    return personas.smd_doctor


@pytest.fixture
def patients(doctor, people, tree):
    """Three patients of the doctor's area (a1v1, a1v2 and one more in a1v1) and one outside it (a2v1, another doctor's)."""
    from xinli.archives.services import register_person
    from xinli.smd.services import register_patient

    other = register_person(make_user("registrar_f", [(tree.city, Role.HEALTH_OFFICER)]),
                            {"name": "孙八", "phone": "13800000009", "address": "太平角社区2号", "org_unit": tree.a1v1}).person
    mine = [register_patient(doctor, p, ENROL) for p in (people.in_a1v1, people.in_a1v2, other)]
    a2_doctor = make_user("a2_doctor", [(tree.a2, Role.SMD_DOCTOR)])
    outside = register_patient(a2_doctor, people.in_a2v1, ENROL)
    return mine, outside


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def register(user, label="华为 Mate 60"):
    from xinli.field.models import Device

    r = api(user).post("/api/v1/field/devices/", {"label": label}, format="json")
    assert r.status_code == 201, r.content
    return Device.objects.get(public_id=r.json()["public_id"])


def headers(device):
    return {"HTTP_X_FIELD_DEVICE": str(device.public_id)}


def item(kind, payload, *, client_id=None, base_version="", device_time="2026-12-04T08:30:00+08:00"):
    return {"client_id": str(client_id or uuid.uuid4()), "kind": kind, "device_time": device_time, "base_version": base_version,
            "payload": payload}


def visit(**changes):
    """A complete follow-up form of a stable patient (as the SMD tests' ``visit``), changed as given."""
    from django.utils import timezone

    base = {"date": timezone.localdate().isoformat(), "mode": "home", "risk": 0, "insight": "complete", "symptoms": [],
            "social_function": {"self_care": "good"}, "adherence": "regular", "sleep": "good", "diet": "good",
            "medications": [{"name": "利培酮", "dose": "2mg", "usage": "每日两次"}]}
    return base | changes
