"""Issue 15 item 8: no browser or proxy keeps a copy of person data — every answer the application makes carries
Cache-Control: no-store (staff pages, API, downloads, portal); static files keep their cache lifetimes. HSTS defaults
to a year outside the demo, and prod_check fails without it."""

import datetime
import importlib
import io
import os
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from xinli.core.policy import Role
from xinli.reports.models import Report
from xinli.testing.fixtures import login_verified, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")]


def _no_store(response):
    return "no-store" in response.get("Cache-Control", "")


def test_staff_pages_api_and_downloads_are_not_stored(tree):
    officer = make_user("officer", [(tree.city, Role.HEALTH_OFFICER)])
    client = Client()
    login_verified(client, officer)
    assert _no_store(client.get("/"))
    assert _no_store(client.get("/reports/"))
    report = Report.objects.create(org_unit=tree.city, org_path=tree.city.path, year=datetime.date.today().year,
                                   state="done", content=b"docx")
    download = client.get(f"/reports/{report.pk}/download/")
    assert download.status_code == 200 and _no_store(download)
    api = client.get("/api/v1/persons/")
    assert api.status_code == 200 and _no_store(api)


def test_api_errors_and_anonymous_pages_are_not_stored(client):
    assert _no_store(client.get("/api/v1/persons/"))  # 401/403 JSON
    assert _no_store(client.get("/accounts/login/"))
    assert _no_store(client.get("/p/"))
    response = client.post("/p/test/phq9/", {f"q_{i}": "3" for i in range(1, 10)})
    assert _no_store(response)  # a self-test result
    static = client.get("/static/css/xinli.css")
    assert static.status_code == 200 and not _no_store(static)  # WhiteNoise answers before the middleware


def test_a_view_that_allows_caching_keeps_it_only_for_anonymous_non_api_answers(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    from xinli.core.middleware import NoStoreMiddleware

    def cacheable(request):
        response = HttpResponse("public")
        response["Cache-Control"] = "public, max-age=300"
        return response

    request = rf.get("/p/hotline/")
    request.user = AnonymousUser()
    assert NoStoreMiddleware(cacheable)(request)["Cache-Control"] == "public, max-age=300"
    api = rf.get("/api/v1/x/")
    api.user = AnonymousUser()
    assert "no-store" in NoStoreMiddleware(cacheable)(api)["Cache-Control"]


def _reload_settings(env):
    import xinli.settings as module

    clean = {k: v for k, v in os.environ.items() if k not in ("XINLI_HSTS_SECONDS", "XINLI_DEMO", "XINLI_DEBUG")}
    try:
        with mock.patch.dict(os.environ, {**clean, **env}, clear=True):
            return importlib.reload(module).SECURE_HSTS_SECONDS
    finally:
        importlib.reload(module)


def test_hsts_defaults_to_one_year_outside_the_demo():
    assert _reload_settings({}) == 31536000
    assert _reload_settings({"XINLI_DEMO": "1"}) == 0
    assert _reload_settings({"XINLI_HSTS_SECONDS": "600"}) == 600


@pytest.mark.parametrize("seconds", [0, 300])
def test_prod_check_fails_without_a_year_of_hsts(seconds):
    from xinli.core.tests.test_prod_check import PRODUCTION

    out = io.StringIO()
    with override_settings(**{**PRODUCTION, "SECURE_HSTS_SECONDS": seconds}), pytest.raises(CommandError):
        call_command("prod_check", stdout=out)
    assert "xinli.E006" in out.getvalue()
