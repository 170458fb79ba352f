"""A revoked device, or a disabled account's device, is told to wipe on its next pack or sync call."""

import pytest

from xinli.accounts.services import issue_token, set_active
from xinli.core.models import AuditEntry
from xinli.field.models import SyncItem

from .conftest import api, headers, item, register, visit

pytestmark = pytest.mark.django_db


def _assert_wipe(r):
    assert r.status_code == 410, r.content
    body = r.json()
    assert body["code"] == "device_revoked" and body["wipe"] is True
    assert "撤销" in body["detail"] and "revoked" in body["detail"]


def test_a_revoked_device_gets_the_wipe_answer_and_writes_nothing(doctor, patients, personas):
    mine, _ = patients
    device = register(doctor)
    assert api(personas.security_admin).post(f"/api/v1/field/devices/{device.pk}/revoke/").status_code == 200
    _assert_wipe(api(doctor).get("/api/v1/field/pack/", **headers(device)))
    r = api(doctor).post("/api/v1/field/sync/", {"items": [item("smd_follow_up", {"patient": mine[0].pk, "follow_up": visit()})]},
                         format="json", **headers(device))
    _assert_wipe(r)
    assert not SyncItem.objects.exists()
    assert not AuditEntry.objects.filter(purpose="field_pack").exists()
    device.refresh_from_db()
    assert device.wipe_sent_at is not None
    assert AuditEntry.objects.filter(object_type="field.device", object_id=str(device.pk), detail__wipe=True).count() == 1


def test_a_disabled_accounts_device_gets_the_wipe_answer_though_its_token_is_dead(doctor, patients, personas, client):
    device = register(doctor)
    key, _token = issue_token(doctor)
    set_active(personas.province_admin, doctor, False)
    r = client.get("/api/v1/field/pack/", HTTP_AUTHORIZATION=f"Token {key}", **headers(device))
    _assert_wipe(r)
    # Without a device id (or with an active device's id) a dead token is the ordinary 401.
    assert client.get("/api/v1/field/pack/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_another_users_revoked_device_is_unknown_to_the_caller(doctor, personas):
    theirs = register(personas.village_worker_1)
    api(personas.security_admin).post(f"/api/v1/field/devices/{theirs.pk}/revoke/")
    r = api(doctor).get("/api/v1/field/pack/", **headers(theirs))
    assert r.status_code == 400 and "device" in r.json()
    theirs.refresh_from_db()
    assert theirs.wipe_sent_at is None
