"""The SMD indicator page (issue 16 item 2): T11–T17 of the reader's area from the rollups, in their units, against
the target in force for each unit (a region's own target shows), with the T12 rule in force; no figures, titles or
targets of its own. The register is ``register_2025`` (xinli/smd/tests/test_smd_indicators.py, counted by hand there):
八大关街道 (A1) 4 patients in the register, 2 standardised (T12 50 %); 市南区 (county A) 5 and 2 (T12 40 %)."""

import re

import pytest
from django.test import Client

from xinli.indicators import services as indicators
from xinli.indicators.models import Rollup
from xinli.regions.services import set_parameter
from xinli.smd.tests.test_smd_indicators import register_2025  # noqa: F401 (fixture)
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db
YEAR = 2025


def cells(page: str, unit: str) -> list[str]:
    """The cells of a unit's row: the register count, then T11–T17 (their text, tags removed)."""
    row = page.split(f"<td>{unit}</td>", 1)[1].split("</tr>", 1)[0]
    return [re.sub(r"<[^>]+>", " ", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def t12(page: str, unit: str) -> str:
    return cells(page, unit)[2]  # register, T11, T12


def test_the_doctor_reads_the_rollups_with_region_targets_and_the_t12_rule(register_2025, personas):  # noqa: F811
    tree = register_2025
    from django.contrib.auth import get_user_model

    doctor = get_user_model().objects.get(username="county_doc")  # 精防 doctor of county A: smd.view, no indicators.view
    client = Client()
    login_verified(client, doctor)
    page = client.get("/smd/indicators/", {"year": YEAR}).content.decode()
    assert "/indicators/T12/" not in page  # no link to a page the doctor may not open (indicators.view)
    assert "尚未计算" in page and set(t12(page, "八大关街道").split()) == {"—"}  # nothing computed yet: nothing computed here

    indicators.rebuild(YEAR)
    page = client.get("/smd/indicators/", {"year": YEAR}).content.decode()
    assert cells(page, "八大关街道")[0].strip() == "4"
    a1, county = t12(page, "八大关街道"), t12(page, "市南区")
    assert "50.0%" in a1 and "2 / 4" in a1 and "40.0%" in county and "2 / 5" in county
    assert "目标 ≥ 80.0%" in page  # the registry's default target, in its unit
    assert "0.73‰" in cells(page, "八大关街道")[1]  # T11: 4 of 5,500 residents = 0.727‰
    assert 'class="below"' in page.split("<td>八大关街道</td>", 1)[1].split("</tr>", 1)[0]

    officer = personas.county_officer
    indicators.set_target(officer, code="T12", unit=tree.county_a, year=YEAR, value="0.45")  # the region's own target
    page = client.get("/smd/indicators/", {"year": YEAR}).content.decode()
    assert "目标 ≥ 45.0%" in page
    assert "未达标" not in t12(page, "八大关街道") and "未达标" in t12(page, "市南区")  # 50 % meets 45 %; 40 % does not (< 90 % of it)

    assert "T12 现行口径：国家基本公共卫生服务规范" in page
    set_parameter(officer, unit=tree.county_a, key="t12_rule", value="gap92", source="市南区精防工作方案")
    page = client.get("/smd/indicators/", {"year": YEAR}).content.decode()
    assert "T12 现行口径：本地口径：相邻两次随访间隔不超过 3 个月" in page

    Rollup.objects.filter(indicator="T12").update(numerator=3, value="0.75")  # what the page shows is the stored figure
    assert "75.0%" in t12(client.get("/smd/indicators/", {"year": YEAR}).content.decode(), "八大关街道")


def test_only_indicator_or_smd_readers_open_the_page(register_2025, personas):  # noqa: F811
    client = Client()
    login_verified(client, personas.village_worker_1)
    assert client.get("/smd/indicators/").status_code == 404
    assert Client().get("/smd/indicators/").status_code == 302
