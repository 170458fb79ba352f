"""``manage.py prod_check`` (make prod-check): a development configuration fails with every problem named; a
production configuration passes with exit code 0."""

import base64
import io
import os

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from xinli.core.checks import check_keys

pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")

POSTGRES = {"ENGINE": "django.db.backends.postgresql", "NAME": "xinli", "USER": "xinli", "HOST": "127.0.0.1", "PORT": "5432"}
PRODUCTION = {
    "SECRET_KEY": base64.urlsafe_b64encode(os.urandom(48)).decode(),
    "DEBUG": False,
    "XINLI_DEMO": False,
    "XINLI_DATA_KEYS": "k1:" + base64.b64encode(os.urandom(16)).decode(),
    "XINLI_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_SSL_REDIRECT": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "ALLOWED_HOSTS": ["xinli.example.gov.cn"],
    "DATABASES": {"default": POSTGRES, "replica": {**POSTGRES, "HOST": "10.0.0.2"}},
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "HUEY": {"huey_class": "huey.RedisHuey", "name": "xinli", "url": "redis://127.0.0.1:6379/0"},
    "XINLI_REQUIRE_2FA": True,
}


def run() -> str:
    out = io.StringIO()
    call_command("prod_check", stdout=out)
    return out.getvalue()


def test_production_configuration_passes():
    with override_settings(**PRODUCTION):
        out = run()  # raises CommandError (exit code 1) on any failure
    assert "production check passed" in out and "FAIL" not in out


def test_development_configuration_fails_naming_every_problem():
    bad = {**PRODUCTION, "SECRET_KEY": "insecure-placeholder-key", "DEBUG": True, "XINLI_DEMO": True, "XINLI_DATA_KEYS": "",
           "SECURE_HSTS_SECONDS": 0, "SECURE_SSL_REDIRECT": False, "SECURE_PROXY_SSL_HEADER": None,
           "SESSION_COOKIE_SECURE": False, "ALLOWED_HOSTS": ["*"], "CONTENT_SECURITY_POLICY": {},
           "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x.sqlite3"}}, "REDIS_URL": "",
           "HUEY": {"huey_class": "huey.SqliteHuey"}, "XINLI_REQUIRE_2FA": False}
    out = io.StringIO()
    with override_settings(**bad), pytest.raises(CommandError) as exc:
        call_command("prod_check", stdout=out)
    text = out.getvalue()
    for n in range(1, 14):
        if n == 5:
            continue  # invalid keys: below (here the keys are missing, E004)
        assert f"FAIL xinli.E{n:03d}" in text, n
    assert "FAIL security.W004" in text and "FAIL security.W009" in text  # Django's own deployment checks run too
    assert "XINLI_SECURE_COOKIES=1" in text and "调试模式已开启" in text  # the fix and the Chinese message are shown
    assert "production check failed" in str(exc.value) and "xinli.E011" in str(exc.value)


def test_one_problem_alone_fails():
    with override_settings(**{**PRODUCTION, "CSRF_COOKIE_SECURE": False}), pytest.raises(CommandError) as exc:
        run()
    assert "xinli.E008" in str(exc.value) and "xinli.E001" not in str(exc.value)


@pytest.mark.parametrize("keys,index", [("k1:c2hvcnQ=", base64.b64encode(os.urandom(32)).decode()),  # 5-byte SM4 key
                                        ("k1:" + base64.b64encode(os.urandom(16)).decode(), "c2hvcnQ="),  # short index key
                                        ("no-colon", base64.b64encode(os.urandom(32)).decode())])
def test_invalid_keys_are_named(keys, index):
    with override_settings(XINLI_DATA_KEYS=keys, XINLI_INDEX_KEY=index):
        assert [e.id for e in check_keys()] == ["xinli.E005"]
    with override_settings(XINLI_DATA_KEYS=PRODUCTION["XINLI_DATA_KEYS"], XINLI_INDEX_KEY=PRODUCTION["XINLI_INDEX_KEY"]):
        assert check_keys() == []
