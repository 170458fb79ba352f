"""Every portal page — whatever its URL and state — shows the 12356 bar, the residents' privacy note (not the staff
footer), the larger-text switch, and a logo that leads to the portal. The layout is structural: every portal
template extends portal/base.html, and this test walks every URL pattern of the portal."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from xinli.portal import urls as portal_urls

pytestmark = pytest.mark.django_db

STAFF_FOOTER = ("所有访问均被记录", "Every access is recorded")
NOT_PAGES = {"text_size"}  # a POST-only switch that redirects back to a page


@pytest.fixture
def world(tree, personas):
    from xinli.core.policy import Role
    from xinli.counselling import services as counselling
    from xinli.network import services as network
    from xinli.outreach import services as outreach
    from xinli.testing.fixtures import make_user

    officer = make_user("officer", [(tree.county_a, Role.HEALTH_OFFICER)])
    site = network.create_site(officer, org_unit=tree.a1v1, name="太平角心理咨询室", kind="village_room", opened_on=datetime.date(2024, 1, 1))
    day = timezone.localdate() + datetime.timedelta(days=1)
    counselling.add_slots(personas.counsellor, site, starts=[timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))])
    writer = make_user("writer", [(tree.county_a, Role.PUBLICITY_OFFICER)])
    article = outreach.write_article(writer, org_unit=tree.county_a, title="睡不好怎么办", category="self_help", body="<p>规律作息。</p>")
    outreach.submit(writer, article)
    outreach.review(make_user("editor", [(tree.county_a, Role.PUBLICITY_OFFICER)]), article, approve=True)
    token = outreach.awareness_link(writer, tree.a1v1).token
    return {"site_id": site.pk, "pk": article.pk, "code": "phq9", "token": token}


def _resident_client():
    client = Client()
    assert client.post("/p/account/register/", {"phone": "13912345678", "password": "Ph0ne-Pass-2026!", "consent": "on"}).status_code == 302
    return client


def _urls(world):
    """One URL per portal route; a new route without an entry here fails the test (so it is checked too)."""
    urls = {}
    for pattern in portal_urls.urlpatterns:
        if pattern.name in NOT_PAGES:
            continue
        kwargs = {k: world[k] for k in pattern.pattern.converters}
        urls[pattern.name] = reverse(f"portal:{pattern.name}", kwargs=kwargs)
    return urls


def assert_portal_layout(html: str, where: str):
    assert 'class="hotline-bar"' in html and 'href="tel:12356"' in html, f"{where}: no 12356 bar"
    assert not any(text in html for text in STAFF_FOOTER), f"{where}: staff footer on a portal page"
    assert 'id="privacy-note"' in html and f'href="{reverse("portal:privacy")}"' in html, f"{where}: no privacy note"
    assert f'class="brand" href="{reverse("portal:home")}"' in html, f"{where}: logo does not lead to the portal"
    assert 'id="text-size"' in html, f"{where}: no larger-text switch"


def test_every_portal_url_has_the_hotline_bar_and_the_residents_footer(world, client):
    resident = _resident_client()
    for name, url in _urls(world).items():
        for who, c in (("anonymous", client), ("resident", resident)):
            response = c.get(url, follow=True)
            assert response.status_code == 200, (name, who, response.status_code)
            assert_portal_layout(response.content.decode(), f"{name} ({who}) {url}")


def test_pages_shown_after_a_post_have_the_same_layout(world, client):
    from xinli.counselling.models import Slot

    pages = {
        "self-test result": client.post("/p/test/phq9/", {f"q_{i}": "0" for i in range(1, 10)}),
        "crisis result": client.post("/p/test/phq9/", {f"q_{i}": "0" for i in range(1, 9)} | {"q_9": "2"}),
        "self-test error": client.post("/p/test/phq9/", {"q_1": "0"}),
        "booked": client.post(f"/p/book/{world['site_id']}/", {"slot": Slot.objects.get().pk, "name": "王女士", "phone": "13900000000"}),
        "cancel error": client.post("/p/cancel/", {"reference": "NOPE"}),
        "awareness done": client.post(f"/p/awareness/{world['token']}/", {}),
        "login error": client.post("/p/account/login/", {"phone": "13900000000", "password": "x"}),
        "account deleted": _resident_client().post("/p/account/", {"do": "delete"}),
    }
    for where, response in pages.items():
        assert response.status_code in (200, 400, 403), where
        assert_portal_layout(response.content.decode(), where)


def test_every_portal_template_extends_the_portal_base():
    folder = Path(settings.BASE_DIR) / "templates" / "portal"
    pages = [p for p in folder.glob("*.html") if not p.name.startswith("_") and p.name != "base.html"]
    assert pages
    for page in pages:
        assert page.read_text().startswith('{% extends "portal/base.html" %}'), page.name


def test_privacy_page_says_what_is_kept():
    html = Client().get("/p/privacy/").content.decode()
    assert "加密保存" in html and "撤回同意" in html and 'href="/p/account/"' in html
