"""The service-network coverage page: indicator names from the registry, the year's figures from the rollups, the
targets in force (a region's own target shows), and beside them the network register on the day with what is missing
and the T05 rule in force (issue 16: the page carries no titles or targets of its own)."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from xinli.indicators import services as indicators
from xinli.indicators.registry import REGISTRY
from xinli.network import services as network
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db


def test_the_page_reads_the_registry_the_rollups_and_the_region_targets(tree, personas):
    officer = personas.county_officer  # health officer of county A: network.manage, indicators.view and .manage
    year = timezone.localdate().year
    opened = datetime.date(year - 1, 3, 1)
    for name, teacher in (("一中", True), ("二中", False)):
        school = network.create_institution(officer, org_unit=tree.a1, name=name, kind="secondary_school", students=1000)
        network.create_site(officer, org_unit=tree.a1, name=f"{name}心理辅导室", kind="school_room", institution=school, opened_on=opened)
        if teacher:
            network.create_staff(officer, org_unit=tree.a1, name="周老师", profession="teacher_full", education="master", employer=school)
    indicators.set_target(officer, code="T04", unit=tree.county_a, year=year, value="0.9")  # the region's own target
    indicators.rebuild(year, codes={"T04", "T05"})
    client = Client()
    login_verified(client, officer)
    page = client.get("/network/").content.decode()
    row = page[page.index(">T04<"):page.index(">T05<")]
    assert REGISTRY["T04"].zh in row  # the registry's name
    assert "50.0%" in row and "1 / 2" in row  # the rollup (1 of 2 schools has a room and a teacher) and the register on the day
    assert "90.0%" in row and "≥ 100" not in row  # the target in force, not a target of the page's own
    assert "二中" in row and "一中" not in row.split("1 / 2", 1)[1]  # still missing: the school without a teacher
    assert "不设规模门槛" in page  # T05: the rule in force (no size cut)
    assert client.get("/network/", {"date": "soon"}).status_code == 200  # a bad date shows today


def test_only_network_officers_see_the_page(tree, personas):
    client = Client()
    login_verified(client, personas.counsellor)
    assert client.get("/network/").status_code == 404
