"""Rollups from the registry on a hand-built county, targets as data with history, status and the values API."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from xinli.core.policy import Role
from xinli.indicators import services
from xinli.indicators.models import Rollup
from xinli.indicators.registry import REGISTRY
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year


@pytest.fixture
def officer(tree):
    return make_user("ind_officer", [(tree.city, Role.HEALTH_OFFICER)])


@pytest.fixture
def county(tree, officer):
    from xinli.network import services as network

    # County A: rooms in A1v1 and A1v2 (2 of its 3 villages); county B: none of its 1 village.
    network.create_site(officer, org_unit=tree.a1v1, name="咨询室1", kind="village_room", opened_on=datetime.date(2024, 1, 1))
    network.create_site(officer, org_unit=tree.a1v2, name="社工室2", kind="social_work_room", opened_on=datetime.date(2024, 1, 1))
    return tree


def test_rebuild_computes_t01_for_every_unit(county, capsys):
    call_command("rebuild_indicators", "--year", str(YEAR))
    assert "indicator values" in capsys.readouterr().out
    r = {u: Rollup.objects.get(indicator="T01", period=str(YEAR), org_unit=u) for u in (county.city, county.county_a, county.county_b, county.a1)}
    # City 2 of 4 villages, county A 2 of 3, county B 0 of 1, township A1 2 of 2.
    assert (r[county.city].numerator, r[county.city].denominator, r[county.city].value) == (2, 4, Decimal("0.5"))
    assert (r[county.county_a].numerator, r[county.county_a].denominator) == (2, 3)
    assert r[county.county_a].value == Decimal("0.666667")
    assert (r[county.county_b].value, r[county.a1].value) == (Decimal("0"), Decimal("1"))
    # Re-running replaces, never duplicates.
    services.rebuild(YEAR, codes={"T01"})
    assert Rollup.objects.filter(indicator="T01", period=str(YEAR)).count() == Rollup.objects.filter(indicator="T01").count()
    assert set(REGISTRY) >= {f"T{n:02d}" for n in range(1, 23) if n not in (10, 20)} | {"T10U", "T10R"}


def test_targets_with_history_and_status(county, officer, personas):
    services.rebuild(YEAR, codes={"T01"})
    # Default target 0.8: county A at 0.667 is below 0.72 (90 % of the target) -> red; township A1 at 1 -> green.
    assert services.status("T01", Decimal("0.666667"), services.target_for("T01", county.county_a, YEAR)) == "red"
    services.set_target(officer, code="T01", unit=county.city, year=YEAR, value="0.7")
    assert services.target_for("T01", county.county_a, YEAR) == Decimal("0.7")  # inherited from the city
    assert services.status("T01", Decimal("0.666667"), Decimal("0.7")) == "amber"  # within 10 %
    services.set_target(officer, code="T01", unit=county.county_a, year=YEAR, value="0.6")
    assert services.target_for("T01", county.county_a, YEAR) == Decimal("0.6")
    services.set_target(officer, code="T01", unit=county.county_a, year=YEAR, value="0.65")  # history: latest wins
    assert services.target_for("T01", county.county_a, YEAR) == Decimal("0.65")
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        services.set_target(personas.village_worker_1, code="T01", unit=county.county_a, year=YEAR, value="0.1")
    with pytest.raises(ValidationError):
        services.set_target(officer, code="T99", unit=county.county_a, year=YEAR, value="0.1")


def test_values_api_and_scorecard(county, officer, personas):
    services.rebuild(YEAR, codes={"T01", "T09"})
    client = APIClient()
    client.force_authenticate(officer)
    rows = client.get("/api/v1/indicators/values/", {"indicator": "T01", "org": "370202000000", "period": str(YEAR)}).json()["results"]
    assert len(rows) == 1 and rows[0]["value"] == "0.666667" and rows[0]["target"] == "0.8" and rows[0]["status"] == "red"
    county_officer = APIClient()
    county_officer.force_authenticate(personas.county_officer)  # county A only
    orgs = {r["org"] for r in county_officer.get("/api/v1/indicators/values/", {"indicator": "T01"}).json()["results"]}
    assert "370203000000" not in orgs and "370202000000" in orgs
    from django.test import Client

    from xinli.testing.fixtures import login_verified

    page_client = Client()
    login_verified(page_client, officer)
    page = page_client.get("/indicators/", {"org": "370200000000", "year": str(YEAR)}).content.decode()
    assert "T01" in page and "status-red" in page and "市南区" in page


def test_scorecard_export_xlsx(county, officer, personas):
    import io

    from django.test import Client
    from openpyxl import load_workbook

    from xinli.testing.fixtures import login_verified

    services.rebuild(YEAR, codes={"T01"})
    client = Client()
    login_verified(client, officer)
    r = client.get("/indicators/export.xlsx", {"org": "370200000000", "year": str(YEAR)})
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(min_row=2, values_only=True))
    by_code = {(row[0], row[2]): row for row in rows}
    assert by_code[("370202000000", "T01")][5:7] == (2, 3) and by_code[("370200000000", "T01")][4] == 0.5
    village = Client()
    login_verified(village, personas.village_worker_1)
    assert village.get("/indicators/export.xlsx", {"org": "370200000000"}).status_code == 404
