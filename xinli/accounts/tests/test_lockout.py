"""Lockout as denial of service (issue 15 item 9): django-axes locks (username, address), not the username alone;
a higher per-username limit only delays further attempts, counted in the shared cache."""

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from xinli.accounts import throttle
from xinli.core.models import AuditEntry
from xinli.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db
WRONG = "Wrong-Password-1"


def code(user):
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(user=user, name="t", confirmed=True)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None)
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def login(address, username, password, otp=""):
    return Client(REMOTE_ADDR=address).post("/accounts/login/", {"username": username, "password": password, "otp": otp})


def test_failures_from_one_address_do_not_lock_the_user_out_from_another(personas, settings):
    user = personas.crisis_team
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert login("203.0.113.7", user.username, WRONG).status_code == 403
    r = login("203.0.113.7", user.username, PASSWORD, code(user))
    assert r.status_code == 403 and "锁定" in r.content.decode()  # address A is locked for this user
    assert login("198.51.100.20", user.username, PASSWORD, code(user)).status_code == 302  # address B is not
    assert login("203.0.113.7", personas.counsellor.username, PASSWORD, code(personas.counsellor)).status_code == 302  # nor A for others


def test_api_token_follows_the_same_lockout(personas, settings):
    user = personas.crisis_team
    for _ in range(settings.AXES_FAILURE_LIMIT):
        APIClient(REMOTE_ADDR="203.0.113.7").post("/api/v1/auth/token/", {"username": user.username, "password": WRONG}, format="json")
    r = APIClient(REMOTE_ADDR="203.0.113.7").post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD, "otp": code(user)}, format="json")
    assert r.status_code == 403
    r = APIClient(REMOTE_ADDR="198.51.100.20").post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD, "otp": code(user)}, format="json")
    assert r.status_code == 200


def test_many_failures_from_many_addresses_only_delay_the_username(personas, settings, monkeypatch):
    settings.XINLI_LOGIN_USERNAME_DELAY_AFTER = 6
    clock = [1_000_000.0]
    monkeypatch.setattr(throttle, "_now", lambda: clock[0])
    user = personas.crisis_team
    for i in range(6):  # two failures from each of three addresses: no address reaches the axes limit
        assert login(f"192.0.2.{i // 2 + 1}", user.username, WRONG).status_code == 403
    assert login("192.0.2.50", user.username, WRONG).status_code == 429  # at the limit: wait 1 s, password not checked
    clock[0] += 1
    assert login("192.0.2.50", user.username, WRONG).status_code == 403  # the 7th failure: counted, the wait doubles
    r = login("192.0.2.99", user.username, PASSWORD, code(user))  # right password, fresh address, inside the wait
    assert r.status_code == 429 and r["Retry-After"] == "2"
    assert AuditEntry.objects.filter(action="login_failed", outcome="delayed", object_id=user.username).exists()
    r = APIClient(REMOTE_ADDR="192.0.2.98").post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert r.status_code == 429 and " / " in r.json()["detail"]
    clock[0] += 2
    assert login("192.0.2.51", user.username, WRONG).status_code == 403  # another failure: the wait grows
    clock[0] += 3
    assert login("192.0.2.99", user.username, PASSWORD, code(user)).status_code == 429  # 4 s now
    clock[0] += 1
    assert login("192.0.2.99", user.username, PASSWORD, code(user)).status_code == 302  # delayed, never locked
    assert throttle.wait_seconds(user.username) == 0  # a success clears the count
    other = personas.counsellor
    assert login("192.0.2.99", other.username, PASSWORD, code(other)).status_code == 302  # other usernames unaffected


def test_the_delay_has_a_ceiling(settings, db):
    settings.XINLI_LOGIN_USERNAME_DELAY_AFTER = 3
    settings.XINLI_LOGIN_USERNAME_DELAY_MAX = 300
    assert [throttle._delay(n) for n in (2, 3, 4, 5, 12, 40)] == [0, 1, 2, 4, 300, 300]
