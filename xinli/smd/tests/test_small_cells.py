"""Small cells: SMD indicator counts 1..threshold-1 are suppressed for readers without SMD person rights in the unit."""

import pytest
from rest_framework.test import APIClient

from xinli.core.policy import Role
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
    login_verified(client, publicity)
    page = client.get("/smd/indicators/", {"year": 2025}).content.decode()
    assert "&lt;5" in page
    doctor = make_user("county_doc2", [(tree.county_a, Role.SMD_DOCTOR)])
    client.logout()
    login_verified(client, doctor)
    page = client.get("/smd/indicators/", {"year": 2025}).content.decode()
    assert "&lt;5" not in page
