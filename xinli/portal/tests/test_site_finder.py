"""The site finder on phones: each site's phone as a tap-to-call link and its distance, "near me" by coordinates,
and long lists a page at a time."""

import datetime
import re

import pytest

from xinli.network.models import Site, SiteStatus
from xinli.network.selectors import public_sites, sites_near
from xinli.portal.views import PUBLIC_SITE_KINDS, SITES_PER_PAGE

pytestmark = pytest.mark.django_db


def _sites(unit, n, *, lat=None, lng=None, step=0.01, phone="0532-8123 4567"):
    made = Site.objects.bulk_create([
        Site(name=f"第{i:02d}心理咨询室", kind="village_room", org_unit=unit, org_path=unit.path, phone=phone,
             latitude=None if lat is None else round(lat + i * step, 6), longitude=lng) for i in range(n)])
    SiteStatus.objects.bulk_create([SiteStatus(site=s, status="active", start=datetime.date(2024, 1, 1)) for s in made])
    return made


def test_a_long_area_list_comes_a_page_at_a_time(tree, client):
    _sites(tree.a1v1, SITES_PER_PAGE * 2 + 3)
    page = client.get("/p/sites/", {"unit": tree.county_a.pk}).content.decode()
    assert page.count('class="site"') == SITES_PER_PAGE and f"共 {SITES_PER_PAGE * 2 + 3} 处" in page
    assert f'href="?unit={tree.county_a.pk}&amp;page=3"' in page and 'aria-current="page"' in page
    last = client.get("/p/sites/", {"unit": tree.county_a.pk, "page": 3}).content.decode()
    assert last.count('class="site"') == 3 and "第22心理咨询室" in last
    assert client.get("/p/sites/", {"unit": tree.county_a.pk, "page": "x²"}).status_code == 200  # a bad page: the first


def test_each_site_has_a_tap_to_call_phone(tree, client):
    _sites(tree.a1v1, 1)
    page = client.get("/p/sites/", {"unit": tree.county_a.pk}).content.decode()
    assert 'href="tel:053281234567"' in page and "0532-8123 4567" in page


def test_near_me_lists_the_nearest_with_their_distance(tree, client):
    _sites(tree.a1v1, 25, lat=36.07, lng=120.38, step=0.02)  # 0 … 53 km north of the resident
    page = client.get("/p/sites/", {"near": "36.07,120.38"}).content.decode()
    names = re.findall(r"<strong>(第\d\d心理咨询室)</strong>", page)
    assert names == [f"第{i:02d}心理咨询室" for i in range(SITES_PER_PAGE)]
    assert "距您 0.0 公里" in page and "距您 2.2 公里" in page
    assert "near=36.07%2C120.38&amp;page=2" in page  # the pages keep the position


def test_an_area_list_with_a_position_is_nearest_first_with_distances(tree, client):
    _sites(tree.a1v1, 3, lat=36.10, lng=120.38, step=0.05)
    page = client.get("/p/sites/", {"unit": tree.county_a.pk, "near": "36.20,120.38"}).content.decode()
    assert re.findall(r"<strong>(第\d\d心理咨询室)</strong>", page) == ["第02心理咨询室", "第01心理咨询室", "第00心理咨询室"]
    assert "距您 0.0 公里" in page


def test_nearest_is_found_even_far_away_and_none_nearer_is_missed(tree):
    _sites(tree.a1v1, 3, lat=30.0, lng=110.0, step=1.0)  # hundreds of km away
    near = _sites(tree.a1v2, 1, lat=36.30, lng=120.38)
    found = sites_near(public_sites(PUBLIC_SITE_KINDS), 36.07, 120.38, limit=2)
    assert [s.pk for s in found][:1] == [near[0].pk] and len(found) == 2 and found[1].distance_km > 500


def test_bad_coordinates_say_how_to_write_them(client):
    r = client.get("/p/sites/", {"near": "here"})
    assert r.status_code == 400 and "纬度" in r.content.decode()
