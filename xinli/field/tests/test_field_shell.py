"""The field app's shell (/field/), manifest and service worker: what they hold and who gets what. No person data in
any of them — the service worker caches the shell only, never an API answer."""

import json
import re

import pytest
from django.test import Client

from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db


def _config(page: str) -> dict:
    return json.loads(re.search(r'<script id="field-config" type="application/json">(.*?)</script>', page, re.S).group(1))


def test_the_shell_carries_labels_and_rights_but_no_person(personas, people, settings):
    settings.XINLI_FIELD_STORE_HOURS = 48
    c = Client()
    login_verified(c, personas.smd_doctor)
    page = c.get("/field/").content.decode()
    config = _config(page)
    assert (config["user"], config["may_sync"], config["may_assess"]) == (personas.smd_doctor.username, True, False)
    assert config["labels"]["kind"]["smd_follow_up"] == "严重精神障碍患者随访" and config["labels"]["mode"]["home"] == "家庭访视"
    assert config["text"]["waiting"] == "待同步 %(n)s 条"
    assert config["ttl_hours"] == 48  # the store's life without a sync: configurable
    assert config["units"] == [{"id": a.org_unit_id, "name": a.org_unit.name} for a in personas.smd_doctor.active_assignments()]
    assert all(p.name not in page for p in people.all())
    c = Client()
    login_verified(c, personas.counsellor)  # no field work: told so, and may not assess through the app's sync either
    config = _config(c.get("/field/").content.decode())
    assert (config["may_sync"], config["may_assess"], config["units"]) == (False, True, [])
    assert Client().get("/field/").status_code == 302  # the shell needs a login; offline it comes from the cache


def test_manifest_and_service_worker():
    c = Client()
    manifest = c.get("/field/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    data = manifest.json()
    assert (data["start_url"], data["scope"], data["display"]) == ("/field/", "/field/", "standalone")
    sw = c.get("/field/sw.js")
    assert sw["Content-Type"].startswith("application/javascript") and sw["Service-Worker-Allowed"] == "/field/"
    body = sw.content.decode()
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", body).group(1))
    assert "/field/" in shell and any(u.endswith("js/field/app.js") for u in shell) and any(u.endswith("sm4.js") for u in shell)
    assert not any("/api/" in u for u in shell) and 'url.pathname.startsWith("/api/")) return' in body
