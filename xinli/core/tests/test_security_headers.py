import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_pages_send_csp_and_framing_headers(client):
    r = client.get("/accounts/login/")
    csp = r["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r["X-Frame-Options"] == "DENY"
    assert r["X-Content-Type-Options"] == "nosniff"


def test_no_page_or_asset_loads_anything_from_outside():
    pattern = re.compile(r"(src|href)=[\"']https?://", re.I)
    roots = [Path(settings.BASE_DIR) / "templates", Path(settings.BASE_DIR) / "static"]
    offenders = [str(p) for root in roots for p in root.rglob("*") if p.is_file() and p.suffix in {".html", ".js", ".css"}
                 and pattern.search(p.read_text(encoding="utf-8", errors="ignore"))]
    assert offenders == []


def test_login_page_has_no_inline_script(client):
    html = client.get("/accounts/login/").content.decode()
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert "onchange=" not in html and "onclick=" not in html
