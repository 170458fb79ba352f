"""Counselling cases with confidential notes (visibility per role, break-the-glass), plans and T09, referrals."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.counselling import selectors, services
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def case(people, personas, tree):
    supervisor = make_user("supervisor", [(tree.county_a, Role.COUNSELLOR)])
    c = services.open_case(personas.counsellor, people.in_a1v1, reason="考试焦虑、失眠", supervisor=supervisor)
    services.add_session(personas.counsellor, c, date=TODAY, minutes=50, notes="谈到与父亲的冲突")
    return c


def test_confidential_notes_by_role(case, personas, tree):
    supervisor = case.supervisor
    colleague = make_user("colleague", [(tree.a1, Role.COUNSELLOR)])
    for user, sees in ((personas.counsellor, True), (supervisor, True), (colleague, False)):
        _, sessions = selectors.get_case(user, case.pk)
        assert (sessions[0].notes == "谈到与父亲的冲突") is sees
    # Outside counselling, the case is not even visible.
    for user in (personas.village_worker_1, personas.crisis_team, personas.smd_doctor, personas.county_officer):
        with pytest.raises(type(case).DoesNotExist):
            selectors.get_case(user, case.pk)


def test_break_the_glass_is_reasoned_time_limited_and_audited(case, tree):
    colleague = make_user("colleague", [(tree.a1, Role.COUNSELLOR)])
    with pytest.raises(ValidationError, match="reason"):
        services.break_glass(colleague, case, reason="看看")
    grant = services.break_glass(colleague, case, reason="来访者今晚失联，需了解风险史")
    assert selectors.get_case(colleague, case.pk)[1][0].notes == "谈到与父亲的冲突"
    assert AuditEntry.objects.filter(action="break_glass", actor_username="colleague", person_id=case.person_id).exists()
    type(grant).objects.filter(pk=grant.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert selectors.get_case(colleague, case.pk)[1][0].notes is None
    outsider = make_user("outsider", [(tree.county_b, Role.COUNSELLOR)])
    with pytest.raises(PermissionDenied):
        services.break_glass(outsider, case, reason="与本案无关但想看看内容")


def test_signs_of_disorder_prompt_a_referral_and_the_hospital_replies(case, personas, tree):
    from xinli.network import services as network

    officer = make_user("officer", [(tree.city, Role.HEALTH_OFFICER)])
    hospital = network.create_institution(officer, org_unit=tree.city, name="市精神卫生中心", kind="psychiatric_hospital")
    _, prompt = services.add_session(personas.counsellor, case, date=TODAY, minutes=50, notes="幻听", signs_of_disorder=True)
    assert prompt is True
    ref = services.refer(personas.counsellor, case.person, institution=hospital, reason="疑似精神病性症状", urgency="urgent")
    _, prompt = services.add_session(personas.counsellor, case, date=TODAY, minutes=30, notes="随访", signs_of_disorder=True)
    assert prompt is False  # already referred
    psychiatrist = make_user("psy", [(tree.city, Role.PSYCHIATRIST)])
    with pytest.raises(ValidationError, match="state"):
        services.reply(psychiatrist, ref, text="x")
    services.receive(psychiatrist, ref)
    services.reply(psychiatrist, ref, text="诊断：急性短暂性精神病性障碍，已门诊治疗；建议社区随访")
    ref.refresh_from_db()
    assert ref.state == "replied" and ref.turnaround_hours is not None and ref.turnaround_hours < 1
    assert [r.pk for r in selectors.visible_referrals(psychiatrist)] == [ref.pk]
    assert [r.pk for r in selectors.visible_referrals(personas.counsellor)] == [ref.pk]
    with pytest.raises(PermissionDenied):
        services.receive(personas.village_worker_2, ref)
    back = services.refer(psychiatrist, case.person, institution=hospital, reason="出院回社区", back=True)
    assert back.back is True


def test_plans_and_t09_coverage(people, personas, tree):
    from xinli.archives.models import PopulationTag

    PopulationTag(person=people.in_a1v1, tag="community_correction", since=TODAY).place_under(people.in_a1v1).save()
    with pytest.raises(ValidationError, match="person"):  # no special-population tag
        services.create_plan(personas.counsellor, people.in_a1v2, goals="g", interventions="i", review_on=TODAY + datetime.timedelta(days=30))
    with pytest.raises(PermissionDenied):  # outside the counsellor's area
        services.create_plan(personas.counsellor, people.in_a2v1, goals="g", interventions="i", review_on=TODAY + datetime.timedelta(days=30))
    PopulationTag(person=people.in_a1v2, tag="community_correction", since=TODAY).place_under(people.in_a1v2).save()
    services.create_plan(personas.counsellor, people.in_a1v1, goals="减少孤独感", interventions="每周电话、社区活动",
                         review_on=TODAY + datetime.timedelta(days=90), partners=["government", "family"])
    with pytest.raises(ValidationError, match="person"):
        services.create_plan(personas.counsellor, people.in_a1v1, goals="g", interventions="i", review_on=TODAY + datetime.timedelta(days=9))
    # A1: two persons under community correction, one with an active plan (review in 90 days) -> 1 of 2 (target
    # >= 60 %). County A also has the untagged resident of A2v1, who is not in the denominator.
    from xinli.counselling.indicators import coverage

    assert coverage(tree.a1, TODAY) == (1, 2)
    assert coverage(tree.county_a, TODAY) == (1, 2)


def test_case_page_hides_notes_from_colleagues(case, personas, tree):
    from django.test import Client

    from xinli.testing.fixtures import login_verified

    colleague = make_user("colleague", [(tree.a1, Role.COUNSELLOR)])
    mine, theirs = Client(), Client()
    login_verified(mine, personas.counsellor)
    login_verified(theirs, colleague)
    assert "谈到与父亲的冲突" in mine.get(f"/counselling/cases/{case.pk}/").content.decode()
    page = theirs.get(f"/counselling/cases/{case.pk}/").content.decode()
    assert "谈到与父亲的冲突" not in page and "考试焦虑" not in page and 'name="reason"' in page
    theirs.post(f"/counselling/cases/{case.pk}/", {"do": "break_glass", "reason": "来访者失联，需了解风险"})
    assert "谈到与父亲的冲突" in theirs.get(f"/counselling/cases/{case.pk}/").content.decode()
    assert Client().get(f"/counselling/cases/{case.pk}/").status_code == 302
    village = Client()
    login_verified(village, personas.village_worker_1)
    assert village.get(f"/counselling/cases/{case.pk}/").status_code == 404


def test_desk_counts_the_plans_overdue_for_review(people, personas, tree):
    """The desk lists the worker's plans and says how many are overdue for review (the T09 figure itself is on the
    indicator pages, read from the rollups: one home per rule)."""
    from django.test import Client

    from xinli.archives.models import PopulationTag
    from xinli.counselling.models import Plan
    from xinli.testing.fixtures import login_verified

    PopulationTag(person=people.in_a1v1, tag="community_correction", since=TODAY).place_under(people.in_a1v1).save()
    plan = services.create_plan(personas.counsellor, people.in_a1v1, goals="g", interventions="i", review_on=TODAY + datetime.timedelta(days=30))
    client = Client()
    login_verified(client, personas.counsellor)
    page = client.get("/counselling/").content.decode()
    assert "T09" not in page and "复核已逾期 0 项" in page
    Plan.objects.filter(pk=plan.pk).update(review_on=TODAY - datetime.timedelta(days=1))
    assert "复核已逾期 1 项" in client.get("/counselling/").content.decode()


def test_desk_forms_plan_review_booking_for_a_person_and_outcome_measure(people, personas, tree):
    from django.test import Client

    from xinli.archives.models import PopulationTag
    from xinli.counselling.models import Booking, Plan, Session
    from xinli.network import services as network
    from xinli.screening.services import administer
    from xinli.testing.fixtures import login_verified

    client = Client()
    login_verified(client, personas.counsellor)
    PopulationTag(person=people.in_a1v1, tag="empty_nest_elderly", since=TODAY).place_under(people.in_a1v1).save()
    client.post("/counselling/", {"do": "plan", "id_number": people.in_a1v1.id_number, "goals": "减少孤独", "interventions": "每周电话",
                                  "review_on": (TODAY + datetime.timedelta(days=30)).isoformat(), "partners": ["family", "government"]})
    plan = Plan.objects.get()
    assert plan.partners == ["family", "government"] and plan.worker == personas.counsellor
    assert services.plan_review_reminders(TODAY + datetime.timedelta(days=28)) == 1
    client.post("/counselling/", {"do": "review", "plan": plan.pk, "review_on": (TODAY + datetime.timedelta(days=90)).isoformat()})
    plan.refresh_from_db()
    assert plan.review_on == TODAY + datetime.timedelta(days=90)
    client.post("/counselling/", {"do": "close_plan", "plan": plan.pk})
    assert Plan.objects.get().state == "closed"
    # Booking for an archived resident into one of my free slots.
    officer = make_user("officer", [(tree.county_a, Role.HEALTH_OFFICER)])
    site = network.create_site(officer, org_unit=tree.a1v1, name="咨询室", kind="village_room", opened_on=datetime.date(2024, 1, 1))
    (slot,) = services.add_slots(personas.counsellor, site, starts=[timezone.now() + datetime.timedelta(days=1)])
    client.post("/counselling/", {"do": "book_for", "id_number": people.in_a1v2.id_number, "slot": slot.pk})
    assert Booking.objects.get().person == people.in_a1v2
    # An outcome measure of the same person is attached to a session; another person's is refused.
    case = services.open_case(personas.counsellor, people.in_a1v1, reason="孤独")
    mine, _ = administer(personas.counsellor, scale="phq9", answers=[1] * 9, person=people.in_a1v1)
    other, _ = administer(personas.counsellor, scale="phq9", answers=[0] * 9, person=people.in_a1v2)
    client.post(f"/counselling/cases/{case.pk}/", {"do": "session", "date": TODAY.isoformat(), "minutes": "50", "notes": "n", "assessment": mine.pk})
    assert Session.objects.get(case=case).assessment == mine
    with pytest.raises(ValidationError, match="assessment"):
        services.add_session(personas.counsellor, case, date=TODAY, minutes=50, assessment=other)
