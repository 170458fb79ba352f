"""Portal bookings: the phone must be a mainland mobile number, and slots exist only within the site's opening hours
(a room open on working days offers no weekend)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from xinli.counselling import services
from xinli.counselling.models import Booking, Slot, WaitingListEntry
from xinli.network import services as network

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(tree):
    from xinli.core.policy import Role
    from xinli.testing.fixtures import make_user

    return make_user("officer", [(tree.county_a, Role.HEALTH_OFFICER)])


def _site(officer, tree, hours):
    return network.create_site(officer, org_unit=tree.a1v1, name="太平角心理咨询室", kind="village_room",
                               opened_on=datetime.date(2024, 1, 1), hours=hours)


def next_day(weekday: int, hour: int, minute: int = 0):
    """The next date (after today) falling on ``weekday`` (Monday = 0), at hour:minute local time."""
    day = timezone.localdate() + datetime.timedelta(days=1)
    while day.weekday() != weekday:
        day += datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def test_slots_outside_the_opening_hours_are_refused(officer, tree, personas):
    site = _site(officer, tree, "工作日")
    with pytest.raises(ValidationError, match="starts") as exc:
        services.add_slots(personas.counsellor, site, starts=[next_day(5, 9)])  # a Saturday
    assert "开放时间" in str(exc.value) and "工作日" in str(exc.value)
    assert services.add_slots(personas.counsellor, site, starts=[next_day(0, 9)])  # a Monday
    timed = _site(officer, tree, "周一至周五 9:00-17:00")
    for start in (next_day(1, 8), next_day(1, 16, 30), next_day(6, 10)):  # before opening, past closing, Sunday
        with pytest.raises(ValidationError, match="starts"):
            services.add_slots(personas.counsellor, timed, starts=[start], minutes=50)
    assert not Slot.objects.filter(site=timed).exists()


def test_unrecognised_hours_restrict_nothing(officer, tree, personas):
    site = _site(officer, tree, "请电话预约")
    assert services.add_slots(personas.counsellor, site, starts=[next_day(6, 20)])


def test_portal_offers_no_slot_outside_the_hours(officer, tree, personas, client):
    """A slot published before the hours were narrowed is neither listed nor bookable."""
    site = _site(officer, tree, "")
    saturday, monday = services.add_slots(personas.counsellor, site, starts=[next_day(5, 10), next_day(0, 10)])
    site.hours = "工作日"
    site.save(update_fields=["hours"])
    page = client.get(f"/p/book/{site.pk}/").content.decode()
    assert f'value="{monday.pk}"' in page and f'value="{saturday.pk}"' not in page
    r = client.post(f"/p/book/{site.pk}/", {"slot": saturday.pk, "name": "王女士", "phone": "13900000000"})
    assert r.status_code == 400 and not Booking.objects.exists()


@pytest.mark.parametrize("phone", ["12345", "12345678901", "10912345678", "139123456789", "0532-82345678", "abc"])
def test_booking_phone_must_be_a_mobile_number(officer, tree, personas, client, phone):
    site = _site(officer, tree, "")
    (slot,) = services.add_slots(personas.counsellor, site, starts=[next_day(2, 10)])
    r = client.post(f"/p/book/{site.pk}/", {"slot": slot.pk, "name": "王女士", "phone": phone})
    page = r.content.decode()
    assert r.status_code == 400 and not Booking.objects.exists()
    assert 'id="ph-error"' in page and "手机号" in page and "11 位" in page
    assert f'value="{phone}"' in page.replace("&#x27;", "'")  # what was typed stays in the form
    with pytest.raises(ValidationError, match="phone"):
        services.join_waiting_list(site, name="乙", phone=phone)
    assert not WaitingListEntry.objects.exists()


def test_a_mobile_number_with_spaces_or_country_code_is_stored_normalised(officer, tree, personas, client):
    site = _site(officer, tree, "")
    (slot,) = services.add_slots(personas.counsellor, site, starts=[next_day(2, 10)])
    r = client.post(f"/p/book/{site.pk}/", {"slot": slot.pk, "name": "王女士", "phone": "+86 139 1234 5678"})
    assert r.status_code == 200 and Booking.objects.get().phone == "13912345678"


def test_booking_without_choosing_a_time_says_so(officer, tree, personas, client):
    site = _site(officer, tree, "")
    services.add_slots(personas.counsellor, site, starts=[next_day(2, 10)])
    r = client.post(f"/p/book/{site.pk}/", {"name": "王女士", "phone": "13900000000"})
    assert r.status_code == 400 and "请从列出的空闲时段中选择" in r.content.decode() and not Booking.objects.exists()
