"""Secrets never reach a log line, the audit log, a command's report, or Django's error report.

One scenario goes through a failed login, a login with password and TOTP, TOTP enrolment, API token issuance, key
generation and key rotation while every logger is captured at DEBUG; the password, the token, the TOTP secret, the
data keys and the index key must not appear in any captured record, in any audit entry, nor in the commands' output
(except ``generate_keys --print``, whose purpose is to print new keys). Then the error reports: the login views are
marked ``sensitive_post_parameters`` and the key-handling functions ``sensitive_variables``.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import sys

import pytest
from django.core.management import call_command
from django.test import Client
from django.views.debug import ExceptionReporter
from django_otp.oath import totp
from rest_framework.test import APIClient

from conftest import TEST_DATA_KEYS, TEST_INDEX_KEY
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.testing.fixtures import PASSWORD, login_verified, make_user

pytestmark = pytest.mark.django_db
WRONG_PASSWORD = "Not-The-Password-9!"


def _code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _haystack(caplog, *texts) -> str:
    parts = []
    for rec in caplog.records:
        parts.append(rec.getMessage())
        parts.append(repr(rec.args))
        parts.append(repr(rec.__dict__.get("request", "")))
        if rec.exc_info:
            parts.append(logging.Formatter().formatException(rec.exc_info))
    for e in AuditEntry.objects.all():
        parts.append(json.dumps({f.name: str(getattr(e, f.name)) for f in e._meta.fields}, ensure_ascii=False))
        parts.append(json.dumps(e.detail, ensure_ascii=False))
    parts.extend(texts)
    return "\n".join(parts)


def test_no_secret_in_logs_audit_or_command_output(tree, people, settings, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    for name in ("django", "django.request", "axes", "xinli", "huey"):
        caplog.set_level(logging.DEBUG, logger=name)
    user = make_user("counsellor_x", [(tree.a1, Role.COUNSELLOR)])
    secrets = {"password": PASSWORD, "wrong password": WRONG_PASSWORD}

    # A failed login, then a login with password and TOTP.
    client = Client()
    r = client.post("/accounts/login/", {"username": user.username, "password": WRONG_PASSWORD, "otp": "000000"})
    assert r.status_code == 403
    device = login_verified(client, user)
    secrets["TOTP secret (hex)"] = device.bin_key.hex()
    secrets["TOTP secret (base32)"] = base64.b32encode(device.bin_key).decode().rstrip("=")

    # TOTP enrolment of a user without a device: the secret is shown on the page (its purpose), never logged.
    newcomer = make_user("newcomer", [(tree.a1v1, Role.COMMUNITY_WORKER)])
    c2 = Client()
    c2.post("/accounts/login/", {"username": "newcomer", "password": PASSWORD})
    page = c2.get("/accounts/2fa/").content.decode()
    pending = newcomer.totpdevice_set.get(confirmed=False)
    secrets["enrolment secret (hex)"] = pending.bin_key.hex()
    secrets["enrolment secret (base32)"] = base64.b32encode(pending.bin_key).decode().rstrip("=")
    assert pending.bin_key.hex() in page
    assert c2.post("/accounts/2fa/", {"token": _code(pending)}).status_code == 302

    # An API token (a role that does not need TOTP).
    officer = make_user("publicity_x", [(tree.city, Role.PUBLICITY_OFFICER)])
    r = APIClient().post("/api/v1/auth/token/", {"username": officer.username, "password": PASSWORD}, format="json")
    assert r.status_code == 200
    secrets["API token"] = r.json()["token"]
    r = APIClient().post("/api/v1/auth/token/", {"username": officer.username, "password": WRONG_PASSWORD}, format="json")
    assert r.status_code in (400, 403)

    # Key generation into a file, and rotation to a new data key.
    out = io.StringIO()
    key_file = tmp_path / "keys.json"
    call_command("generate_keys", "--file", str(key_file), stdout=out)
    generated = json.loads(key_file.read_text())
    secrets["generated data key"] = generated["data_keys"][0][1]
    secrets["generated index key"] = generated["index_key"]
    printed = io.StringIO()
    call_command("generate_keys", "--print", stdout=printed)  # prints keys on purpose; they must not be logged
    for line in printed.getvalue().splitlines():
        secrets[f"printed {line.split('=')[0]}"] = line.split("=", 1)[1].split(":")[-1]
    new_key = base64.b64encode(bytes(range(100, 116))).decode()
    settings.XINLI_DATA_KEYS = f"t2:{new_key},{TEST_DATA_KEYS}"
    call_command("rotate_keys", stdout=out)
    secrets["old data key"] = TEST_DATA_KEYS.split(":", 1)[1]
    secrets["new data key"] = new_key
    secrets["index key"] = TEST_INDEX_KEY
    assert "re-encrypted with t2" in out.getvalue()
    assert AuditEntry.objects.filter(action="security", object_type="core.keys").exists()

    # The capture works (the failed login and the lockout library's message are in it) ...
    assert AuditEntry.objects.filter(action="login_failed").exists() or any("counsellor_x" in r.getMessage() for r in caplog.records)
    assert caplog.records, "nothing was captured: the test would prove nothing"
    # ... and holds no secret.
    hay = _haystack(caplog, out.getvalue())
    leaked = [name for name, value in secrets.items() if value and value in hay]
    assert not leaked, f"secrets in logs, audit entries or command output: {leaked}"


def test_error_reports_hide_passwords_and_keys(tree, settings):
    from xinli.core.crypto import build_keyring, keyring, parse_data_keys

    user = make_user("reporter_x", [(tree.a1, Role.COUNSELLOR)])
    # The request as the login view saw it: an error report made from it masks the password and the code.
    r = Client().post("/accounts/login/", {"username": user.username, "password": WRONG_PASSWORD, "otp": "123456"})
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        text = ExceptionReporter(r.wsgi_request, *sys.exc_info()).get_traceback_text()
    assert "reporter_x" in text and WRONG_PASSWORD not in text and "123456" not in text
    # The API token view, and the portal's resident log-in, are marked too.
    from xinli.accounts.api import obtain_token
    from xinli.accounts.views import login_view, two_factor_view, users_view
    from xinli.portal.views import account_login, account_register

    for view in (obtain_token, login_view, two_factor_view, users_view, account_login, account_register):
        assert _marked_sensitive_post(view), view
    # A key that fails to parse: the traceback's local variables do not show it.
    bad_key = base64.b64encode(bytes(range(15))).decode()  # 15 bytes: refused
    good_key = base64.b64encode(bytes(range(200, 216))).decode()
    for call in (lambda: parse_data_keys(f"k2:{good_key},k1:{bad_key}"), lambda: build_keyring(f"k2:{good_key}", "c2hvcnQ=")):
        try:
            call()
        except Exception:
            text = ExceptionReporter(None, *sys.exc_info()).get_traceback_text()
        else:
            raise AssertionError("a bad key was accepted")
        assert good_key not in text and bad_key not in text and "********" in text
    # A key ring shown anywhere (a log line, a local in a report) shows no key.
    ring = keyring()
    assert TEST_INDEX_KEY not in repr(ring) and repr(bytes(range(16))) not in repr(ring) and "index_key" not in repr(ring)


def _marked_sensitive_post(view) -> bool:
    """Call the view's chain far enough to see whether it marks the request: the decorator sets
    ``request.sensitive_post_parameters`` before anything else runs."""
    from django.test import RequestFactory

    request = RequestFactory().post("/x/", {"password": "p"})
    request.session = {}
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    try:
        view(request)
    except Exception:  # noqa: BLE001 - the view may fail without middleware; only the mark matters
        pass
    return "password" in getattr(request, "sensitive_post_parameters", ()) or "token" in getattr(
        request, "sensitive_post_parameters", ())
