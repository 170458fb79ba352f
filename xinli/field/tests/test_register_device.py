"""Registering a field device, the security administrator's device list and revocation."""

import pytest

from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.field.models import Device
from xinli.testing.fixtures import make_user

from .conftest import api, register

pytestmark = pytest.mark.django_db


def test_a_field_worker_registers_a_device_and_lists_their_own(personas):
    device = register(personas.smd_doctor, "荣耀 X50")
    register(personas.village_worker_1)  # another worker's device: not in the doctor's list
    assert device.user == personas.smd_doctor and device.label == "荣耀 X50" and device.revoked_at is None
    rows = api(personas.smd_doctor).get("/api/v1/field/devices/").json()
    assert [r["public_id"] for r in rows] == [str(device.public_id)]
    assert AuditEntry.objects.filter(action="security", object_type="field.device", object_id=str(device.pk)).count() == 1


def test_roles_without_field_work_cannot_register_and_a_bad_label_is_bilingual(personas):
    r = api(personas.hotline_operator).post("/api/v1/field/devices/", {"label": "手机"}, format="json")
    assert r.status_code == 403
    r = api(personas.smd_doctor).post("/api/v1/field/devices/", {"label": ""}, format="json")
    assert r.status_code == 400 and "设备名称" in r.json()["label"][0] and "Device name" in r.json()["label"][0]
    assert Device.objects.count() == 0


def test_the_security_admin_lists_a_users_devices_and_revokes_one(personas):
    device = register(personas.village_worker_1)
    admin = api(personas.security_admin)
    rows = admin.get("/api/v1/field/devices/", {"user": "village_worker_1"}).json()
    assert [r["id"] for r in rows] == [device.pk]
    r = admin.post(f"/api/v1/field/devices/{device.pk}/revoke/")
    assert r.status_code == 200 and r.json()["revoked"] is True
    device.refresh_from_db()
    assert device.revoked_at is not None and device.revoked_by == personas.security_admin
    r = admin.post(f"/api/v1/field/devices/{device.pk}/revoke/")  # twice: said so, nothing changes
    assert r.status_code == 400 and "已撤销" in str(r.json()) and "already revoked" in str(r.json())


def test_revoking_needs_the_security_admin_over_the_owner(personas, tree):
    device = register(personas.village_worker_1)
    north_admin = make_user("north_security", [(tree.county_b, Role.SECURITY_ADMIN)])
    assert api(north_admin).post(f"/api/v1/field/devices/{device.pk}/revoke/").status_code == 404
    assert api(north_admin).get("/api/v1/field/devices/", {"user": "village_worker_1"}).status_code == 404
    assert api(personas.smd_doctor).post(f"/api/v1/field/devices/{device.pk}/revoke/").status_code == 403
    device.refresh_from_db()
    assert device.revoked_at is None
