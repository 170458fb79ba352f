"""Every person-scoped table carries ``county_code`` (the Citus distribution column, docs/scaling.md), set from the
same source as its ``org_path``, so scoping and distribution never need a join.

A new model with an ``org_path`` or a foreign key to ``archives.Person`` fails here until it either gets the field or
is listed in ``EXEMPT`` with the reason it is not person-scoped.
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from xinli.archives.models import Person
from xinli.regions.models import OrgUnit
from xinli.testing.fixtures import make_user

# Not person-scoped: configuration, aggregates, staff and anonymous answers. Each is kept whole (reference table) or
# distributed another way; none holds a resident's record.
EXEMPT = {
    "core.AuditEntry": "the hash-chained audit log: one ordered chain, kept on the coordinator, not distributed",
    "alerts.Delivery": "a message to a platform user (like alerts.Notification): no person data by design",
    "hotline.Line": "a hotline's configuration for a region",
    "alerts.CrisisTeam": "a region's registered crisis team (staff and outside professionals, not residents)",
    "hotline.CallDetailRecord": "the telephone system's call timings (call id, times): no caller or person",
    "counselling.Slot": "a counsellor's free appointment time: no person until booked (the Booking carries it)",
    "network.Institution": "service network: an institution, not a person",
    "network.Site": "service network: a service site",
    "network.Staff": "service network: a staff member (a worker, not a resident in the archive)",
    "network.Course": "service network: a training course",
    "network.Attendance": "service network: a staff member's training attendance",
    "network.Volunteer": "service network: a volunteer (a worker, not a resident in the archive)",
    "network.InspectionPlan": "service network: an inspection plan",
    "network.Inspection": "service network: a site inspection",
    "network.Rectification": "service network: a site's rectification",
    "network.SatisfactionResponse": "an anonymous satisfaction answer",
    "network.ManagementGroup": "service network: a management group of a region",
    "outreach.Article": "published outreach material",
    "outreach.Event": "an outreach event of a region",
    "outreach.AwarenessResponse": "an anonymous awareness-survey answer",
    "outreach.AwarenessLink": "a village's awareness-survey link (a random token): no person",
    "outreach.AwarenessSample": "an awareness-survey sample of a unit (seed, strata): the persons are in its invitations",
    "indicators.Rollup": "an aggregate figure of a unit",
    "indicators.Signal": "an early-warning signal on a unit's aggregate series",
    "indicators.RiskAssessment": "an aggregate risk assessment of a unit; never names a person",
    "indicators.ExtremeIncident": "an aggregate incident register (kind, date, place); people are in their archives",
    "reports.Report": "a generated report of a unit",
    "archives.DuplicateRequest": "a duplicate ID-number request at a common ancestor unit; names no person (blind index only)",
    "imports.ImportJob": "an import run at the importer's unit (a city officer's file spans its counties): counts, the file's "
                         "digest and the ids it created; no personal field",
    "imports.SourceLink": "a source system's id mapped to a record id (kind, source id, object id) for re-imports; no personal "
                          "field, read only by the importer",
    "archives.Transfer": "a hand-over between two units (possibly of two counties): it carries both paths (from_path, "
                         "to_path), is read by either side and holds no personal field but the encrypted return reason",
    "archives.PossibleDuplicate": "a pair of two records (possibly of two counties) at their common ancestor unit: two "
                                  "record ids and the reasons, no personal field; the records carry their counties",
    "regions.DepartmentUnit": "a department's office at a unit (市民政局): no person",
    "governance.GridCell": "a grid cell below a village (code, name, households, grid worker): no person",
    "governance.Meeting": "a region's leading-group meeting (departments, minutes, decisions): no person",
    "governance.GroupTask": "a task the leading group gave a department: no person",
    "indicators.AppraisalScheme": "a region's appraisal scheme (weights of indicators and tasks): no person",
    "governance.WorkOrder": "a work order between two units (possibly of two counties): it carries both paths (from_path, "
                            "to_path), is read by either side; its free text is encrypted",
    "archives.PersonMerge": "a merge of two records (possibly of two counties) at their common ancestor unit: record ids "
                            "and the moved rows' ids; the records and rows carry their counties",
}

# Person-scoped rows without an ``org_path`` of their own: they take their parent's county.
CHILDREN = {
    "alerts.AlertEvent": "alert",
    "alerts.CrisisAction": "case",
    "smd.TeamMember": "patient",
    "smd.BreakGlass": "patient",
    "counselling.Session": "case",
    "counselling.BreakGlass": "case",
}


def _scoped_models():
    for model in apps.get_models():
        if not model.__module__.startswith("xinli."):
            continue
        names = {f.name for f in model._meta.get_fields()}
        to_person = any(f.is_relation and f.concrete and f.related_model is Person for f in model._meta.get_fields())
        if "org_path" in names or to_person:
            yield model


def _has_county(model) -> bool:
    return any(f.name == "county_code" for f in model._meta.get_fields())


def test_every_person_scoped_model_carries_county_code_or_is_exempt_with_a_reason():
    missing = sorted(m._meta.label for m in _scoped_models() if not _has_county(m) and m._meta.label not in EXEMPT)
    assert missing == [], f"add county_code (docs/scaling.md) or list with a reason in EXEMPT: {missing}"
    labels = {m._meta.label for m in _scoped_models()}
    stale = sorted(label for label in EXEMPT if label not in labels or _has_county(apps.get_model(label)))
    assert stale == [], f"EXEMPT lists models that no longer need it: {stale}"
    for label, parent in CHILDREN.items():
        assert _has_county(apps.get_model(label)), label
        assert apps.get_model(label)._meta.get_field(parent).is_relation


def _county_of(path: str, codes: dict[int, str]) -> str:
    """Computed here, independently of the code under test: the code of the unit the path ends in, cut to 6 digits."""
    ids = [int(p) for p in path.strip("/").split("/") if p]
    return codes[ids[-1]][:6] if ids else ""


def _check_all() -> dict[str, int]:
    codes = dict(OrgUnit.objects.values_list("pk", "code"))
    checked = {}
    for model in _scoped_models():
        if not _has_county(model) or "org_path" not in {f.name for f in model._meta.get_fields()}:
            continue
        rows = list(model.objects.values_list("pk", "org_path", "county_code"))
        wrong = [(pk, path, county) for pk, path, county in rows if county != _county_of(path, codes)]
        assert wrong == [], f"{model._meta.label}: county_code differs from its org_path's county: {wrong[:5]}"
        checked[model._meta.label] = len(rows)
    for label, parent in CHILDREN.items():
        model = apps.get_model(label)
        rows = list(model.objects.values_list("pk", f"{parent}__org_path", "county_code"))
        wrong = [(pk, path, county) for pk, path, county in rows if county != _county_of(path, codes)]
        assert wrong == [], f"{label}: county_code differs from its {parent}'s county: {wrong[:5]}"
        checked[label] = len(rows)
    return checked


def _add_rows_the_demo_does_not_make():
    """Through the services, the rows the tiny demo leaves empty: a team, an emergency, break-glass grants and a
    waiting-list entry."""
    from xinli.core.policy import Role
    from xinli.counselling import services as counselling
    from xinli.counselling.models import Case
    from xinli.network.models import Site
    from xinli.smd import services as smd
    from xinli.smd.models import Patient

    # A patient whose resident has not just moved (the demo's pending transfer: the record stays with the sending unit).
    patient = Patient.objects.exclude(person__transfers__status="pending").select_related("person__org_unit").order_by("pk").first()
    doctor = make_user("cc_doctor", [(patient.person.org_unit, Role.SMD_DOCTOR)])
    smd.convene_team(doctor, patient)
    smd.record_emergency(doctor, patient, trigger="relapse", occurred_at=timezone.now(), actions="home visit")
    smd.break_glass(make_user("cc_police", [(patient.person.org_unit, Role.POLICE_LIAISON)]), patient,
                    reason="urgent safety check at home")
    case = Case.objects.select_related("person__org_unit").order_by("pk").first()
    counselling.break_glass(make_user("cc_counsellor", [(case.person.org_unit, Role.COUNSELLOR)]), case,
                            reason="covering for a colleague today")
    counselling.join_waiting_list(Site.objects.order_by("pk").first(), name="王某", phone="13800000000")


@pytest.mark.django_db
def test_seeded_rows_carry_the_county_of_their_org_path(tmp_path):
    call_command("seed_demo", size="tiny", seed=7, accounts_file=str(tmp_path / "a.json"))
    _add_rows_the_demo_does_not_make()
    checked = _check_all()
    # The demo (and the rows added above) fill these, so a blank or wrong county here is caught rather than vacuously passing.
    for label in ("archives.Person", "alerts.Alert", *CHILDREN, *(
            f"{app}.{name}" for app, names in {
                "alerts": ("CrisisCase", "CrisisEvent", "AffectedPerson", "FollowUp"), "hotline": ("Call",),
                "smd": ("Patient", "FollowUp", "Task", "Emergency", "Support"),
                "counselling": ("Case", "Plan", "Referral", "Booking", "WaitingListEntry")}.items() for name in names)):
        assert checked.get(label, 0) > 0, f"the demo has no {label} rows to check"
    assert not Person.objects.filter(county_code="").exists()


MIGRATIONS = ("alerts", "0004_county_code"), ("hotline", "0003_county_code"), ("smd", "0004_county_code"), \
    ("counselling", "0004_county_code")


@pytest.mark.django_db
def test_the_data_migrations_fill_existing_rows_the_same_way(tmp_path):
    call_command("seed_demo", size="tiny", seed=7, accounts_file=str(tmp_path / "a.json"))
    _add_rows_the_demo_does_not_make()
    labels = [m._meta.label for m in _scoped_models() if _has_county(m) and m._meta.app_label in dict(MIGRATIONS)
              and m._meta.label not in ("alerts.Alert", "smd.Patient")] + list(CHILDREN)  # those two had it before
    for label in labels:
        apps.get_model(label).objects.update(county_code="")
    for app, name in MIGRATIONS:
        importlib.import_module(f"xinli.{app}.migrations.{name}").fill(apps, None)
    checked = _check_all()
    assert all(checked[label] > 0 for label in ("smd.FollowUp", "smd.TeamMember", "counselling.Session", "counselling.Case")), checked


# --- every PersonScopedModel row sits under the right unit (item 16) ------------------------------------------------

from xinli.core.tests.test_authorization_matrix import assessments  # noqa: E402, F401  (services make one of everything)

# Where a row belongs, independently of the code under test: its own unit, else the first of these it points to.
_PARENTS = ("org_unit", "person", "patient", "case", "affected", "event", "line", "slot", "site", "campaign")
# A booking sits under the site booked (the site's team works it; a portal booking names no person).
_PARENTS_OF = {"counselling.Booking": ("slot",)}


def _unit_of(row):
    if isinstance(row, OrgUnit):
        return row
    for name in _PARENTS_OF.get(row._meta.label, _PARENTS):
        target = getattr(row, name, None)
        if target is not None:
            return _unit_of(target)
    raise AssertionError(f"{row._meta.label} {row.pk}: no unit to place it under")


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


@pytest.mark.django_db
def test_rows_made_by_the_services_sit_under_their_units_path_and_county(tree, people, personas, assessments):  # noqa: F811
    import datetime

    from xinli.core.models import PersonScopedModel
    from xinli.core.policy import Role
    from xinli.counselling import services as counselling
    from xinli.network import services as network
    from xinli.screening import campaigns
    from xinli.smd import services as smd
    from xinli.smd.models import Patient

    # The rows the shared fixture does not make, each through its service.
    patient = Patient.objects.get(person=people.in_a1v2)
    doctor = make_user("place_doctor", [(tree.county_a, Role.SMD_DOCTOR)])
    smd.record_follow_up(doctor, patient, {"date": datetime.date.today(), "mode": "home", "risk": 0})
    smd.record_emergency(doctor, patient, trigger="relapse", occurred_at=timezone.now(), actions="home visit")
    smd.add_support(doctor, patient, kind="rehab", start=datetime.date.today(), institution="康复站")
    from xinli.field import services as field

    worker = make_user("place_worker", [(tree.a1v2, Role.COMMUNITY_WORKER)])
    field.add_home_visit_note(worker, people.in_a1v2, text="入户走访", visited_on=timezone.localdate())
    field.schedule_visit(worker, people.in_a1v2, visit_on=timezone.localdate() + datetime.timedelta(days=7), purpose="复访")
    from xinli.governance import grids
    from xinli.governance.models import GridCell

    grid = GridCell.objects.create(code=f"{tree.a1v2.code}-01", name="汇泉一网格", org_unit=tree.a1v2)
    grids.record_visit(worker, people.in_a1v2, grid=grid, visited_on=timezone.localdate(), situation="入户摸排")
    officer = make_user("place_officer", [(tree.county_a, Role.HEALTH_OFFICER)])
    site = network.create_site(officer, org_unit=tree.a2v1, name="燕儿岛心理咨询室", kind="village_room", opened_on=datetime.date(2024, 1, 1))
    starts = timezone.make_aware(datetime.datetime.combine(timezone.localdate() + datetime.timedelta(days=1), datetime.time(10)))
    (slot,) = counselling.add_slots(make_user("place_counsellor", [(tree.county_a, Role.COUNSELLOR)]), site, starts=[starts])
    counselling.book(slot, name="王女士", phone="13900000000", person=people.in_a1v1)
    counselling.join_waiting_list(site, name="李先生", phone="13900000001")
    from xinli.outreach.sampling import draw_sample

    draw_sample(officer, tree.county_a, per_stratum=5)  # invitations of the drawn residents
    psy = make_user("place_psy", [(tree.county_b, Role.SCHOOL_PSYCHOLOGIST)])
    campaigns.create_campaign(psy, name="海云中学普查", kind="school", institution="海云中学", org_unit=tree.b1v1, scales=["phq9"],
                              opens_at=timezone.now(), closes_at=timezone.now() + datetime.timedelta(days=7),
                              groups=[{"name": "1班", "grade": "初一", "count": 2}])

    models = sorted({m for m in _all_subclasses(PersonScopedModel) if not m._meta.abstract}, key=lambda m: m._meta.label)
    assert len(models) >= 20, [m._meta.label for m in models]
    for model in models:
        rows = [r for r in model.objects.all() if not (model._meta.label == "screening.Assessment" and r.mode == "self")]
        assert rows, f"{model._meta.label}: no rows made through the services to check"
        for row in rows:
            unit = _unit_of(row)
            assert (row.org_path, row.county_code) == (unit.path, unit.code[:6]), (model._meta.label, row.pk, unit.name)
