"""The public self-test: anonymous, result at once, answers kept only with the separate consent, crisis screen."""

import datetime

import pytest

from xinli.alerts.models import Alert
from xinli.screening.models import Assessment

pytestmark = pytest.mark.django_db


def answers(values):
    return {f"q_{i}": str(v) for i, v in enumerate(values, 1)}


def test_home_lists_the_tests_and_the_hotline(client):
    page = client.get("/p/").content.decode()
    assert 'href="tel:12356"' in page and "/p/test/phq9/" in page and "/p/test/gad7/" in page


def test_result_without_consent_keeps_nothing(client):
    r = client.post("/p/test/gad7/", answers([1, 1, 1, 1, 1, 1, 1]))
    page = r.content.decode()
    assert r.status_code == 200 and 'id="result"' in page and "<p class=\"big\">7" in page
    assert 'id="crisis"' not in page and not Assessment.objects.exists()


def test_consent_keeps_the_answers_anonymously(client):
    client.post("/p/test/gad7/", answers([0] * 7) | {"keep": "on"})
    a = Assessment.objects.get()
    assert (a.mode, a.person, a.administered_by, a.scale) == ("self", None, None, "gad7")


def test_item_9_opens_the_crisis_screen_and_raises_no_alert(client):
    page = client.post("/p/test/phq9/", answers([0, 0, 0, 0, 0, 0, 0, 0, 2]) | {"keep": "on"}).content.decode()
    assert 'id="crisis"' in page and 'href="tel:12356"' in page and 'href="tel:120"' in page
    assert not Alert.objects.exists()  # anonymous: nobody to follow up


def test_incomplete_answers_are_refused_and_nothing_is_kept(client):
    r = client.post("/p/test/phq9/", answers([1, 1, 1]) | {"keep": "on"})
    assert r.status_code == 400 and not Assessment.objects.exists()
    assert client.get("/p/test/scl90/").status_code == 404  # licence-restricted: not offered


def test_site_finder_lists_open_sites(client, tree):
    from xinli.core.policy import Role
    from xinli.network import services
    from xinli.testing.fixtures import make_user

    officer = make_user("o", [(tree.county_a, Role.HEALTH_OFFICER)])
    open_site = services.create_site(officer, org_unit=tree.a1v1, name="太平角心理咨询室", kind="village_room",
                                     opened_on=datetime.date(2024, 1, 1), hours="9:00-17:00")
    closed = services.create_site(officer, org_unit=tree.a1v2, name="汇泉社工室", kind="social_work_room", opened_on=datetime.date(2024, 1, 1))
    services.set_site_status(officer, closed, status="closed", on=datetime.date(2025, 1, 1))
    page = client.get("/p/sites/", {"unit": tree.county_a.pk}).content.decode()
    assert open_site.name in page and "汇泉社工室" not in page and "9:00-17:00" in page


def test_site_finder_by_distance(client, tree):
    from xinli.core.policy import Role
    from xinli.network import services
    from xinli.testing.fixtures import make_user

    officer = make_user("o2", [(tree.county_a, Role.HEALTH_OFFICER)])
    services.create_site(officer, org_unit=tree.a1v1, name="远处咨询室", kind="village_room", opened_on=datetime.date(2024, 1, 1),
                         latitude="36.300000", longitude="120.600000")
    services.create_site(officer, org_unit=tree.a1v2, name="近处咨询室", kind="village_room", opened_on=datetime.date(2024, 1, 1),
                         latitude="36.070000", longitude="120.380000")
    page = client.get("/p/sites/", {"near": "36.06,120.37"}).content.decode()
    assert page.index("近处咨询室") < page.index("远处咨询室") and "公里" in page
    assert client.get("/p/sites/", {"near": "here"}).status_code == 400


def test_a_double_sent_kept_self_test_is_stored_once(client):
    """The form carries a one-time submission id: sending it twice (a retry, a second tap) stores one record; the same
    id with changed answers (the resident went back) is a new record."""
    page = client.get("/p/test/gad7/").content.decode()
    submission = page.split('name="submission" value="')[1].split('"')[0]
    assert len(submission) == 32
    form = answers([1] * 7) | {"keep": "on", "submission": submission}
    assert client.post("/p/test/gad7/", form).status_code == 200
    assert client.post("/p/test/gad7/", form).status_code == 200
    assert Assessment.objects.count() == 1
    changed = answers([2] * 7) | {"keep": "on", "submission": submission}
    r = client.post("/p/test/gad7/", changed)
    assert r.status_code == 200 and "<p class=\"big\">14" in r.content.decode()
    assert sorted(Assessment.objects.values_list("total", flat=True)) == [7, 14]
