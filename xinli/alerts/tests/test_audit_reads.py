"""Every page and API answer of crisis work that shows residents is an audited read: one entry per person shown."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from xinli.alerts import crisis
from xinli.alerts.models import FollowUp
from xinli.core.models import AuditEntry
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def last_id():
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def reads_since(mark, user):
    """person id -> number of read/search entries written for ``user`` after ``mark``."""
    rows = AuditEntry.objects.filter(id__gt=mark, actor_id=user.pk, action__in=["read", "search"], person_id__isnull=False)
    out = {}
    for pid in rows.values_list("person_id", flat=True):
        out[pid] = out.get(pid, 0) + 1
    return out


@pytest.fixture
def crisis_work(people, teams, tree):
    """The county team: an open case (A1v1), a closed high-risk case (A1v2) with a follow-up due today, and a group
    crisis in A2 with one affected resident (A2v1, follow-up due today) and one described by label only."""
    team = teams["county"]
    crisis.open_case(team, people.in_a1v1, assessment="有念头")
    closed = crisis.open_case(team, people.in_a1v2, assessment="高危")
    crisis.close_case(team, closed, summary="稳定", high_risk=True)
    FollowUp.objects.filter(case=closed).update(due=timezone.localdate())
    event = crisis.create_event(team, name="火灾", kind="accident", org_unit=tree.a2,
                                occurred_at=timezone.now() - datetime.timedelta(days=3))
    crisis.add_affected(team, event, person=people.in_a2v1, risk="high")
    crisis.add_affected(team, event, label="路人甲", risk="low")
    return {"team": team, "event": event, "closed": closed}


def test_crisis_case_list_audits_each_listed_person(crisis_work, people):
    team = crisis_work["team"]
    crisis.open_case(team, people.in_a1v1, assessment="第二个病例")  # the same person twice: still one entry
    mark = last_id()
    r = api(team).get("/api/v1/crisis-cases/")
    assert r.status_code == 200 and len(r.json()["results"]) == 3
    assert reads_since(mark, team) == {people.in_a1v1.pk: 1, people.in_a1v2.pk: 1}


def test_crisis_event_list_and_retrieve_audit_the_affected_people(crisis_work, people):
    team, event = crisis_work["team"], crisis_work["event"]
    mark = last_id()
    r = api(team).get("/api/v1/crisis-events/")
    assert r.status_code == 200 and [e["id"] for e in r.json()["results"]] == [event.pk]
    assert reads_since(mark, team) == {people.in_a2v1.pk: 1}
    mark = last_id()
    r = api(team).get(f"/api/v1/crisis-events/{event.pk}/")
    assert r.status_code == 200 and len(r.json()["affected"]) == 2
    assert reads_since(mark, team) == {people.in_a2v1.pk: 1}
    assert AuditEntry.objects.filter(id__gt=mark, person_id=people.in_a2v1.pk).get().action == "read"


def test_follow_up_list_audits_the_person_of_each_follow_up(crisis_work, people):
    team = crisis_work["team"]
    mark = last_id()
    r = api(team).get("/api/v1/follow-ups/", {"due": "1"})
    # Three of the closed case, one per affected person (one of them not in the archive): one entry per resident.
    assert r.status_code == 200 and len(r.json()["results"]) == 5
    assert reads_since(mark, team) == {people.in_a1v2.pk: 1, people.in_a2v1.pk: 1}


def test_crisis_page_audits_everyone_it_names(crisis_work, people):
    team = crisis_work["team"]
    client = Client()
    login_verified(client, team)
    mark = last_id()
    page = client.get("/crisis/").content.decode()
    # Open case (A1v1), follow-up of a closed case (A1v2), follow-up of an affected resident (A2v1).
    assert all(p.name in page for p in (people.in_a1v1, people.in_a1v2, people.in_a2v1))
    assert reads_since(mark, team) == {people.in_a1v1.pk: 1, people.in_a1v2.pk: 1, people.in_a2v1.pk: 1}


def test_event_page_audits_the_affected_people(crisis_work, people):
    team, event = crisis_work["team"], crisis_work["event"]
    client = Client()
    login_verified(client, team)
    mark = last_id()
    page = client.get(f"/crisis/events/{event.pk}/").content.decode()
    assert people.in_a2v1.name in page and "路人甲" in page
    assert reads_since(mark, team) == {people.in_a2v1.pk: 1}
