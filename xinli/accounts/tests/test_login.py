import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from xinli.accounts.models import ApiToken
from xinli.core.models import AuditEntry
from xinli.testing.fixtures import PASSWORD, login_verified

pytestmark = pytest.mark.django_db


def code(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_password_must_be_long_and_mixed():
    for weak in ("short1!", "alllowercaseletters", "abcdefghij12"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Xinli-Strong-2026")


def test_login_with_password_and_totp_then_pages_open(client, personas, people):
    login_verified(client, personas.village_worker_1)
    r = client.get("/persons/")
    assert r.status_code == 200
    assert "张三丰" in r.content.decode()
    assert AuditEntry.objects.filter(action="login", actor_username="village_worker_1").exists()


def test_missing_or_wrong_totp_code_is_refused(client, personas):
    device = TOTPDevice.objects.create(user=personas.village_worker_1, name="t", confirmed=True)
    r = client.post("/accounts/login/", {"username": "village_worker_1", "password": PASSWORD})
    assert r.status_code == 403 and "动态口令" in r.content.decode()  # a page: the reader's language only
    r = client.post("/accounts/login/", {"username": "village_worker_1", "password": PASSWORD, "otp": "000000" if code(device) != "000000" else "111111"})
    assert r.status_code == 403
    assert client.get("/persons/").status_code == 302  # still logged out


def test_person_data_roles_without_a_device_must_enrol_before_anything_else(client, personas, people):
    r = client.post("/accounts/login/", {"username": "village_worker_1", "password": PASSWORD})
    assert r.status_code == 302
    r = client.get("/persons/")
    assert r.status_code == 302 and r["Location"].endswith("/accounts/2fa/")
    r = client.get("/api/v1/persons/")
    assert r.status_code == 403
    page = client.get("/accounts/2fa/")
    assert page.status_code == 200 and b"<svg" in page.content
    device = TOTPDevice.objects.get(user=personas.village_worker_1, confirmed=False)
    r = client.post("/accounts/2fa/", {"token": code(device)})
    assert r.status_code == 302
    assert client.get("/persons/").status_code == 200


def test_demo_accounts_skip_two_factors_only_on_a_demo_instance(client, personas, settings):
    user = personas.village_worker_1
    user.is_demo = True
    user.save()
    settings.XINLI_DEMO = False
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert client.get("/persons/").status_code == 302
    client.logout()
    settings.XINLI_DEMO = True
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert client.get("/persons/").status_code == 200


def test_account_locks_after_repeated_failures_and_security_admin_unlocks(client, personas, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "village_worker_1", "password": "Wrong-Password-1"})
    r = client.post("/accounts/login/", {"username": "village_worker_1", "password": PASSWORD})
    assert r.status_code == 403
    assert "账号已被锁定" in r.content.decode()
    admin = APIClient()
    login_verified(admin, personas.security_admin)
    page = admin.get("/accounts/security/")
    assert "village_worker_1" in page.content.decode()
    admin.post("/accounts/security/", {"action": "unlock", "username": "village_worker_1"})
    device = TOTPDevice.objects.create(user=personas.village_worker_1, name="t", confirmed=True)
    r = client.post("/accounts/login/", {"username": "village_worker_1", "password": PASSWORD, "otp": code(device)})
    assert r.status_code == 302
    assert AuditEntry.objects.filter(action="security", detail__unlock=True).exists()


def test_idle_session_times_out(client, personas, settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_COOKIE_AGE <= 1800
    login_verified(client, personas.village_worker_1)
    session = client.session
    session.set_expiry(-1)
    session.save()
    assert client.get("/persons/").status_code == 302


def test_api_token_needs_password_and_totp(personas, people):
    device = TOTPDevice.objects.create(user=personas.village_worker_1, name="t", confirmed=True)
    api = APIClient()
    r = api.post("/api/v1/auth/token/", {"username": "village_worker_1", "password": PASSWORD}, format="json")
    assert r.status_code == 400 and "One-time code" in r.json()["detail"]
    r = api.post("/api/v1/auth/token/", {"username": "village_worker_1", "password": PASSWORD, "otp": code(device)}, format="json")
    assert r.status_code == 200
    key = r.json()["token"]
    assert not ApiToken.objects.filter(key_hash=key).exists()  # only the hash is stored
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    r = api.get("/api/v1/persons/")
    assert r.status_code == 200 and r.json()["count"] == 1
    api.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert api.get("/api/v1/persons/").status_code == 401


def test_token_request_with_bad_input_is_a_clear_400(db):
    api = APIClient()
    r = api.post("/api/v1/auth/token/", {"username": "x"}, format="json")
    assert r.status_code == 400 and "password" in r.json()
    r = api.post("/api/v1/auth/token/", {"username": "x", "password": "y", "extra": 1}, format="json")
    assert r.status_code == 400 and "extra" in r.json()


def test_administrator_roles_are_separate_and_read_no_person_data(client, personas, people):
    login_verified(client, personas.audit_admin)
    assert client.get("/audit/").status_code == 200
    assert client.get("/accounts/security/").status_code == 404
    assert client.get("/persons/").status_code == 404
    assert client.get(f"/persons/{people.in_a1v1.pk}/").status_code == 404
