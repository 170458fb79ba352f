"""The security administrator's page of a user's field devices (under /accounts/security/)."""

import pytest
from django.test import Client

from xinli.core.policy import Role
from xinli.testing.fixtures import login_verified, make_user

from .conftest import register

pytestmark = pytest.mark.django_db


def test_the_security_admin_sees_and_revokes_a_users_device(personas):
    device = register(personas.village_worker_1, "小米 14")
    client = Client()
    login_verified(client, personas.security_admin)
    security = client.get("/accounts/security/").content.decode()
    assert "/accounts/security/devices/?user=village_worker_1" in security
    page = client.get("/accounts/security/devices/", {"user": "village_worker_1"})
    html = page.content.decode()
    assert page.status_code == 200 and "小米 14" in html and "使用中" in html and "撤销设备" in html
    r = client.post("/accounts/security/devices/?user=village_worker_1", {"device": device.pk})
    assert r.status_code == 302
    device.refresh_from_db()
    assert device.revoked_at is not None and device.revoked_by == personas.security_admin
    html = client.get("/accounts/security/devices/", {"user": "village_worker_1"}).content.decode()
    assert "已撤销" in html and "撤销设备" not in html


def test_others_get_404_and_nothing_changes(personas, tree):
    device = register(personas.village_worker_1)
    north = make_user("north_sec", [(tree.county_b, Role.SECURITY_ADMIN)])
    for user in (north, personas.smd_doctor):
        client = Client()
        login_verified(client, user)
        assert client.get("/accounts/security/devices/", {"user": "village_worker_1"}).status_code == 404
        assert client.post("/accounts/security/devices/?user=village_worker_1", {"device": device.pk}).status_code == 404
    device.refresh_from_db()
    assert device.revoked_at is None
