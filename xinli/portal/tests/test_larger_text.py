"""The larger-text mode (适老化): one switch on every portal page, remembered in a cookie across pages and visits."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_switch_turns_on_larger_text_for_every_later_page(tree):
    client = Client()
    assert 'class="large-text"' not in client.get("/p/").content.decode()
    r = client.post("/p/text-size/", {"size": "large", "next": "/p/articles/?q=%E7%9D%A1"})
    assert r.status_code == 302 and r["Location"] == "/p/articles/?q=%E7%9D%A1"
    cookie = r.cookies["xinli_text"]
    assert cookie.value == "large" and int(cookie["max-age"]) >= 180 * 24 * 3600 and cookie["httponly"]
    for url in ("/p/", "/p/sites/", "/p/cancel/", "/p/account/login/"):
        html = client.get(url).content.decode()
        assert '<html lang="zh-hans" class="large-text">' in html, url
        assert ">标准字号</button>" in html and 'name="size" type="hidden" value="normal"' in html, url
    # A return visit: a new browser session with the cookie kept.
    again = Client()
    again.cookies["xinli_text"] = "large"
    assert 'class="large-text"' in again.get("/p/events/").content.decode()
    r = client.post("/p/text-size/", {"size": "normal", "next": "/p/"})
    assert r.cookies["xinli_text"].value == "" and 'class="large-text"' not in client.get("/p/").content.decode()


def test_switch_goes_back_only_to_a_portal_page():
    client = Client()
    for target in ("https://evil.example/", "//evil.example/p/", "/admin/", ""):
        assert client.post("/p/text-size/", {"size": "large", "next": target})["Location"] == "/p/", target
    assert client.get("/p/text-size/").status_code == 405
