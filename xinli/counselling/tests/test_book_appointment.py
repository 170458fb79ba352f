"""Appointments: counsellors publish slots; residents book on the portal; double booking, past and closed sites are
refused; cancellation offers the slot to the waiting list; reminders."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from xinli.counselling import services
from xinli.counselling.models import Booking, WaitingListEntry
from xinli.network import services as network

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(tree):
    from xinli.core.policy import Role
    from xinli.testing.fixtures import make_user

    officer = make_user("officer", [(tree.county_a, Role.HEALTH_OFFICER)])
    return network.create_site(officer, org_unit=tree.a1v1, name="太平角心理咨询室", kind="village_room", opened_on=datetime.date(2024, 1, 1))


def tomorrow(hour):
    day = timezone.localdate() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_book_on_the_portal_and_no_double_booking(site, personas, client):
    (slot,) = services.add_slots(personas.counsellor, site, starts=[tomorrow(9)])
    page = client.get(f"/p/book/{site.pk}/").content.decode()
    assert f'value="{slot.pk}"' in page
    r = client.post(f"/p/book/{site.pk}/", {"slot": slot.pk, "name": "王女士", "phone": "13900000000"})
    assert r.status_code == 200 and 'id="booked"' in r.content.decode()
    booking = Booking.objects.get()
    assert booking.reference in r.content.decode()
    r = client.post(f"/p/book/{site.pk}/", {"slot": slot.pk, "name": "李先生", "phone": "13800000000"})
    assert r.status_code == 400 and Booking.objects.count() == 1
    assert f'value="{slot.pk}"' not in client.get(f"/p/book/{site.pk}/").content.decode()


def test_cancel_offers_the_slot_to_the_waiting_list(site, personas, client):
    (slot,) = services.add_slots(personas.counsellor, site, starts=[tomorrow(10)])
    first = services.book(slot, name="甲", phone="13900000001")
    client.post(f"/p/book/{site.pk}/", {"do": "wait", "name": "乙", "phone": "13900000002"})
    assert client.post("/p/cancel/", {"reference": "WRONG"}).status_code == 400
    assert client.post("/p/cancel/", {"reference": first.reference.lower()}).status_code == 200
    first.refresh_from_db()
    live = Booking.objects.get(state="booked")
    assert first.state == "cancelled" and live.name == "乙" and WaitingListEntry.objects.get().offered == live


def test_past_slots_and_closed_sites_are_refused(site, personas, tree):
    from xinli.core.policy import Role
    from xinli.testing.fixtures import make_user

    with pytest.raises(ValidationError, match="starts"):
        services.add_slots(personas.counsellor, site, starts=[timezone.now() - datetime.timedelta(hours=1)])
    (slot,) = services.add_slots(personas.counsellor, site, starts=[tomorrow(11)])
    officer = make_user("officer2", [(tree.county_a, Role.HEALTH_OFFICER)])
    network.set_site_status(officer, site, status="closed", on=timezone.localdate() + datetime.timedelta(days=1))
    with pytest.raises(ValidationError, match="slot"):
        services.book(slot, name="丙", phone="13900000003")
    with pytest.raises(ValidationError, match="site"):
        services.add_slots(personas.counsellor, site, starts=[tomorrow(15)])


def test_reminders_and_attendance(site, personas):
    (slot,) = services.add_slots(personas.counsellor, site, starts=[tomorrow(9)])
    booking = services.book(slot, name="丁", phone="13900000004")
    assert services.send_reminders(now=slot.starts_at - datetime.timedelta(hours=20)) == 1
    assert services.send_reminders(now=slot.starts_at - datetime.timedelta(hours=19)) == 0
    with pytest.raises(ValidationError):
        services.mark_booking(personas.counsellor, booking, state="attended")  # not yet happened
    from xinli.counselling.models import Slot

    Slot.objects.filter(pk=slot.pk).update(starts_at=timezone.now() - datetime.timedelta(hours=1))
    booking.refresh_from_db()
    assert services.mark_booking(personas.counsellor, booking, state="no_show").state == "no_show"
