"""The resident's optional account: bookings and kept self-tests, and withdrawing consent deletes them."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from xinli.portal.models import ResidentAccount
from xinli.screening.models import Assessment

pytestmark = pytest.mark.django_db
PASSWORD = "Resident-2026!"


def test_account_keeps_tests_and_bookings_and_deletes_them_on_withdrawal(tree, personas):
    from xinli.core.policy import Role
    from xinli.counselling import services as counselling
    from xinli.counselling.models import Booking
    from xinli.network import services as network
    from xinli.testing.fixtures import make_user

    client = Client()
    assert client.post("/p/account/register/", {"phone": "13912345678", "password": PASSWORD}).status_code == 400  # no consent
    r = client.post("/p/account/register/", {"phone": "13912345678", "password": PASSWORD, "consent": "on"})
    assert r.status_code == 302 and r["Location"] == "/p/account/"
    account = ResidentAccount.objects.get()
    assert account.user.assignments.count() == 0 and account.user.username != "13912345678"
    assert Client().post("/p/account/register/", {"phone": "139 1234 5678", "password": PASSWORD, "consent": "on"}).status_code == 400
    # A kept self-test and a booking belong to the account.
    client.post("/p/test/gad7/", {f"q_{i}": "1" for i in range(1, 8)} | {"keep": "on"})
    officer = make_user("officer", [(tree.county_a, Role.HEALTH_OFFICER)])
    site = network.create_site(officer, org_unit=tree.a1v1, name="咨询室", kind="village_room", opened_on=datetime.date(2024, 1, 1))
    day = timezone.localdate() + datetime.timedelta(days=2)
    (slot,) = counselling.add_slots(personas.counsellor, site, starts=[timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))])
    client.post(f"/p/book/{site.pk}/", {"slot": slot.pk, "name": "王", "phone": "13912345678"})
    page = client.get("/p/account/").content.decode()
    assert Booking.objects.get().account == account.user and Assessment.objects.get().administered_by == account.user
    assert Booking.objects.get().reference in page
    # Staff pages are not for residents: the staff home sends them back to their account.
    assert client.get("/")["Location"] == "/p/account/"
    # Log out and back in with the phone number.
    client.logout()
    assert client.post("/p/account/login/", {"phone": "13912345678", "password": "wrong"}).status_code == 403
    assert client.post("/p/account/login/", {"phone": "13912345678", "password": PASSWORD}).status_code == 302
    # Withdraw consent: everything goes.
    r = client.post("/p/account/", {"do": "delete"})
    assert 'id="deleted"' in r.content.decode()
    assert not Assessment.objects.exists() and not ResidentAccount.objects.exists()
    b = Booking.objects.get()
    assert (b.state, b.name, b.phone, b.account) == ("cancelled", "—", None, None)
    assert client.post("/p/account/login/", {"phone": "13912345678", "password": PASSWORD}).status_code == 403


def test_account_page_needs_a_resident_login(client, personas):
    assert client.get("/p/account/")["Location"] == "/p/account/login/"


def test_a_resident_logs_out_back_to_the_portal(tree):
    from django.test import Client

    from xinli.core.models import AuditEntry

    client = Client()
    client.post("/p/account/register/", {"phone": "13912345678", "password": PASSWORD, "consent": "on"})
    assert 'id="logout"' in client.get("/p/account/").content.decode()
    r = client.post("/p/account/", {"do": "logout"})
    assert r.status_code == 302 and r["Location"] == "/p/"
    assert client.get("/p/account/")["Location"] == "/p/account/login/"
    assert AuditEntry.objects.filter(action="logout").exists()
