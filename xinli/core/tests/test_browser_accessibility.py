"""Real browser: every role's main pages, the portal on a phone and the error pages pass axe-core with no violation
of any impact, and read in Chinese.

The demo region (``seed_demo --size tiny``) gives every role data to show; each demo account's main pages are the
first page kinds reached from its home page (``xinli.testing.crawl``: the header's links, then their first links).
Each account signs in through the Django test client and hands its session cookie to the browser."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.test import Client

from xinli.accounts.models import User
from xinli.testing.browser import PHONE, assert_accessible, chromium_page
from xinli.testing.crawl import crawl
from xinli.testing.fixtures import PASSWORD, login_verified

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES_PER_ROLE = 12


@pytest.fixture
def desktop(live_server, monkeypatch):
    yield from chromium_page(monkeypatch)


@pytest.fixture
def phone(live_server, monkeypatch):
    yield from chromium_page(monkeypatch, **PHONE)


@pytest.fixture
def demo_accounts(tmp_path):
    accounts = tmp_path / "accounts.json"
    call_command("seed_demo", size="tiny", seed=1, accounts_file=str(accounts))
    names = [a["username"] for a in json.loads(accounts.read_text())]
    for user in User.objects.filter(username__in=names):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    yield names
    _forget_hotline_records()


def _forget_hotline_records():
    """The demo's hotline calls are younger than the 3-year retention the database enforces; this test database is
    emptied after the test, so lift the guard for the moment it takes to delete them, then put it back."""
    import importlib

    from django.db import connection

    retention = importlib.import_module("xinli.hotline.migrations.0002_call_retention_guard")
    down, up = ((retention.PG_DOWN,), (retention.PG_UP,)) if connection.vendor == "postgresql" else (
        retention.SQLITE_DOWN, retention.SQLITE_UP)
    with connection.cursor() as cursor:
        for sql in down:
            cursor.execute(sql)
        try:
            cursor.execute("DELETE FROM hotline_calldetailrecord")
            cursor.execute("DELETE FROM hotline_call")
        finally:
            for sql in up:
                cursor.execute(sql)


def _sign_in(page, live_server, user) -> Client:
    client = Client()
    login_verified(client, user)
    page.context.clear_cookies()
    page.context.add_cookies([{"name": name, "value": morsel.value, "url": live_server.url}
                              for name, morsel in client.cookies.items()])
    return client


def test_every_roles_main_pages_pass_axe(desktop, live_server, demo_accounts):
    page, checked, failures = desktop, set(), []
    for username in demo_accounts:
        client = _sign_in(page, live_server, User.objects.get(username=username))
        for found in crawl(client, "/", limit=PAGES_PER_ROLE):
            if (username, found.url) in checked or not found.document:
                continue
            checked.add((username, found.url))
            page.goto(live_server.url + found.url)
            assert page.locator("html").get_attribute("lang") == "zh-hans"
            try:
                assert_accessible(page, f"{found.url} as {username}")
            except AssertionError as exc:  # report every page at once
                failures.append(str(exc))
    assert not failures, "\n".join(dict.fromkeys(failures))
    assert len(checked) > 3 * len(demo_accounts)
    assert not page.problems, page.problems


def test_the_portal_passes_axe_on_a_phone(phone, live_server, demo_accounts):
    page = phone
    for found in crawl(Client(), "/p/", limit=12):
        if not found.document:
            continue
        page.goto(live_server.url + found.url)
        assert_accessible(page, found.url)
    assert not page.problems, page.problems


def test_a_village_worker_opening_the_hotline_sees_a_chinese_404_page_that_passes_axe(desktop, live_server, personas):
    from playwright.sync_api import expect

    page = desktop
    _sign_in(page, live_server, personas.village_worker_1)
    page.goto(f"{live_server.url}/persons/")
    assert_accessible(page)
    response = page.goto(f"{live_server.url}/hotline/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("页面不存在")
    expect(page.locator("header.topbar .who")).to_be_visible()  # the staff header, signed in
    expect(page.locator("main")).not_to_contain_text("Not Found")
    assert_accessible(page)
    page.get_by_role("link", name="返回首页").click()
    page.wait_for_url(f"{live_server.url}/")
    assert_accessible(page)
    page.problems.clear()  # the 404 itself was the point


def test_a_portal_404_on_a_phone_has_the_hotline_bar_and_passes_axe(phone, live_server):
    from playwright.sync_api import expect

    page = phone
    response = page.goto(f"{live_server.url}/p/articles/999999/")
    assert response.status == 404
    expect(page.locator(".hotline-bar a[href='tel:12356']")).to_be_visible()
    expect(page.locator("h1")).to_have_text("页面不存在")
    assert_accessible(page)
    page.get_by_role("link", name="返回心理自助首页").click()
    page.wait_for_url(f"{live_server.url}/p/")
    assert_accessible(page)
