"""Scheduled home visits (issue 18, docs/field.md "Scheduled home visits"): a worker schedules a visit (on its own or
as the "next visit" of a home-visit note), it is in their task pack, and the home-visit note that names it completes
it — once, whatever the replays; conflicts as for the other forms."""

import datetime
import json

import pytest
from django.utils import timezone

from xinli.archives.models import PersonStatus
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.field import services
from xinli.field.models import FieldNote, ScheduledVisit, SyncItem
from xinli.testing.fixtures import make_user

from .conftest import api, headers, item, register

pytestmark = pytest.mark.django_db


def _sync(user, device, items):
    r = api(user).post("/api/v1/field/sync/", {"items": items}, format="json", **headers(device))
    assert r.status_code == 200, r.content
    return r.json()["items"]


def _pack(user, device, days=14):
    r = api(user).get("/api/v1/field/pack/", {"days": days}, **headers(device))
    assert r.status_code == 200, r.content
    return r.json()


def _day(n):
    return (timezone.localdate() + datetime.timedelta(days=n)).isoformat()


@pytest.fixture
def worker(personas):
    """The community worker of village a1v1."""
    return personas.village_worker_1


def test_schedule_on_its_own_then_in_the_pack_with_its_purpose(worker, people):
    device = register(worker)
    [r] = _sync(worker, device, [item("schedule_visit", {"person": people.in_a1v1.pk, "date": _day(3), "purpose": "了解服药情况"})])
    assert r["outcome"] == "stored" and r["result"]["date"] == _day(3)
    visit = ScheduledVisit.objects.get(pk=r["result"]["visit"])
    assert (visit.person, visit.scheduled_by, visit.assigned_to, visit.state) == (people.in_a1v1, worker, worker, "open")
    assert visit.purpose == "了解服药情况" and visit.county_code and visit.org_path == people.in_a1v1.org_path
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT purpose FROM field_scheduledvisit WHERE id = %s", [visit.pk])
        assert "服药" not in cur.fetchone()[0]  # encrypted at rest
    body = _pack(worker, device)
    [task] = [t for t in body["tasks"] if t["kind"] == "home_visit"]
    assert task["record"] == {"type": "field.scheduledvisit", "id": visit.pk} and task["due"] == _day(3)
    assert task["purpose"] == "了解服药情况" and task["person"] == people.in_a1v1.pk and not task["overdue"]
    assert people.in_a1v1.pk in {p["id"] for p in body["persons"]}
    # Beyond the horizon: not in a 2-day pack.
    assert not [t for t in _pack(worker, device, days=2)["tasks"] if t["kind"] == "home_visit"]


def test_pack_orders_home_visit_by_day_and_last_on_its_day(doctor, patients):
    from xinli.field.selectors import KIND_RANK

    assert max(KIND_RANK, key=KIND_RANK.get) == "home_visit" and KIND_RANK["home_visit"] > KIND_RANK["plan_review"]
    mine, _ = patients
    due = mine[0].tasks.get(state="due").due
    later = services.schedule_visit(doctor, mine[0].person, visit_on=due)  # the same day as the SMD follow-ups
    today = services.schedule_visit(doctor, mine[1].person, visit_on=timezone.localdate())
    tasks = _pack(doctor, register(doctor))["tasks"]
    order = [(t["kind"], t["record"]["id"]) for t in tasks]
    assert order[0] == ("home_visit", today.pk)
    assert order[-1] == ("home_visit", later.pk) and {t["due"] for t in tasks[1:]} == {due.isoformat()}
    assert [k for k, _ in order[1:-1]] == ["smd_follow_up"] * (len(order) - 2) and len(order) > 3


def test_only_the_scheduler_or_assignee_gets_it_in_the_pack(worker, personas, people, tree):
    services.schedule_visit(worker, people.in_a1v1, visit_on=timezone.localdate())
    # The township worker sees a1v1 too (scope) but did not schedule it and is not assigned: not in their pack,
    # though they may list it.
    township = personas.township_worker
    device = register(township)
    assert not [t for t in _pack(township, device)["tasks"] if t["kind"] == "home_visit"]
    r = api(township).get("/api/v1/field/visits/", {"person": people.in_a1v1.pk})
    assert r.status_code == 200 and [v["person"] for v in r.json()["results"]] == [people.in_a1v1.pk]
    assert AuditEntry.objects.filter(actor_id=township.pk, person_id=people.in_a1v1.pk, action="search",
                                     purpose="scheduled_visits").exists()


def test_home_visit_note_completes_the_visit_and_schedules_the_next(worker, people):
    visit = services.schedule_visit(worker, people.in_a1v1, visit_on=timezone.localdate(), purpose="复访")
    device = register(worker)
    [task] = [t for t in _pack(worker, device)["tasks"] if t["kind"] == "home_visit"]
    payload = {"person": people.in_a1v1.pk, "date": timezone.localdate().isoformat(), "text": "情绪平稳，按时服药", "visit": visit.pk,
               "next_visit": {"date": _day(30), "purpose": "下月复访"}}
    form = item("home_visit_note", payload, base_version=task["version"])
    [r] = _sync(worker, device, [form])
    assert r["outcome"] == "stored" and r["result"]["visit_done"] == visit.pk
    visit.refresh_from_db()
    note = FieldNote.objects.get(pk=r["result"]["note"])
    assert (visit.state, visit.done_by, visit.done_note) == ("done", worker, note)
    nxt = ScheduledVisit.objects.get(pk=r["result"]["next_visit"]["visit"])
    assert (nxt.state, nxt.visit_on.isoformat(), nxt.purpose) == ("open", _day(30), "下月复访")
    # The done visit left the pack; the next one is in a 31-day-ahead pack only (14 days max: not yet).
    assert [t["record"]["id"] for t in _pack(worker, device)["tasks"] if t["kind"] == "home_visit"] == []
    # Replay: the same answer, nothing new.
    [again] = _sync(worker, device, [form])
    assert again["replayed"] and again["result"] == r["result"]
    assert ScheduledVisit.objects.count() == 2 and FieldNote.objects.count() == 1 and SyncItem.objects.count() == 1


def test_visit_done_by_a_colleague_is_task_done_and_the_entry_kept(worker, personas, people):
    visit = services.schedule_visit(worker, people.in_a1v1, visit_on=timezone.localdate())
    colleague = personas.township_worker
    type(colleague).objects.filter(pk=colleague.pk).update(display_name="李社工")
    colleague.refresh_from_db()
    note = services.add_home_visit_note(colleague, people.in_a1v1, text="已走访", visited_on=timezone.localdate())
    services.complete_visit(colleague, visit, note=note)
    device = register(worker)
    payload = {"person": people.in_a1v1.pk, "date": timezone.localdate().isoformat(), "text": "我也去了", "visit": visit.pk,
               "next_visit": {"date": _day(7)}}
    [r] = _sync(worker, device, [item("home_visit_note", payload)])
    assert r["outcome"] == "conflict" and r["reason"] == "task_done" and "李社工" in r["message"]
    kept = FieldNote.objects.get(pk=r["note"]["id"])
    assert kept.kind == "conflict" and json.loads(kept.entry) == payload
    assert (kept.about_type, kept.about_id) == ("field.scheduledvisit", visit.pk)
    # Nothing else written: no second home-visit note, no next visit, the visit still the colleague's.
    assert FieldNote.objects.filter(kind="home_visit").count() == 1 and ScheduledVisit.objects.count() == 1
    visit.refresh_from_db()
    assert visit.done_by == colleague


def test_cancelled_visit_and_changed_visit_are_conflicts(worker, people):
    device = register(worker)
    cancelled = services.schedule_visit(worker, people.in_a1v1, visit_on=timezone.localdate())
    services.cancel_visit(worker, cancelled)
    moved = services.schedule_visit(worker, people.in_a1v1, visit_on=timezone.localdate())
    [task] = [t for t in _pack(worker, device)["tasks"] if t["kind"] == "home_visit"]
    ScheduledVisit.objects.filter(pk=moved.pk).update(visit_on=timezone.localdate() + datetime.timedelta(days=1))
    base = {"person": people.in_a1v1.pk, "date": timezone.localdate().isoformat(), "text": "走访"}
    r1, r2 = _sync(worker, device, [item("home_visit_note", base | {"visit": cancelled.pk}),
                                    item("home_visit_note", base | {"visit": moved.pk}, base_version=task["version"])])
    assert (r1["outcome"], r1["reason"]) == ("conflict", "cancelled")
    assert (r2["outcome"], r2["reason"]) == ("conflict", "changed")
    moved.refresh_from_db()
    assert moved.state == "open"


def test_deceased_and_transferred_person(worker, people, tree):
    from xinli.archives.models import Person, Transfer

    device = register(worker)
    dead = services.schedule_visit(worker, people.in_a1v1, visit_on=timezone.localdate())
    Person.objects.filter(pk=people.in_a1v1.pk).update(status=PersonStatus.DECEASED)
    [r] = _sync(worker, device, [item("home_visit_note", {"person": people.in_a1v1.pk, "date": timezone.localdate().isoformat(),
                                                          "text": "走访", "visit": dead.pk})])
    assert (r["outcome"], r["reason"]) == ("conflict", "deceased")
    dead.refresh_from_db()
    assert dead.state == "open"
    # Moved to a1v2 (a transfer from a1v1): "transferred", kept for the receiving unit.
    Person.objects.filter(pk=people.in_a1v1.pk).update(status=PersonStatus.ACTIVE, org_unit=tree.a1v2, org_path=tree.a1v2.path)
    Transfer.objects.create(person=people.in_a1v1, from_unit=tree.a1v1, to_unit=tree.a1v2, from_path=tree.a1v1.path,
                            to_path=tree.a1v2.path, accept_by=timezone.localdate())
    [r] = _sync(worker, device, [item("schedule_visit", {"person": people.in_a1v1.pk, "date": _day(2)})])
    assert (r["outcome"], r["reason"]) == ("conflict", "transferred")
    assert ScheduledVisit.objects.count() == 1


def test_scope_denial_and_bad_input_write_nothing(worker, people):
    device = register(worker)
    outside = _sync(worker, device, [item("schedule_visit", {"person": people.in_a2v1.pk, "date": _day(1)})])[0]
    assert outside["outcome"] == "refused" and "person" in outside["errors"]
    past = _sync(worker, device, [item("schedule_visit", {"person": people.in_a1v1.pk, "date": _day(-1)})])[0]
    assert past["outcome"] == "refused" and "日期" in past["errors"]["date"][0] and "Visit date" in past["errors"]["date"][0]
    bad_next = _sync(worker, device, [item("home_visit_note", {"person": people.in_a1v1.pk, "date": timezone.localdate().isoformat(),
                                                               "text": "走访", "next_visit": {"date": "明天"}})])[0]
    assert bad_next["outcome"] == "refused" and "next_visit.date" in bad_next["errors"]
    # Another person's visit, or one outside the area, cannot be completed.
    other_worker = make_user("a2_worker", [(people.in_a2v1.org_unit, Role.COMMUNITY_WORKER)])
    theirs = services.schedule_visit(other_worker, people.in_a2v1, visit_on=timezone.localdate())
    wrong = _sync(worker, device, [item("home_visit_note", {"person": people.in_a1v1.pk, "date": timezone.localdate().isoformat(),
                                                            "text": "走访", "visit": theirs.pk})])[0]
    assert wrong["outcome"] == "refused" and "visit" in wrong["errors"]
    assert FieldNote.objects.count() == 0 and SyncItem.objects.count() == 0 and ScheduledVisit.objects.count() == 1
    # The list and the cancel of a visit outside the area: not visible.
    assert api(worker).get("/api/v1/field/visits/").json()["results"] == []
    assert api(worker).post(f"/api/v1/field/visits/{theirs.pk}/cancel/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == "open"


def test_cancel_through_the_api(worker, people):
    visit = services.schedule_visit(worker, people.in_a1v1, visit_on=timezone.localdate())
    r = api(worker).post(f"/api/v1/field/visits/{visit.pk}/cancel/")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    again = api(worker).post(f"/api/v1/field/visits/{visit.pk}/cancel/")
    assert again.status_code == 400 and "visit" in again.json()


def test_open_visit_follows_the_person_when_the_receiving_worker_accepts(worker, personas, people, tree):
    from xinli.archives import transfers
    from xinli.archives.services import update_person

    visit = services.schedule_visit(worker, people.in_a1v1, visit_on=timezone.localdate() + datetime.timedelta(days=3))
    update_person(personas.county_officer, people.in_a1v1, {"org_unit": tree.a1v2})
    from xinli.archives.models import Transfer

    transfer = Transfer.objects.get(person=people.in_a1v1)
    assert "field.scheduledvisit" in set(transfer.items.values_list("kind", flat=True))
    receiver = personas.village_worker_2
    transfers.accept(receiver, transfer)
    visit.refresh_from_db()
    assert (visit.org_path, visit.assigned_to, visit.state) == (tree.a1v2.path, receiver, "open")
    device = register(receiver)
    assert [t["record"]["id"] for t in _pack(receiver, device)["tasks"] if t["kind"] == "home_visit"] == [visit.pk]
    old_device = register(worker)
    assert not [t for t in _pack(worker, old_device)["tasks"] if t["kind"] == "home_visit"]
