"""Issue 16 item 3 (part): every indicator's value reads in its own unit on the scorecard, its indicator page and the
values API (with ``unit`` and ``indicator_source``); platform indicators are labelled so."""

import datetime
from decimal import Decimal

import pytest

from xinli.core.policy import Role
from xinli.indicators.models import Rollup
from xinli.indicators.registry import REGISTRY
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year
# (numerator, denominator, value) and how the value reads: 69.7 %, 4.26 ‰, 5.4 per 10,000, 3 incidents, yes.
CELLS = {"rate": (Decimal(69700), Decimal(100000), Decimal("0.697"), "69.7%"),
         "permille": (Decimal(213), Decimal(50000), Decimal("4.26"), "4.26‰"),
         "per10k": (Decimal(27), Decimal(50000), Decimal("5.4"), "5.4"),
         "count": (Decimal(3), None, Decimal(3), "3"),
         "flag": (Decimal(1), None, Decimal(1), "是")}


@pytest.fixture
def filled(tree):
    for code, ind in REGISTRY.items():
        num, den, value, _shown = CELLS[ind.kind]
        Rollup.objects.create(indicator=code, period=str(YEAR), org_unit=tree.city, org_path=tree.city.path, numerator=num,
                              denominator=den, value=value)
    return make_user("officer", [(tree.city, Role.HEALTH_OFFICER)])


def test_every_indicator_in_its_unit_on_the_pages_and_the_api(client, tree, filled):
    login_verified(client, filled)
    scorecard = client.get(f"/indicators/?org={tree.city.code}&year={YEAR}").content.decode()
    assert "300.0%" not in scorecard and "213000" not in scorecard
    for code, ind in REGISTRY.items():
        shown = CELLS[ind.kind][3]
        page = client.get(f"/indicators/{code}/?org={tree.city.code}&year={YEAR}")
        if page.status_code == 404:
            page = client.get(f"/indicators/indicator/{code}/?org={tree.city.code}&year={YEAR}")
        text = page.content.decode()
        assert shown in text, (code, shown)
        assert ("平台指标" in text) == ind.platform, code
        if not ind.platform:
            assert ind.source in text, code
    assert scorecard.count("（平台指标）") == sum(ind.platform for ind in REGISTRY.values())
    got = {}
    for code in REGISTRY:
        (row,) = client.get(f"/api/v1/indicators/values/?period={YEAR}&org={tree.city.code}&indicator={code}").json()["results"]
        got[code] = row
    for code, ind in REGISTRY.items():
        assert got[code]["unit"] == ind.unit and got[code]["indicator_source"] == ind.source, code
    assert (got["T11"]["numerator"], Decimal(got["T11"]["value"]), got["T20"]["value"]) == ("213", Decimal("4.26"), "3")
