"""Browser tests: Debian's chromium through Playwright, and axe-core over every page a test visits.

``chromium_page`` yields a fresh Chinese-locale page (desktop, or a phone with ``PHONE``) that records JavaScript
errors and error responses in ``page.problems`` and every page it navigates to in ``page.visited``.
``assert_accessible(page)`` runs the vendored axe-core (``static/vendor/axe-core``, used by the tests only) on the
page as it is and fails on any violation, whatever its impact; at the end of the test, a page that was visited but
never checked fails the test too — so a browser test checks every page it visits. Never ``playwright install``: the
browser is the system one (``make browser-deps``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"

# axe's rules minus none: every rule that applies, any impact. The page is run as a whole document.
AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                 nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' ' + n.html.slice(0, 160))}));
}"""


def chromium_pages(monkeypatch, **defaults):
    """Generator for a fixture that opens several pages: yields ``open_page(**context)`` giving a page in a fresh
    context (``defaults``, else ``DESKTOP``, updated by ``context``, e.g. geolocation). Fails, never skips, when
    chromium is missing. At teardown, fails if a page visited by any of them was never checked with
    ``assert_accessible``."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium fonts-noto-cjk); "
                    "`make test` does this first.", pytrace=False)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop on this thread; the ORM calls in the test are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    pw = sync_playwright().start()
    pages, contexts = [], []

    def open_page(**context):
        ctx = browser.new_context(locale="zh-CN", **((defaults or DESKTOP) | context))
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        ctx.on("page", watch)  # pages the test opens later in this context (a second tab) are watched too
        page = ctx.new_page()
        watch(page)
        return page

    def watch(page):
        if hasattr(page, "visited"):
            return
        pages.append(page)
        page.problems = []  # JavaScript errors, failed requests and error responses; the test asserts none
        page.visited, page.checked = [], set()
        page.on("pageerror", lambda exc: page.problems.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: msg.type == "error" and not msg.text.startswith("Failed to load resource")
                and page.problems.append(f"console: {msg.text}"))
        page.on("requestfailed", lambda req: page.problems.append(f"requestfailed: {req.url} {req.failure}"))
        # Error statuses by URL (the console only says "Failed to load resource"); no favicon is shipped.
        page.on("response", lambda resp: resp.status >= 400 and not resp.url.endswith("/favicon.ico")
                and page.problems.append(f"HTTP {resp.status}: {resp.request.method} {resp.url}"))
        page.on("framenavigated", lambda frame: frame == page.main_frame and frame.url.startswith("http")
                and page.visited.append(frame.url))

    unchecked = []
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield open_page
            unchecked = [u for p in pages for u in dict.fromkeys(p.visited) if u not in p.checked]
            for ctx in contexts:
                ctx.close()
        finally:
            browser.close()
    finally:
        # While Playwright's loop runs, Django keeps DB connections in context-local (not thread-local) storage, so
        # the ORM calls made meanwhile used a second connection that pytest-django never closes; on PostgreSQL it
        # would keep the test database from being dropped. Close it before the loop stops.
        connections.close_all()
        pw.stop()
    if unchecked:
        pytest.fail("pages visited without an accessibility check (call assert_accessible(page) on each):\n"
                    + "\n".join(dict.fromkeys(unchecked)), pytrace=False)


def chromium_page(monkeypatch, **context):
    """Generator for a fixture: one page in a fresh context (``DESKTOP`` unless told otherwise); see
    ``chromium_pages``."""
    opener = chromium_pages(monkeypatch, **context)
    open_page = next(opener)
    yield open_page()
    yield from opener


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now. The script is evaluated in the page (not added as a tag, which
    the Content-Security-Policy would refuse)."""
    from playwright.sync_api import Error

    for attempt in range(3):
        try:
            if not page.evaluate("() => typeof window.axe !== 'undefined'"):
                page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
            return page.evaluate(AXE_RUN)
        except Error as exc:
            # A navigation the test started (a form sent, a link tapped) was still committing: check the new page.
            if "context was destroyed" not in str(exc) or attempt == 2:
                raise
            page.wait_for_load_state("load")
    return []


def assert_accessible(page, where: str = "") -> None:
    """Fail on any axe-core violation of the current page (any impact), naming the rule and the elements."""
    page.wait_for_load_state("load")
    violations = axe_violations(page)
    if hasattr(page, "checked"):
        page.checked.add(page.url)
    assert not violations, f"axe-core on {where or page.url}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in violations)


def sign_in(page, live_server, user) -> None:
    """Sign ``user`` in through the login page as a person would (password and a second factor from a new TOTP
    device), land on the home page, and check both pages with axe-core."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from xinli.testing.fixtures import PASSWORD

    device = TOTPDevice.objects.create(user=user, name="browser", confirmed=True)
    page.goto(f"{live_server.url}/accounts/login/")
    assert_accessible(page, "login")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp", f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    assert_accessible(page, "home")
