"""Two reminder workers racing: appointment reminders and plan-review reminders are claimed with a conditional
UPDATE before the counsellor is notified, so each is sent exactly once (SQLite and PostgreSQL)."""

import datetime

import pytest
from django.utils import timezone

from xinli.alerts.models import Notification
from xinli.archives.models import PopulationTag
from xinli.core.policy import Role
from xinli.counselling import services
from xinli.counselling.models import Booking, Plan
from xinli.network import services as network
from xinli.testing.fixtures import make_user
from xinli.testing.race import race


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_remind_each_appointment_once(personas, tree):
    officer = make_user("officer", [(tree.county_a, Role.HEALTH_OFFICER)])
    site = network.create_site(officer, org_unit=tree.a1v1, name="咨询室", kind="village_room", opened_on=datetime.date(2024, 1, 1))
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
    slots = services.add_slots(personas.counsellor, site, starts=[start + datetime.timedelta(hours=h) for h in range(5)])
    for i, slot in enumerate(slots):
        services.book(slot, name="丁", phone=f"1390000000{i}")
    now = start - datetime.timedelta(hours=20)
    counts = race(lambda: services.send_reminders(now=now), after_reading="counselling_booking")
    assert sum(counts) == 5
    assert Notification.objects.filter(kind="appointment", recipient=personas.counsellor).count() == 5
    assert not Booking.objects.filter(reminded=False).exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_remind_each_worker_of_plan_reviews_once_a_day(personas, people):
    today = timezone.localdate()
    for person in (people.in_a1v1, people.in_a1v2):
        PopulationTag(person=person, tag="empty_nest_elderly", since=today).place_under(person).save()
        services.create_plan(personas.counsellor, person, goals="改善睡眠", interventions="每周一次",
                             review_on=today + datetime.timedelta(days=2))
    counts = race(lambda: services.plan_review_reminders(today), after_reading="counselling_plan")
    assert sum(counts) == 1
    (note,) = Notification.objects.filter(kind="plans_due", recipient=personas.counsellor)
    assert note.params == {"count": 2}
    assert services.plan_review_reminders(today) == 0  # told once a day
    assert services.plan_review_reminders(today + datetime.timedelta(days=1)) == 1
    assert set(Plan.objects.values_list("reminded_on", flat=True)) == {today + datetime.timedelta(days=1)}
