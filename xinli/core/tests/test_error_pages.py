"""Error pages read in the user's language, keep the site's header and show the way back; the API keeps JSON.
The tests run with DEBUG False, as production does."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, RequestFactory, override_settings

from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db
ERRORS = "xinli.core.tests.error_urls"


def _page(response) -> str:
    return response.content.decode()


def test_a_village_worker_opening_the_hotline_gets_a_chinese_404_page_with_the_staff_header(personas):
    assert not settings.DEBUG
    client = Client()
    login_verified(client, personas.village_worker_1)
    r = client.get("/hotline/", HTTP_REFERER="http://testserver/persons/")
    body = _page(r)
    assert r.status_code == 404
    assert "Not Found" not in body and "页面不存在" in body
    assert 'class="topbar"' in body and "退出" in body  # the staff header, signed in
    assert 'href="/"' in body and 'href="/persons/"' in body  # home, and back where the user came from
    assert "12356" not in body


def test_a_404_page_follows_the_language_switch(personas):
    client = Client()
    login_verified(client, personas.village_worker_1)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = _page(client.get("/no-such-page/"))
    assert "Page not found" in body and "页面不存在" not in body


def test_a_portal_404_has_the_portal_hotline_bar_and_no_staff_wording():
    r = Client().get("/p/articles/999999/")
    body = _page(r)
    assert r.status_code == 404
    assert "hotline-bar" in body and 'href="tel:12356"' in body
    assert 'href="/p/"' in body and "所有访问均被记录" not in body


def test_the_api_keeps_json_errors():
    r = Client().get("/api/v1/no-such-route/")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json")
    assert " / " in r.json()["detail"]  # both languages for API clients


@override_settings(ROOT_URLCONF=ERRORS)
def test_403_and_400_pages_are_chinese_with_a_way_home(personas):
    client = Client()
    login_verified(client, personas.village_worker_1)
    r = client.get("/denied/")
    assert r.status_code == 403 and "无权访问" in _page(r) and 'href="/"' in _page(r) and "403 Forbidden" not in _page(r)
    r = client.get("/bad/")
    assert r.status_code == 400 and "请求有误" in _page(r)
    r = client.get("/api/v1/denied/")
    assert r.status_code == 403 and r["Content-Type"].startswith("application/json")


@override_settings(ROOT_URLCONF=ERRORS)
def test_500_page_is_chinese_and_static(personas):
    client = Client(raise_request_exception=False)
    login_verified(client, personas.village_worker_1)
    r = client.get("/boom/")
    assert r.status_code == 500 and "服务器错误" in _page(r) and "Server Error (500)" not in _page(r)
    assert 'href="/"' in _page(r)
    r = client.get("/p/boom/")
    assert r.status_code == 500 and "hotline-bar" in _page(r) and 'href="/p/"' in _page(r)
    r = client.get("/api/v1/boom/")
    assert r.status_code == 500 and r["Content-Type"].startswith("application/json")


def test_the_500_page_renders_without_the_database(django_assert_num_queries):
    from xinli.core.views import server_error

    request = RequestFactory().get("/persons/")  # no user, no session: nothing the page needs
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500 and "服务器错误" in response.content.decode()


def test_an_expired_form_says_so_in_chinese(personas):
    client = Client(enforce_csrf_checks=True)
    r = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert r.status_code == 403 and "表单已过期" in _page(r)
