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
def test_address_comes_from_the_proxy_header_like_the_audit_log(client, tight_limits):
    for n in range(3):
        client.post("/accounts/login/", {"username": f"u{n}", "password": "x"}, HTTP_X_FORWARDED_FOR="1.2.3.4, 10.9.9.9")
    limited = client.post("/accounts/login/", {"username": "u9", "password": "x"}, HTTP_X_FORWARDED_FOR="5.6.7.8, 10.9.9.9")
    other = client.post("/accounts/login/", {"username": "u9", "password": "x"}, HTTP_X_FORWARDED_FOR="10.9.9.8")
    assert limited.status_code == 429  # the last hop (the proxy's view of the client) is the key
    assert other.status_code != 429


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
    for url in (f"/p/awareness/{tree.a1v1.pk}/", "/p/cancel/", f"/p/book/{site.pk}/", f"/feedback/site/{site.pk}/"):
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

    monkeypatch.setattr(ratelimit.cache, "add", down)
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
