"""Per-client-address rate limits on login and anonymous portal submissions (xinli/core/ratelimit.py)."""

import pytest

from xinli.core import ratelimit


@pytest.fixture
def tight_limits(settings, monkeypatch):
    settings.XINLI_RATE_LIMITS = {"login": (3, 60), "portal": (2, 60)}
    clock = [1_000_000.0]  # the start of a window
    monkeypatch.setattr(ratelimit, "_now", lambda: clock[0])
    return clock


def _login(client, n, addr="10.0.0.1"):
    return client.post("/accounts/login/", {"username": f"nobody{n}", "password": "wrong-Password-1", "otp": ""},
                       REMOTE_ADDR=addr)


@pytest.mark.django_db
def test_login_is_limited_per_address_and_resets_after_the_window(client, tight_limits):
    for n in range(3):
        assert _login(client, n).status_code == 403  # wrong password, still counted
    response = _login(client, 3)
    assert response.status_code == 429
    body = response.content.decode()
    assert "来自您地址的尝试次数过多" in body and "Too many attempts" not in body  # a page: the reader's language
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another address is not affected.
    assert _login(client, 4, addr="10.0.0.2").status_code == 403
    # The next window starts from zero.
    tight_limits[0] += 60
    assert _login(client, 5).status_code == 403


@pytest.mark.django_db
def test_a_spoofed_forwarded_header_from_an_untrusted_peer_does_not_escape_the_limit(client, tight_limits, settings):
    """Issue 15 item 4: without XINLI_TRUSTED_PROXIES a new X-Forwarded-For per attempt must not open a new bucket."""
    settings.XINLI_TRUSTED_PROXIES = ""
    for n in range(3):
        client.post("/accounts/login/", {"username": f"u{n}", "password": "x"}, REMOTE_ADDR="10.0.0.5",
                    HTTP_X_FORWARDED_FOR=f"1.2.3.{n}")
    limited = client.post("/accounts/login/", {"username": "u9", "password": "x"}, REMOTE_ADDR="10.0.0.5",
                          HTTP_X_FORWARDED_FOR="9.9.9.9")
    assert limited.status_code == 429  # the bucket is REMOTE_ADDR's
    assert _login(client, 10, addr="10.0.0.6").status_code != 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_client_hop_is_the_bucket(client, tight_limits, settings):
    settings.XINLI_TRUSTED_PROXIES = "127.0.0.1"
    for n in range(3):  # the client forged a left part; nginx appended the real address 1.2.3.4
        client.post("/accounts/login/", {"username": f"u{n}", "password": "x"}, REMOTE_ADDR="127.0.0.1",
                    HTTP_X_FORWARDED_FOR=f"7.7.7.{n}, 1.2.3.4")
    limited = client.post("/accounts/login/", {"username": "u9", "password": "x"}, REMOTE_ADDR="127.0.0.1",
                          HTTP_X_FORWARDED_FOR="1.2.3.4")
    other = client.post("/accounts/login/", {"username": "u9", "password": "x"}, REMOTE_ADDR="127.0.0.1",
                        HTTP_X_FORWARDED_FOR="1.2.3.5")
    assert limited.status_code == 429
    assert other.status_code != 429


def test_the_limit_is_shared_by_two_workers_on_one_cache_backend(tight_limits, monkeypatch, tmp_path, rf):
    """Two web workers = two cache clients on one backend (Redis in production; here a file cache, also shared between
    processes): the third request through the second worker is over the limit of the first two."""
    from django.core.cache.backends.filebased import FileBasedCache

    worker_a = FileBasedCache(str(tmp_path), {})
    worker_b = FileBasedCache(str(tmp_path), {})
    request = rf.post("/p/test/phq9/", REMOTE_ADDR="10.1.1.1")
    monkeypatch.setattr(ratelimit, "_cache", lambda: worker_a)
    assert ratelimit.check("portal", request) == 0
    assert ratelimit.check("portal", request) == 0
    monkeypatch.setattr(ratelimit, "_cache", lambda: worker_b)
    assert ratelimit.check("portal", request) > 0  # limit 2 per window, counted across both workers


def test_production_cache_is_shared(settings):
    """The counters are in the default cache, which is Redis whenever REDIS_URL is set (and prod_check requires it)."""
    import importlib
    import os
    from unittest import mock

    import xinli.settings as module

    with mock.patch.dict(os.environ, {"REDIS_URL": "redis://127.0.0.1:6379/0"}):
        reloaded = importlib.reload(module)
        assert reloaded.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    importlib.reload(module)


@pytest.mark.django_db
def test_api_token_answers_json_429(client, tight_limits):
    for n in range(3):
        assert client.post("/api/v1/auth/token/", {"username": f"n{n}", "password": "wrong-Password-1"},
                           content_type="application/json").status_code == 400
    response = client.post("/api/v1/auth/token/", {"username": "n9", "password": "wrong-Password-1"},
                           content_type="application/json")
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert "Too many attempts" in response.json()["detail"]


@pytest.mark.django_db
def test_portal_self_test_submissions_are_limited_but_reading_is_not(client, tight_limits):
    for _ in range(2):
        assert client.post("/p/test/phq9/", {}).status_code in (200, 400)
    response = client.post("/p/test/phq9/", {})
    assert response.status_code == 429
    assert "尝试次数过多" in response.content.decode()
    assert client.get("/p/test/phq9/").status_code == 200  # only submissions count
    tight_limits[0] += 61
    assert client.post("/p/test/phq9/", {}).status_code in (200, 400)


@pytest.mark.django_db
def test_portal_forms_share_one_bucket(client, tight_limits, tree):
    import datetime

    from xinli.core.policy import Role
    from xinli.network import services as network
    from xinli.testing.fixtures import make_user

    officer = make_user("net_officer", [(tree.city, Role.HEALTH_OFFICER)])
    site = network.create_site(officer, org_unit=tree.a1v1, name="咨询室1", kind="village_room",
                               opened_on=datetime.date(2024, 1, 1))
    assert client.post(f"/feedback/site/{site.pk}/", {"score": "5"}).status_code == 200  # satisfaction survey
    assert client.post(f"/p/book/{site.pk}/", {"slot": "0"}).status_code != 429  # booking
    from xinli.outreach.models import AwarenessLink
    from xinli.outreach.services import sample_survey

    link = AwarenessLink.objects.create(survey=sample_survey(), org_unit=tree.a1v1, org_path=tree.a1v1.path)
    for url in (f"/p/awareness/{link.token}/", "/p/cancel/", f"/p/book/{site.pk}/", f"/feedback/site/{site.pk}/"):
        response = client.post(url, {})
        assert response.status_code == 429, url
        assert response["Retry-After"]


@pytest.mark.django_db
def test_a_zero_limit_turns_the_bucket_off(client, settings):
    settings.XINLI_RATE_LIMITS = {"login": (0, 60), "portal": (0, 60)}
    assert all(_login(client, n).status_code == 403 for n in range(6))


@pytest.mark.django_db
def test_a_cache_outage_serves_the_request_uncounted(client, tight_limits, monkeypatch, caplog):
    """Redis down (bench/bench_faults.py redis): login and portal forms must still answer, not 500."""

    def down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    from django.core.cache import cache

    monkeypatch.setattr(cache, "add", down)
    for n in range(5):  # more than the limit of 3: nothing is counted while the cache is down
        assert _login(client, n).status_code == 403
    assert "rate limit login not counted" in caplog.text


@pytest.mark.django_db
def test_wrong_campaign_codes_are_limited_right_ones_are_not(client, settings, monkeypatch):
    """Codes cannot be found by trying: wrong codes count per address (pages and API share the bucket); a right
    code is never counted, and once the address is over the limit even a lookup is refused until the window ends."""
    settings.XINLI_RATE_LIMITS = {"code": (3, 60)}
    clock = [1_000_000.0]
    monkeypatch.setattr(ratelimit, "_now", lambda: clock[0])
    for n in range(2):
        assert client.post("/s/", {"code": f"WRONG00{n}"}, REMOTE_ADDR="10.0.0.7").status_code == 400
    assert client.get("/s/WRONG009/", REMOTE_ADDR="10.0.0.7").status_code == 400
    api = client.post("/api/v1/campaign-submissions/", {"code": "WRONG010", "responses": {"phq9": {}}},
                      content_type="application/json", REMOTE_ADDR="10.0.0.7")
    assert api.status_code == 429 and "Retry-After" in api
    assert client.post("/s/", {"code": "WRONG011"}, REMOTE_ADDR="10.0.0.7").status_code == 429
    assert client.post("/s/", {"code": "WRONG012"}, REMOTE_ADDR="10.0.0.8").status_code == 400  # another address
    clock[0] += 60
    assert client.post("/s/", {"code": "WRONG013"}, REMOTE_ADDR="10.0.0.7").status_code == 400
