"""Tokens and passwords (issue 15 item 7): logout revokes the token, users list and revoke their tokens, the security
administrator revokes anyone's, password change with re-authentication, a reset that forces a change."""

import re

import pytest
from django.test import Client
from django_otp.oath import totp
from rest_framework.test import APIClient

from xinli.accounts import services
from xinli.accounts.models import ApiToken, User
from xinli.core.models import AuditEntry
from xinli.testing.fixtures import PASSWORD, login_verified

pytestmark = pytest.mark.django_db
NEW = "Neuer-Schluessel-2027"


def code(device):
    """The current code, usable again (a TOTP code is accepted once; these tests log in several times a second)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def api_login(user, device, password=PASSWORD):
    api = APIClient()
    r = api.post("/api/v1/auth/token/", {"username": user.username, "password": password, "otp": code(device)}, format="json")
    assert r.status_code == 200, r.content
    api.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    return api


def test_api_logout_revokes_the_token(personas, people):
    device = login_verified(Client(), personas.village_worker_1)
    api = api_login(personas.village_worker_1, device)
    assert api.get("/api/v1/persons/").status_code == 200
    assert api.post("/api/v1/auth/logout/").status_code == 204
    assert api.get("/api/v1/persons/").status_code == 401
    assert ApiToken.objects.get(user=personas.village_worker_1).revoked
    assert AuditEntry.objects.filter(action="logout", actor_username="village_worker_1").exists()


def test_users_list_and_revoke_their_own_tokens_through_the_api(personas, people):
    device = login_verified(Client(), personas.village_worker_1)
    first = api_login(personas.village_worker_1, device)
    second = api_login(personas.village_worker_1, device)
    rows = first.get("/api/v1/auth/tokens/").json()
    assert len(rows) == 2 and sum(r["current"] for r in rows) == 1 and all(len(r["prefix"]) == 8 for r in rows)
    other = next(r for r in rows if not r["current"])
    assert first.post(f"/api/v1/auth/tokens/{other['id']}/revoke/").status_code == 204
    assert second.get("/api/v1/persons/").status_code == 401
    assert first.get("/api/v1/persons/").status_code == 200
    # someone else's token is not theirs to revoke: 404, nothing changes
    _, foreign = services.issue_token(personas.counsellor)
    r = first.post(f"/api/v1/auth/tokens/{foreign.pk}/revoke/")
    assert r.status_code == 404 and not ApiToken.objects.get(pk=foreign.pk).revoked


def test_tokens_page_lists_and_revokes(client, personas):
    login_verified(client, personas.counsellor)
    key, token = services.issue_token(personas.counsellor)
    _, foreign = services.issue_token(personas.village_worker_1)
    page = client.get("/accounts/tokens/").content.decode()
    assert token.prefix in page and foreign.prefix not in page and key not in page
    assert client.post("/accounts/tokens/", {"action": "revoke", "token": foreign.pk}).status_code == 404
    assert not ApiToken.objects.get(pk=foreign.pk).revoked
    assert client.post("/accounts/tokens/", {"action": "revoke", "token": token.pk}).status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked
    assert AuditEntry.objects.filter(action="security", detail__token_revoked=token.prefix).exists()


def test_security_admin_revokes_any_users_tokens(client, personas):
    _, token = services.issue_token(personas.counsellor)
    login_verified(client, personas.security_admin)
    assert client.post("/accounts/security/", {"action": "revoke_tokens", "username": "counsellor"}).status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked
    other = Client()
    login_verified(other, personas.province_admin)  # the system administrator cannot
    _, token2 = services.issue_token(personas.counsellor)
    assert other.post("/accounts/security/", {"action": "revoke_tokens", "username": "counsellor"}).status_code == 404
    assert not ApiToken.objects.get(pk=token2.pk).revoked


def test_password_change_reauthenticates_and_ends_other_sessions_and_tokens(client, personas, people):
    user = personas.village_worker_1
    device = login_verified(client, user)
    elsewhere = Client()
    assert elsewhere.post("/accounts/login/", {"username": user.username, "password": PASSWORD, "otp": code(device)}).status_code == 302
    api = api_login(user, device)
    r = client.post("/accounts/password/", {"current_password": "Wrong-Pass-1", "new_password": NEW, "new_password2": NEW, "otp": code(device)})
    assert r.status_code == 400 and "当前口令" in r.content.decode()
    wrong = "000000" if code(device) != "000000" else "111111"
    r = client.post("/accounts/password/", {"current_password": PASSWORD, "new_password": NEW, "new_password2": NEW, "otp": wrong})
    assert r.status_code == 400
    r = client.post("/accounts/password/", {"current_password": PASSWORD, "new_password": "simplepassword", "new_password2": "simplepassword", "otp": code(device)})
    assert r.status_code == 400
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)  # nothing written
    r = client.post("/accounts/password/", {"current_password": PASSWORD, "new_password": NEW, "new_password2": NEW, "otp": code(device)})
    assert r.status_code == 302, re.findall(r'class="error[^>]*>([^<]+)', r.content.decode())
    assert User.objects.get(pk=user.pk).check_password(NEW)
    assert client.get("/persons/").status_code == 200  # this session stays
    assert elsewhere.get("/persons/").status_code == 302  # the other one ended
    assert api.get("/api/v1/persons/").status_code == 401  # and the token
    assert AuditEntry.objects.filter(action="security", detail__password_changed=True, actor_username=user.username).exists()


def test_password_change_through_the_api_keeps_the_token_used(personas, people):
    user = personas.village_worker_1
    device = login_verified(Client(), user)
    api, other = api_login(user, device), api_login(user, device)
    r = api.post("/api/v1/auth/password/", {"current_password": "nope", "new_password": NEW}, format="json")
    assert r.status_code == 400 and "current_password" in r.json() and " / " in r.json()["current_password"][0]
    r = api.post("/api/v1/auth/password/", {"current_password": PASSWORD, "new_password": NEW, "otp": code(device)}, format="json")
    assert r.status_code == 204, r.content
    assert api.get("/api/v1/persons/").status_code == 200
    assert other.get("/api/v1/persons/").status_code == 401


def test_reset_by_the_security_admin_forces_a_change_at_next_login(client, personas, people):
    user = personas.village_worker_1
    device = login_verified(Client(), user)
    _, token = services.issue_token(user)
    admin = Client()
    login_verified(admin, personas.security_admin)
    page = admin.post("/accounts/security/", {"action": "reset_password", "username": user.username}).content.decode()
    temporary = re.search(r"village_worker_1[^:：]*[:：]\s*(\S+?)\s*[—-]{1,2}\s", page).group(1)
    assert ApiToken.objects.get(pk=token.pk).revoked
    assert AuditEntry.objects.filter(action="security", detail__password_reset=True, actor_username="security_admin").exists()
    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD, "otp": code(device)}).status_code == 403
    assert client.post("/accounts/login/", {"username": user.username, "password": temporary, "otp": code(device)}).status_code == 302
    r = client.get("/persons/")
    assert r.status_code == 302 and r["Location"].endswith("/accounts/password/")
    assert client.get("/api/v1/persons/").status_code == 403
    r = APIClient().post("/api/v1/auth/token/", {"username": user.username, "password": temporary, "otp": code(device)}, format="json")
    assert r.status_code == 403 and "/accounts/password/" in r.json()["detail"]
    assert "管理员" in client.get("/accounts/password/").content.decode()
    r = client.post("/accounts/password/", {"current_password": temporary, "new_password": NEW, "new_password2": NEW, "otp": code(device)})
    assert r.status_code == 302
    assert client.get("/persons/").status_code == 200


def test_security_admin_cannot_reset_own_password_and_others_cannot_reset(client, personas):
    login_verified(client, personas.security_admin)
    r = client.post("/accounts/security/", {"action": "reset_password", "username": "security_admin"})
    assert r.status_code in (403, 404) and User.objects.get(username="security_admin").check_password(PASSWORD)
    other = Client()
    login_verified(other, personas.province_admin)
    assert other.post("/accounts/security/", {"action": "reset_password", "username": "counsellor"}).status_code == 404
    assert User.objects.get(username="counsellor").check_password(PASSWORD)


def test_an_account_created_by_an_administrator_changes_its_initial_password(client, tree, personas):
    login_verified(client, personas.province_admin)
    client.post("/accounts/users/", {"action": "create", "username": "new_pub", "display_name": "宣传", "password": "Initial-Pass-2026",
                                     "role": "publicity_officer", "org_unit": tree.city.pk})
    assert User.objects.get(username="new_pub").must_change_password
