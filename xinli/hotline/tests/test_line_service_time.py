"""A line's service time is hours a day and days a week (the pilot plan's 24-hour line is open 24 h every day,
indicator T08): a hotline supervisor sets both when creating a line and changes them on the line's page or with
PATCH; a bad value names its field (bilingual in the API, the reader's language on the page) and writes nothing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.hotline import services
from xinli.hotline.models import Line
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def sup(tree):
    return make_user("line_sup", [(tree.city, Role.HOTLINE_SUPERVISOR)])


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_line_is_open_every_day_by_default_and_24_7_only_with_24_hours_and_7_days(tree, sup):
    line = services.create_line(sup, org_unit=tree.city, name="青岛市心理援助热线")
    assert (line.hours_per_day, line.days_per_week, line.open_24_7) == (24, 7, True)
    assert Line(hours_per_day=18, days_per_week=7).open_24_7 is False
    assert Line(hours_per_day=24, days_per_week=6).open_24_7 is False


@pytest.mark.parametrize("hours, days, field", [
    (0, 7, "hours_per_day"), (25, 7, "hours_per_day"), ("十八", 7, "hours_per_day"), (True, 7, "hours_per_day"),
    (24, 0, "days_per_week"), (24, 8, "days_per_week"), (24, "", "days_per_week"), (24, "٧", "days_per_week"),
])
def test_bad_service_time_names_the_field_and_writes_nothing(tree, sup, hours, days, field):
    with pytest.raises(ValidationError) as exc:
        services.create_line(sup, org_unit=tree.city, name="热线", hours_per_day=hours, days_per_week=days)
    assert list(exc.value.message_dict) == [field] and " / " in exc.value.message_dict[field][0]
    assert not Line.objects.exists()
    line = services.create_line(sup, org_unit=tree.city, name="热线")
    with pytest.raises(ValidationError) as exc:
        services.set_service_time(sup, line, hours_per_day=hours, days_per_week=days)
    assert list(exc.value.message_dict) == [field]
    line.refresh_from_db()
    assert (line.hours_per_day, line.days_per_week) == (24, 7)


def test_the_supervisor_changes_the_service_time_audited_and_an_operator_cannot(tree, sup, personas):
    line = services.create_line(sup, org_unit=tree.county_a, name="市南区热线")
    services.set_service_time(sup, line, hours_per_day="18", days_per_week="6")
    line.refresh_from_db()
    assert (line.hours_per_day, line.days_per_week) == (18, 6)
    entry = AuditEntry.objects.filter(object_type="hotline.line", object_id=str(line.pk), action="update").get()
    assert entry.detail["before"] == {"hours_per_day": 24, "days_per_week": 7} and entry.detail["days_per_week"] == 6
    with pytest.raises(PermissionDenied):
        services.set_service_time(personas.hotline_operator, line, hours_per_day=24, days_per_week=7)
    other = make_user("sup_b", [(tree.county_b, Role.HOTLINE_SUPERVISOR)])
    with pytest.raises(PermissionDenied):
        services.set_service_time(other, line, hours_per_day=24, days_per_week=7)


def test_the_line_pages_show_and_change_hours_and_days(tree, sup, client):
    login_verified(client, sup)
    r = client.post("/hotline/lines/new/", {"name": "青岛市心理援助热线", "number": "12356", "org_unit": tree.city.pk,
                                            "hours_per_day": "18", "days_per_week": "6", "seats": "2"})
    line = Line.objects.get()
    assert (line.hours_per_day, line.days_per_week) == (18, 6)
    page = client.get(r["Location"]).content.decode()
    assert "每日服务 18 小时、每周 6 天" in page and "不是 24 小时热线" in page
    assert 'name="days_per_week"' in page and 'name="hours_per_day"' in page
    listing = client.get("/hotline/").content.decode()
    assert "每日服务 18 小时、每周 6 天" in listing and 'name="days_per_week"' in listing
    # A bad value: the page names the field in Chinese only, nothing changes.
    r = client.post(f"/hotline/lines/{line.pk}/service-time/", {"hours_per_day": "24", "days_per_week": "9"}, follow=True)
    body = r.content.decode()
    assert "每周服务天数：1 到 7 之间的整数" in body and "Service days" not in body
    line.refresh_from_db()
    assert (line.hours_per_day, line.days_per_week) == (18, 6)
    client.post(f"/hotline/lines/{line.pk}/service-time/", {"hours_per_day": "24", "days_per_week": "7"})
    line.refresh_from_db()
    assert line.open_24_7
    assert "不是 24 小时热线" not in client.get(f"/hotline/lines/{line.pk}/").content.decode()
    # A bad number on the new-line form names the field too, and creates nothing.
    r = client.post("/hotline/lines/new/", {"name": "第二条", "org_unit": tree.city.pk, "hours_per_day": "24",
                                            "days_per_week": "0"}, follow=True)
    assert "每周服务天数" in r.content.decode() and Line.objects.count() == 1


def test_an_operator_sees_the_service_time_but_no_form_and_cannot_post(tree, sup, personas, client):
    line = services.create_line(sup, org_unit=tree.county_a, name="市南区热线")
    login_verified(client, personas.hotline_operator)
    page = client.get(f"/hotline/lines/{line.pk}/").content.decode()
    assert "每日服务 24 小时、每周 7 天" in page and "/service-time/" not in page
    assert client.post(f"/hotline/lines/{line.pk}/service-time/", {"hours_per_day": "1", "days_per_week": "1"}).status_code == 404
    line.refresh_from_db()
    assert line.hours_per_day == 24


def test_the_api_creates_and_patches_the_service_time(tree, sup, personas):
    r = api(sup).post("/api/v1/hotline/lines/", {"name": "青岛市热线", "org_unit": tree.city.pk, "days_per_week": 5}, format="json")
    assert r.status_code == 201, r.content
    assert (r.json()["hours_per_day"], r.json()["days_per_week"], r.json()["open_24_7"]) == (24, 5, False)
    pk = r.json()["id"]
    r = api(sup).patch(f"/api/v1/hotline/lines/{pk}/", {"days_per_week": 7}, format="json")
    assert r.status_code == 200 and r.json()["open_24_7"] is True
    r = api(sup).patch(f"/api/v1/hotline/lines/{pk}/", {"hours_per_day": 30}, format="json")
    assert r.status_code == 400 and "hours_per_day" in r.json() and " / " in r.json()["hours_per_day"][0]
    r = api(sup).patch(f"/api/v1/hotline/lines/{pk}/", {"hours": 24}, format="json")
    assert r.status_code == 400 and "hours" in r.json()  # unknown field
    assert Line.objects.get(pk=pk).hours_per_day == 24
    operator = make_user("city_operator", [(tree.city, Role.HOTLINE_OPERATOR)])
    assert api(operator).patch(f"/api/v1/hotline/lines/{pk}/", {"hours_per_day": 1}, format="json").status_code == 403
    assert api(personas.counsellor).patch(f"/api/v1/hotline/lines/{pk}/", {"hours_per_day": 1}, format="json").status_code == 404
    assert Line.objects.get(pk=pk).hours_per_day == 24
