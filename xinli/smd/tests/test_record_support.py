"""The doctor records counselling, rehabilitation and family work on a page (T16/T17 count these); bad input names
the field and writes nothing."""

import datetime

import pytest

from xinli.smd import indicators
from xinli.smd.models import Support
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db


def test_the_doctor_records_family_counselling_and_t17_counts_it(client, tree, doctor, patient):
    login_verified(client, doctor)
    detail = client.get(f"/smd/patients/{patient.pk}/").content.decode()
    assert f"/smd/patients/{patient.pk}/support/" in detail
    page = client.get(f"/smd/patients/{patient.pk}/support/")
    assert page.status_code == 200 and "由基层医疗卫生机构提供" in page.content.decode()
    today = datetime.date.today()
    response = client.post(f"/smd/patients/{patient.pk}/support/", {
        "kind": "family_counselling", "start": today.isoformat(), "institution": "福黄街道社区卫生服务中心", "primary_care": "on"})
    assert response.status_code == 302
    s = Support.objects.get(patient=patient)
    assert (s.kind, s.primary_care, s.recorded_by) == ("family_counselling", True, doctor)
    (k,) = indicators.compute([tree.a1], today.year)
    assert (k.home, k.family) == (1, 1)
    assert "由基层医疗卫生机构提供" in client.get(f"/smd/patients/{patient.pk}/").content.decode()


def test_bad_dates_name_the_field_and_write_nothing(client, doctor, patient):
    login_verified(client, doctor)
    today = datetime.date.today()
    response = client.post(f"/smd/patients/{patient.pk}/support/", {
        "kind": "rehab", "start": today.isoformat(), "end": (today - datetime.timedelta(days=3)).isoformat(), "institution": "康复站"})
    assert response.status_code == 400
    assert "日期" in response.content.decode()
    response = client.post(f"/smd/patients/{patient.pk}/support/", {"kind": "rehab", "start": today.isoformat()})
    assert response.status_code == 400 and "机构" in response.content.decode()
    assert not Support.objects.exists()


def test_only_the_treating_roles_reach_the_form(client, police, patient):
    login_verified(client, police)
    assert client.get(f"/smd/patients/{patient.pk}/support/").status_code == 404
    assert client.post(f"/smd/patients/{patient.pk}/support/", {"kind": "rehab"}).status_code == 404
