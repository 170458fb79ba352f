"""Issue 17 §3: merging two records of the same resident, and undoing it.

Two records of 孙七 (born 1970-03-03): the survivor in A1v1 (a population tag), the other in A1v2 with one row of
every kind that names a person — built by hand here: rows of the shared fixture re-pointed to it, and a booking, a
survey invitation, a campaign participant and an earlier merged record made for it. The county officer of 市南区
(archives.merge and archives.edit over both) merges them; every row points to the survivor, the other record is kept
as "merged"; the undo restores every row exactly. Conflicts (two SMD records, two active plans) are refused and write
nothing. A reader without the right gets 404."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from xinli.archives.merge import KEEP, NON_FK_REFERENCES, merge_persons, person_links, undo_merge
from xinli.archives.models import Person, PersonMerge, PopulationTag
from xinli.archives.services import register_person
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.core.tests.test_authorization_matrix import assessments  # noqa: F401  (the shared object fixture)
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db


def _moved_links():
    return [link for link in person_links() if link.rule != KEEP]


@pytest.fixture
def two(tree, people, personas, assessments):  # noqa: F811
    """(survivor, merged, {relation key: pk of the one row of that kind built for the merged record})."""
    from xinli.alerts.models import AffectedPerson, Alert, CrisisCase
    from xinli.counselling.models import Booking, Case, Plan, Referral, Slot
    from xinli.hotline.models import Call
    from xinli.network.models import Site
    from xinli.outreach.models import AwarenessSample, Invitation
    from xinli.outreach.services import sample_survey
    from xinli.screening import campaigns
    from xinli.screening.models import Assessment, Participant
    from xinli.smd.models import Patient

    officer = personas.county_officer
    survivor = register_person(officer, {"name": "孙七", "birth_date": datetime.date(1970, 3, 3), "phone": "13911110001",
                                         "org_unit": tree.a1v1}, tags=["elderly_empty_nest"]).person
    merged = register_person(officer, {"name": "孙七", "birth_date": datetime.date(1970, 3, 3), "phone": "13911110002",
                                       "org_unit": tree.a1v2}, tags=["elderly_empty_nest", "disabled"],
                             consents=[{"purpose": "archive"}]).person
    donor = people.in_a2v1  # the fixture gave them an assessment, alert, cases, plan, referral and SMD record
    built = {"archives.consent.person": merged.consents.get().pk}
    for model in (Assessment, Alert, CrisisCase, Case, Plan, Referral, Patient):
        row = model.objects.filter(person=donor).order_by("pk").first()
        model.objects.filter(pk=row.pk).update(person=merged)
        built[f"{model._meta.label_lower}.person"] = row.pk
    for model in (AffectedPerson, Call):  # fixture rows without a person
        row = model.objects.filter(person__isnull=True, org_path__startswith=tree.county_a.path).first()
        model.objects.filter(pk=row.pk).update(person=merged)
        built[f"{model._meta.label_lower}.person"] = row.pk
    site = Site.objects.filter(org_path__startswith=tree.county_a.path).first()
    slot = Slot.objects.create(site=site, counsellor=personas.counsellor, starts_at=timezone.now() + datetime.timedelta(days=2),
                               org_path=site.org_path)
    built["counselling.booking.person"] = Booking.objects.create(slot=slot, person=merged, reference="MERGE1").place_under(merged).pk
    Booking.objects.filter(pk=built["counselling.booking.person"]).update(org_path=merged.org_path, county_code=merged.county_code)
    sample = AwarenessSample.objects.create(survey=sample_survey(), org_unit=tree.county_a, org_path=tree.county_a.path,
                                            year=2026, per_stratum=1, min_age=15, max_age=69, seed="m", drawn_by=officer)
    inv = Invitation(sample=sample, rural=False, person=merged, org_unit=tree.a1v2)
    if hasattr(inv, "place_under"):
        inv.place_under(merged)
    inv.save()
    built["outreach.invitation.person"] = inv.pk
    psy = make_user("psy_merge", [(tree.county_a, Role.SCHOOL_PSYCHOLOGIST)])
    now = timezone.now()
    campaign = campaigns.create_campaign(psy, name="合并测试", kind="school", institution="一中", org_unit=tree.county_a,
                                         scales=["phq9"], opens_at=now, closes_at=now + datetime.timedelta(days=7),
                                         groups=[{"name": "1班", "grade": "初一", "count": 1}])
    participant = Participant.objects.filter(campaign=campaign).first()
    Participant.objects.filter(pk=participant.pk).update(person=merged)
    built["screening.participant.person"] = participant.pk
    older = register_person(officer, {"name": "孙七", "org_unit": tree.a1v2}).person
    Person.objects.filter(pk=older.pk).update(status="merged", merged_into=merged.pk)
    built["archives.person.merged_into"] = older.pk
    built["archives.populationtag.person"] = PopulationTag.objects.get(person=merged, tag="elderly_empty_nest").pk
    from xinli.archives.models import Transfer

    built["archives.transfer.person"] = Transfer.objects.create(  # a decided transfer: its history follows the survivor
        person=merged, from_unit=tree.a1v1, to_unit=tree.a1v2, from_path=tree.a1v1.path, to_path=tree.a1v2.path,
        status=Transfer.Status.RETURNED, accept_by=datetime.date(2026, 1, 15), reason="按地址查无此人").pk
    from xinli.field.models import FieldNote

    built["field.fieldnote.person"] = FieldNote.objects.create(  # a home-visit note from the field app (issue 18)
        person=merged, kind="home_visit", text="入户走访", org_path=merged.org_path, county_code=merged.county_code).pk
    from xinli.field.models import ScheduledVisit

    built["field.scheduledvisit.person"] = ScheduledVisit.objects.create(  # a home visit scheduled in the field app
        person=merged, visit_on=datetime.date(2026, 12, 20), purpose="复访", org_path=merged.org_path,
        county_code=merged.county_code).pk
    from xinli.governance.kinds import ensure_defaults
    from xinli.governance.models import OrderKind, WorkOrder
    from xinli.regions.models import Department, DepartmentUnit

    ensure_defaults()

    office = DepartmentUnit.objects.create(department=Department.objects.get(code="justice"), org_unit=tree.a1, name="司法所")
    built["governance.workorder.person"] = WorkOrder.objects.create(  # a work order about the person (issue 19)
        kind=OrderKind.objects.get(code="dispute_mediation"), title="纠纷", person=merged, from_unit=tree.a1v2,
        from_path=tree.a1v2.path, office=office, department=office.department, to_path=office.org_path, accept_due=now,
        complete_due=now).pk
    from xinli.governance.models import GridCell, GridResident, HouseholdVisit

    grid = GridCell.objects.create(code=f"{tree.a1v2.code}-01", name="汇泉一网格", org_unit=tree.a1v2)
    built["governance.gridresident.person"] = GridResident(person=merged, grid=grid).place_under(merged)
    built["governance.gridresident.person"].save()
    built["governance.gridresident.person"] = built["governance.gridresident.person"].pk
    visit = HouseholdVisit(grid=grid, person=merged, visited_on=now.date(), situation="入户").place_under(merged)
    visit.save()
    built["governance.householdvisit.person"] = visit.pk
    return survivor, merged, built


def _snapshot(*persons):
    """Every column of every row that names one of ``persons`` (moved relations), and the two records' status."""
    ids = [p.pk for p in persons]
    rows = {}
    for link in _moved_links():
        for row in link.model._base_manager.filter(**{f"{link.field.name}__in": ids}).values():
            rows[(link.key, row["id"])] = row
    people = {p["id"]: (p["status"], p["merged_into_id"]) for p in Person.objects.filter(pk__in=ids).values()}
    return rows, people


def test_every_foreign_key_to_person_is_handled_and_built_here(two):
    """Enumerates ``Person``'s relations (hidden ones included): each is moved or explicitly kept, and the fixture
    built a row for each moved one — a new app's foreign key makes this fail until the fixture has a row for it.
    Columns named like a person id without a foreign key must be listed in NON_FK_REFERENCES."""
    from django.apps import apps
    from django.db import models

    _survivor, _merged, built = two
    assert set(built) == {link.key for link in _moved_links()}
    assert {link.key for link in person_links() if link.rule == KEEP} == {
        "archives.possibleduplicate.person_a", "archives.possibleduplicate.person_b", "archives.personmerge.survivor",
        "archives.personmerge.merged"}
    plain = {f"{m._meta.label_lower}.{f.name}" for m in apps.get_models() for f in m._meta.concrete_fields
             if f.name.endswith("person_id") and isinstance(f, models.IntegerField)}
    assert plain == set(NON_FK_REFERENCES)


def test_merge_moves_every_linked_row_and_keeps_the_other_record(two, tree, personas):
    survivor, merged, built = two
    record = merge_persons(personas.county_officer, survivor, merged)
    for link in _moved_links():
        row = link.model._base_manager.get(pk=built[link.key])
        assert getattr(row, link.field.attname) == survivor.pk, link.key
    merged.refresh_from_db()
    assert merged.status == "merged" and merged.merged_into_id == survivor.pk
    assert Person.objects.filter(pk=merged.pk).exists()  # kept, never deleted
    # Tags: the duplicate active tag of the merged record is moved and ended; the survivor's and the new one stay.
    active = sorted(PopulationTag.objects.filter(person=survivor, until__isnull=True).values_list("tag", flat=True))
    assert active == ["disabled", "elderly_empty_nest"]
    ended = PopulationTag.objects.get(pk=built["archives.populationtag.person"])
    assert ended.person_id == survivor.pk and ended.until == timezone.localdate()
    # The consent follows the survivor's unit; the assessment keeps its place.
    from xinli.archives.models import Consent
    from xinli.screening.models import Assessment

    assert Consent.objects.get(pk=built["archives.consent.person"]).org_path == tree.a1v1.path
    assert Assessment.objects.get(pk=built["screening.assessment.person"]).org_path == tree.a2v1.path
    # The audit entry lists every moved row: 22 = one of each of the 21 moved kinds, and the two tags.
    entry = AuditEntry.objects.get(pk=record.audit_entry_id)
    moved = {(m["table"], m["pk"]) for m in entry.detail["moved"]}
    assert len(entry.detail["moved"]) == 22 and len(moved) == 22
    assert ("archives_populationtag", built["archives.populationtag.person"]) in moved
    assert entry.person_id == survivor.pk and entry.detail["merged_person"] == merged.pk
    assert AuditEntry.objects.filter(person_id=merged.pk, object_type="archives.person", purpose="merge").exists()


def test_undo_restores_exactly(two, personas):
    survivor, merged, _built = two
    before = _snapshot(survivor, merged)
    record = merge_persons(personas.county_officer, survivor, merged)
    assert _snapshot(survivor, merged) != before
    undo_merge(personas.county_officer, record)
    assert _snapshot(survivor, merged) == before
    record.refresh_from_db()
    assert record.undone_at is not None and record.undone_by == personas.county_officer
    with pytest.raises(ValidationError, match="已撤销"):
        undo_merge(personas.county_officer, record)


def test_undo_is_refused_when_a_moved_row_changed_since(two, personas):
    from xinli.counselling.models import Case

    survivor, merged, built = two
    record = merge_persons(personas.county_officer, survivor, merged)
    Case.objects.filter(pk=built["counselling.case.person"]).update(reason="合并后改过")
    after = _snapshot(survivor, merged)
    with pytest.raises(ValidationError) as exc:
        undo_merge(personas.county_officer, record)
    assert f"编号 {built['counselling.case.person']}" in str(exc.value)
    assert _snapshot(survivor, merged) == after
    record.refresh_from_db()
    assert record.undone_at is None


def test_undo_is_refused_after_the_window(two, personas):
    survivor, merged, _built = two
    record = merge_persons(personas.county_officer, survivor, merged)
    PersonMerge.objects.filter(pk=record.pk).update(merged_at=timezone.now() - datetime.timedelta(days=31))
    record.refresh_from_db()
    with pytest.raises(ValidationError, match="30"):
        undo_merge(personas.county_officer, record)


@pytest.mark.parametrize("kind", ["smd", "plan"])
def test_conflicts_are_refused_naming_the_records_and_write_nothing(two, people, personas, kind):
    from xinli.counselling.models import Plan
    from xinli.smd.models import Patient

    survivor, merged, built = two
    model = Patient if kind == "smd" else Plan
    own = model.objects.filter(person=people.in_a1v2).first()
    model.objects.filter(pk=own.pk).update(person=survivor)
    before = _snapshot(survivor, merged)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        merge_persons(personas.county_officer, survivor, merged)
    text = str(exc.value)
    assert f"编号 {own.pk}" in text and f"编号 {built[f'{model._meta.label_lower}.person']}" in text, text
    assert _snapshot(survivor, merged) == before
    assert PersonMerge.objects.count() == 0 and AuditEntry.objects.count() == audit_before


def test_who_may_merge(two, tree, personas):
    survivor, merged, _built = two
    officer_b = make_user("officer_b", [(tree.county_b, Role.HEALTH_OFFICER)])
    for user in (personas.village_worker_1, personas.township_worker, personas.smd_doctor, personas.province_admin, officer_b):
        with pytest.raises(PermissionDenied):
            merge_persons(user, survivor, merged)
        c = APIClient()
        c.force_authenticate(user)
        r = c.get(f"/api/v1/persons/{survivor.pk}/compare/", {"with": merged.pk})
        assert r.status_code in (403, 404), (user, r.status_code)
        r = c.post("/api/v1/person-merges/", {"survivor": survivor.pk, "merged": merged.pk}, format="json")
        assert r.status_code in (403, 404), (user, r.status_code)
    assert PersonMerge.objects.count() == 0 and Person.objects.get(pk=merged.pk).status == "active"


def test_api_compare_merge_and_undo(two, personas):
    survivor, merged, built = two
    c = APIClient()
    c.force_authenticate(personas.county_officer)
    r = c.get(f"/api/v1/persons/{survivor.pk}/compare/", {"with": merged.pk})
    assert r.status_code == 200, r.content
    body = r.json()
    fields = {f["field"]: f for f in body["fields"]}
    assert fields["name"]["a"] == fields["name"]["b"] == "孙七" and not fields["name"]["differs"]
    assert fields["phone"]["differs"]
    counts = {row["kind"]: (row["a"], row["b"]) for row in body["counts"]}
    assert counts["smd.patient.person"] == (0, 1) and counts["archives.populationtag.person"] == (1, 2)
    reads = AuditEntry.objects.filter(actor_id=personas.county_officer.pk, action="read", purpose="merge")
    assert {e.person_id for e in reads} == {survivor.pk, merged.pk}
    r = c.post("/api/v1/person-merges/", {"survivor": survivor.pk, "merged": survivor.pk}, format="json")
    assert r.status_code in (400, 404)
    r = c.post("/api/v1/person-merges/", {"survivor": survivor.pk, "merged": merged.pk}, format="json")
    assert r.status_code == 201, r.content
    merge_id = r.json()["id"]
    assert r.json()["moved"] == 22
    r = c.post(f"/api/v1/person-merges/{merge_id}/undo/", {}, format="json")
    assert r.status_code == 200 and r.json()["undone_at"], r.content
    r = c.post(f"/api/v1/person-merges/{merge_id}/undo/", {}, format="json")
    assert r.status_code == 400 and "已撤销" in str(r.json()) and "already undone" in str(r.json())


def test_audit_search_by_the_survivor_finds_the_merged_record(two, tree, personas):
    from xinli.archives.selectors import person_ids_for_audit

    survivor, merged, _built = two
    merged.name = "孙柒"  # the other record was typed with a variant of the name
    merged.save()
    merge_persons(personas.county_officer, survivor, merged)
    auditor = make_user("auditor_m", [(tree.city, Role.AUDIT_ADMIN)])
    ids, by = person_ids_for_audit(auditor, "孙七")
    assert by == "name" and {survivor.pk, merged.pk} <= set(ids)


def test_the_audit_viewer_names_the_moved_rows_by_kind(two, personas):
    from django.utils import translation

    from xinli.core import audit_display

    survivor, merged, _built = two
    record = merge_persons(personas.county_officer, survivor, merged)
    entry = AuditEntry.objects.get(pk=record.audit_entry_id)
    with translation.override("zh-hans"):
        shown = dict(audit_display.detail(entry.object_type, entry.detail))
    assert "人群标签 2" in shown["转移的记录"] and "知情同意 1" in shown["转移的记录"]
    assert shown["合并前状态"] == "在册"


def test_a_merged_record_is_not_edited_or_merged_again(two, personas):
    from xinli.archives.services import update_person

    survivor, merged, _built = two
    merge_persons(personas.county_officer, survivor, merged)
    merged.refresh_from_db()
    with pytest.raises(ValidationError, match=f"档案 {survivor.pk}"):
        update_person(personas.county_officer, merged, {"address": "新地址"})
    with pytest.raises(ValidationError, match="已合并到档案"):
        merge_persons(personas.county_officer, survivor, merged)
    assert Person.objects.get(pk=merged.pk).address is None


def test_a_pending_transfer_is_decided_before_a_merge(two, tree, personas):
    from xinli.archives.models import Transfer

    survivor, merged, _built = two
    pending = Transfer.objects.create(person=survivor, from_unit=tree.a1v2, to_unit=tree.a1v1, from_path=tree.a1v2.path,
                                      to_path=tree.a1v1.path, accept_by=datetime.date(2026, 1, 15))
    before = _snapshot(survivor, merged)
    with pytest.raises(ValidationError) as refused:
        merge_persons(personas.county_officer, survivor, merged)
    assert f"number {pending.pk}" in str(refused.value) or str(pending.pk) in str(refused.value)
    assert _snapshot(survivor, merged) == before and not PersonMerge.objects.exists()
