"""Test-wide set-up: fixed test keys, fast password hashing, Huey in immediate mode, and the persona fixtures."""

import base64

import pytest

TEST_DATA_KEYS = "t1:" + base64.b64encode(bytes(range(16))).decode()
TEST_INDEX_KEY = base64.b64encode(bytes(range(32, 64))).decode()


@pytest.fixture(autouse=True, scope="session")
def _xinli_test_settings():
    from django.conf import settings
    from huey.contrib.djhuey import HUEY

    from xinli.core.crypto import reset_keyring

    settings.XINLI_DATA_KEYS = TEST_DATA_KEYS
    settings.XINLI_INDEX_KEY = TEST_INDEX_KEY
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.XINLI_DEMO = False
    settings.XINLI_REQUIRE_2FA = True
    HUEY.immediate = True
    reset_keyring()
    yield


pytest_plugins = ["xinli.testing.fixtures"]
