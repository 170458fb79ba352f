"""Small cells: SMD indicator counts 1..threshold-1 are suppressed for readers without SMD person rights in the unit."""

import pytest
from rest_framework.test import APIClient

from xinli.core.policy import Role
from xinli.indicators.services import rebuild
from xinli.smd.tests.test_smd_indicators import register_2025  # noqa: F401 (fixture)
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db


def get(user, unit):
    api = APIClient()
    api.force_authenticate(user)
    r = api.get(f"/api/v1/smd/indicators/{unit.pk}/", {"year": 2025})
    assert r.status_code == 200
    return r.json()


def test_publicity_officer_sees_small_cells_suppressed_doctor_sees_real_numbers(register_2025):  # noqa: F811
    tree = register_2025
    publicity = make_user("publicity", [(tree.county_a, Role.PUBLICITY_OFFICER)])
    doctor = make_user("county_doc2", [(tree.county_a, Role.SMD_DOCTOR)])
    real = get(doctor, tree.a1v1)
    assert real["counts"]["in_register"] == 2 and real["suppressed"] == []
    assert real["rates"]["management_rate"] is not None
    shown = get(publicity, tree.a1v1)
    assert shown["counts"]["in_register"] is None and shown["counts"]["schizophrenia"] is None
    assert "in_register" in shown["suppressed"] and shown["small_cell_threshold"] == 5
    assert shown["rates"]["management_rate"] is None and shown["rates"]["prevalence_per_mille"] is None
    assert shown["counts"]["population"] == 3000  # residents are not a count of patients
    assert shown["counts"]["rehab"] in (0, None)  # zero is shown, never 1..4


def test_a_cell_of_exactly_the_threshold_is_shown(register_2025, settings):  # noqa: F811
    settings.XINLI_SMALL_CELL = 2
    tree = register_2025
    publicity = make_user("publicity", [(tree.county_a, Role.PUBLICITY_OFFICER)])
    shown = get(publicity, tree.a1v1)
    assert shown["counts"]["in_register"] == 2 and "in_register" not in shown["suppressed"]
    assert shown["small_cell_threshold"] == 2


def test_indicator_page_shows_small_cells_as_below_threshold_to_the_publicity_officer(register_2025, client):  # noqa: F811
    from xinli.testing.fixtures import login_verified

    tree = register_2025
    publicity = make_user("publicity", [(tree.county_a, Role.PUBLICITY_OFFICER)])
    rebuild(2025)  # the page reads the rollups, as the scorecard does
    login_verified(client, publicity)
    page = client.get("/smd/indicators/", {"year": 2025}).content.decode()
    assert "&lt;5" in page
    doctor = make_user("county_doc2", [(tree.county_a, Role.SMD_DOCTOR)])
    client.logout()
    login_verified(client, doctor)
    page = client.get("/smd/indicators/", {"year": 2025}).content.decode()
    assert "&lt;5" not in page


def test_page_and_api_hide_the_next_smallest_township_with_a_region_threshold(register_2025, client):  # noqa: F811
    """County A has 5 patients in the register: A1 4, A2 1. With the county's threshold 2 (a region row), A2's 1 is
    small and A1's 4 goes with it (5 - 4 would give 1), on the page and in the API; the county itself is shown."""
    from xinli.regions.models import RegionParameter
    from xinli.testing.fixtures import login_verified

    tree = register_2025
    RegionParameter.objects.create(org_unit=tree.county_a, key="small_cell_threshold", value=2, source="区卫健局规定")
    rebuild(2025)
    publicity = make_user("publicity", [(tree.county_a, Role.PUBLICITY_OFFICER)])
    login_verified(client, publicity)
    page = client.get("/smd/indicators/", {"year": 2025}).content.decode()

    def register_cell(name):
        return page.split(f"<td>{name}</td>")[1].split("</td>")[0]

    assert register_cell("市南区").endswith(">5") and "&lt;2" in register_cell("香港中路街道")
    assert ">*</abbr>" in register_cell("八大关街道") and "&lt;5" not in page
    assert "小数值抑制" in page
    a1 = get(publicity, tree.a1)
    assert a1["counts"]["in_register"] is None and a1["small_cell_threshold"] == 2
    # Complement: 3 of A1's 4 patients are managed, so the 1 who is not would be known; rehabilitation 1 is small.
    assert a1["counts"]["managed"] is None and a1["counts"]["rehab"] is None and a1["counts"]["standardised"] == 2
    assert {"in_register", "managed", "rehab"} <= set(a1["suppressed"]) and a1["rates"]["management_rate"] is None
    a2 = get(publicity, tree.a2)
    assert a2["counts"]["in_register"] is None and "in_register" in a2["suppressed"]
    county = get(publicity, tree.county_a)  # the top of the reader's area: its parent is not shown to this reader
    assert county["counts"]["in_register"] == 5 and county["small_cell_threshold"] == 2
    doctor = make_user("county_doc2", [(tree.county_a, Role.SMD_DOCTOR)])
    assert get(doctor, tree.a1)["counts"]["in_register"] == 4 and get(doctor, tree.a1)["suppressed"] == []
