"""Every API route, every persona: objects outside the persona's scope are never returned or changed.

Routes are enumerated from the URL conf. Each viewset declares ``scope_model`` and ``scope_field``; a route whose
view does not is a failure, so a new endpoint is covered (or this test fails) without editing the test.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from xinli.alerts.models import Alert, CrisisCase, CrisisEvent, CrisisTeam, FollowUp, Notification
from xinli.archives.models import Consent, DuplicateRequest, Person, PersonMerge, PossibleDuplicate, Transfer
from xinli.core.policy import GRANTS
from xinli.counselling.models import Case, Plan, Referral
from xinli.field.models import Device, ScheduledVisit
from xinli.hotline.models import Call, Line
from xinli.indicators.models import Rollup
from xinli.network.models import Course, InspectionPlan, Institution, Rectification, Site, Staff, Volunteer
from xinli.regions.models import OrgUnit
from xinli.screening.models import Assessment, Participant
from xinli.smd.models import Patient, Task

pytestmark = pytest.mark.django_db

# Routes with no object scope: they only ever concern the caller.
UNSCOPED = {"api-token", "api-me", "api-logout", "api-tokens", "api-token-revoke", "api-password",  # the caller's own session, tokens, password
            # The field app (issue 18): the caller's own task pack and sync from their own device (each task read through
            # its app's scoped selector; xinli/field/tests), and the instrument definitions (no person data).
            "api-field-pack", "api-field-sync", "api-field-instruments",
            # The exchange API (issue 19): no user; each request is signed by a partner platform and confined to its
            # area (xinli/governance/tests/test_exchange_api.py).
            "api-exchange-orders", "api-exchange-order"}


def api_routes():
    out = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and (prefix + str(p.pattern)).startswith("api/v1/"):
                out.append((prefix + str(p.pattern), p))

    walk(get_resolver().url_patterns)
    return out


def _scope_of(pattern):
    cls = getattr(pattern.callback, "cls", None)
    return (getattr(cls, "scope_model", None), getattr(cls, "scope_field", None), dict(getattr(pattern.callback, "actions", {}) or {}))


def expected_visible(user, model, field):
    """Independent of the selectors: paths of the user's assignments granting any capability that reads ``model``."""
    # Assessments (issue 15): read by who screens, counsels, treats or follows up; not by archives.view alone.
    if model is Notification:
        return set(Notification.objects.filter(recipient=user).values_list("pk", flat=True))
    if model is Device:  # field devices (issue 18): one's own (the security administrator's list takes ?user=)
        return set(Device.objects.filter(user=user).values_list("pk", flat=True))
    if model is DuplicateRequest:  # the officers of the common ancestor, never the requester (issue 15)
        paths = [a.org_unit.path for a in user.active_assignments() if "archives.edit" in GRANTS[a.role].capabilities]
        return {d.pk for d in DuplicateRequest.objects.exclude(requester=user) if any(d.org_path.startswith(p) for p in paths)}
    if model is Transfer:  # residents who move (issue 17): the receiving and the sending units' participants
        caps = {"archives.edit", "smd.followup", "counselling.work", "alerts.work"}
        paths = [a.org_unit.path for a in user.active_assignments() if caps & GRANTS[a.role].capabilities]
        return {t.pk for t in Transfer.objects.all() if any(t.to_path.startswith(p) or t.from_path.startswith(p) for p in paths)}
    if model in (PossibleDuplicate, PersonMerge):  # both records where the user holds archives.merge and .edit (issue 17)
        paths = [a.org_unit.path for a in user.active_assignments() if {"archives.merge", "archives.edit"} <= GRANTS[a.role].capabilities]
        ends = ("person_a", "person_b") if model is PossibleDuplicate else ("survivor", "merged")
        return {r.pk for r in model.objects.all()
                if all(any(getattr(r, e).org_path.startswith(p) for p in paths) for e in ends)}
    needed = {Person: {"archives.view"}, Consent: {"archives.view"}, OrgUnit: {"regions.view"},
              Assessment: {"screening.administer", "counselling.work", "smd.followup", "alerts.work"}, Participant: {"screening.campaign"},
              Alert: {"alerts.work"}, Line: {"hotline.operate", "hotline.supervise"},
              Call: {"hotline.operate", "hotline.supervise"}, CrisisCase: {"alerts.work"},
              CrisisEvent: {"alerts.work"}, FollowUp: {"alerts.work"}, CrisisTeam: {"network.manage"},
              Patient: {"smd.view", "smd.basic"},
              Task: {"smd.view"}, Institution: {"regions.view"}, Site: {"regions.view"}, Staff: {"network.manage"},
              Course: {"network.manage"}, InspectionPlan: {"network.manage"}, Rectification: {"network.manage"},
              Volunteer: {"network.manage"}, Case: {"counselling.work"}, Plan: {"counselling.work", "archives.edit"},
              Referral: {"counselling.work", "smd.followup"}, Rollup: {"indicators.view"},
              ScheduledVisit: {"field.sync"}}[model]
    paths = [a.org_unit.path for a in user.active_assignments() if needed & GRANTS[a.role].capabilities]
    visible = {obj.pk for obj in model.objects.all() if getattr(obj, field) and any(getattr(obj, field).startswith(p) for p in paths)}
    if model is Alert:  # and the alerts the user reported
        visible |= set(Alert.objects.filter(reported_by=user).values_list("pk", flat=True))
    if model is CrisisTeam:  # and the teams the user is a current member of
        visible |= set(CrisisTeam.objects.filter(members__user=user, members__until__isnull=True).values_list("pk", flat=True))
    if model is Case:  # and the cases the user supervises
        visible |= set(Case.objects.filter(supervisor=user).values_list("pk", flat=True))
    if model is Referral:  # and the referrals received in the user's area (smd.view or counselling.work over the hospital)
        recv = [a.org_unit.path for a in user.active_assignments() if {"smd.view", "counselling.work"} & GRANTS[a.role].capabilities]
        visible |= {r.pk for r in Referral.objects.all() if any(r.to_path.startswith(p) for p in recv)}
    return visible


def _url(route, pk):
    return "/" + route.replace("(?P<pk>[0-9]{1,18})", str(pk)).replace("^", "").replace("$", "").replace("\\.", ".").replace("<pk>", str(pk))


def test_every_api_route_declares_its_scope():
    routes = api_routes()
    assert len(routes) >= 8
    for route, pattern in routes:
        if pattern.name in UNSCOPED:
            continue
        model, field, _ = _scope_of(pattern)
        assert model is not None and field, f"{route} ({pattern.name}) declares no scope_model/scope_field"


@pytest.fixture
def assessments(tree, people):
    """One PHQ-9 per resident, and one anonymous self-test (visible to nobody through the staff API)."""
    from xinli.core.policy import Role
    from xinli.screening.services import administer
    from xinli.testing.fixtures import make_user

    screener = make_user("city_screener", [(tree.city, Role.COUNSELLOR)])
    rows = [administer(screener, scale="phq9", answers=[1] * 9, person=p)[0] for p in people.all()]
    rows.append(administer(None, scale="phq9", answers=[0] * 9, mode="self")[0])
    # A hotline in each county with one high-risk call each (which raises an alert with no person).
    from xinli.hotline.models import Line
    from xinli.hotline.services import record_call

    operator = make_user("city_operator", [(tree.city, Role.HOTLINE_OPERATOR)])
    for unit in (tree.county_a, tree.county_b):
        line = Line.objects.create(name=f"{unit.name} 12356", org_unit=unit)
        record_call(operator, line, {"caller_phone": "13912345678", "recording_notice": True, "ideation": 8, "has_plan": True})
    # A crisis case per resident (closed high-risk ones have follow-ups) and a group crisis in each county.
    import datetime

    from django.utils import timezone

    from xinli.alerts import crisis

    team = make_user("city_crisis", [(tree.city, Role.CRISIS_TEAM)])
    for p in people.all():
        case = crisis.open_case(team, p, assessment="评估")
        crisis.close_case(team, case, summary="小结", high_risk=True)
    for unit in (tree.county_a, tree.county_b):
        event = crisis.create_event(team, name=f"{unit.name}火灾", kind="accident", org_unit=unit, occurred_at=timezone.now())
        crisis.add_affected(team, event, label="伤者家属", risk="high")
    # A registered crisis team in each county, with its leader on call now.
    from xinli.alerts import teams

    team_officer = make_user("city_team_officer", [(tree.city, Role.HEALTH_OFFICER)])
    for unit in (tree.county_a, tree.county_b):
        crisis_team = teams.create_team(team_officer, org_unit=unit, name=f"{unit.name}心理危机干预队")
        leader = teams.add_member(team_officer, crisis_team, name="队长", phone="13900000000", profession="psychiatrist", leader=True)
        teams.add_shift(team_officer, crisis_team, member=leader, start=timezone.now(), end=timezone.now() + datetime.timedelta(hours=8))
    # A site, an institution and a staff member in each county.
    from xinli.network import services as network

    net_officer = make_user("city_net_officer", [(tree.city, Role.HEALTH_OFFICER)])
    for unit in (tree.county_a, tree.county_b):
        inst = network.create_institution(net_officer, org_unit=unit, name=f"{unit.name}一中", kind="secondary_school", students=1000)
        network.create_site(net_officer, org_unit=unit, name=f"{unit.name}一中辅导室", kind="school_room", institution=inst,
                            opened_on=datetime.date(2024, 1, 1))
        staff = network.create_staff(net_officer, org_unit=unit, name="心理老师", profession="teacher_full", education="bachelor", employer=inst)
        from xinli.network import inspection as insp

        plan = insp.create_plan(net_officer, name=f"{unit.name}督导", org_unit=unit, start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31))
        codes = [i["code"] for i in plan.checklist.items]
        insp.record_inspection(net_officer, plan, inst, date=datetime.date(2025, 5, 1), results={c: "pass" for c in codes} | {"F1": "fail"},
                               findings=[{"item": "F1", "severity": "minor", "description": "x", "deadline": datetime.date(2025, 6, 1)}])
        course = network.create_course(net_officer, org_unit=unit, title="培训", provider="中心", hours=8)
        network.record_attendance(net_officer, course, staff, date=datetime.date(2025, 3, 1))
        network.create_volunteer(net_officer, org_unit=unit, name="志愿者", recruited_on=datetime.date(2025, 1, 1))
    # A counselling case, a plan and a referral for every resident (by a city-level counsellor).
    from xinli.archives.services import set_tags
    from xinli.counselling import services as counselling

    city_counsellor = make_user("city_counsellor", [(tree.city, Role.COUNSELLOR)])
    hospital = network.create_institution(net_officer, org_unit=tree.county_b, name="市北区精神卫生中心", kind="psychiatric_hospital")
    for p in people.all():
        counselling.open_case(city_counsellor, p, reason="焦虑")
        set_tags(net_officer, p, ["elderly_empty_nest"])
        counselling.create_plan(city_counsellor, p, goals="g", interventions="i", review_on=datetime.date.today() + datetime.timedelta(days=30))
        counselling.refer(city_counsellor, p, institution=hospital, reason="评估")
    # Every resident is on the SMD register (an unrealistic rate, to have a patient in every village).
    from xinli.smd.services import register_patient

    doctor = make_user("city_smd_doctor", [(tree.city, Role.SMD_DOCTOR)])
    for p in people.all():
        register_patient(doctor, p, {"diagnosis": "F20", "diagnosed_by": "市精神卫生中心", "diagnosed_on": datetime.date(2020, 1, 1),
                                     "source": "hospital"})
    # Duplicate ID-number requests (issue 15): a worker entered the number of a resident of another village — within
    # county A (to county A's officers; the requester is a persona, who must not see it), across the counties (to the
    # city's) and at a street of county B.
    from xinli.accounts.models import User
    from xinli.archives.models import DuplicateRequest
    from xinli.regions.models import common_path

    village_worker_1 = User.objects.get(username="village_worker_1")
    requests = ((village_worker_1, tree.a1v1, people.in_a2v1),
                (make_user("dup_a2v1", [(tree.a2v1, Role.COMMUNITY_WORKER)]), tree.a2v1, people.in_b1v1),
                (make_user("dup_b1", [(tree.b1, Role.COMMUNITY_WORKER)]), tree.b1, people.in_b1v1))
    for requester, unit, held in requests:
        DuplicateRequest.objects.create(requester=requester, unit=unit, id_number_bidx=held.id_number_bidx,
                                        org_path=common_path([unit.path, held.org_path]))
    return rows


@pytest.fixture
def merge_rows(tree, people):
    """Issue 17: possible-duplicate pairs in each county and across them, and a merge in each county."""
    from xinli.archives.duplicates import flag_possible_duplicates
    from xinli.archives.merge import merge_persons
    from xinli.archives.services import register_person
    from xinli.core.policy import Role
    from xinli.testing.fixtures import make_user

    officer = make_user("city_merge_officer", [(tree.city, Role.HEALTH_OFFICER)])
    made = []
    for unit, other in ((tree.a1v1, tree.a2v1), (tree.b1v1, tree.b1v1), (tree.a1v2, tree.b1v1)):
        made += [register_person(officer, {"name": f"{unit.name}双", "phone": f"139{unit.pk:08d}", "org_unit": u}).person
                 for u in (unit, other)]
    assert flag_possible_duplicates([p.pk for p in made]) == 3
    for a, b in ((made[0], made[1]), (made[2], made[3])):
        merge_persons(officer, a, b)
    return made


def test_no_persona_reads_or_changes_objects_outside_its_scope(personas, people, assessments, merge_rows):
    objects_before = {
        Person: {p.pk: (p.name, p.address, p.version) for p in Person.objects.all()},
        Consent: {c.pk: c.withdrawn_at for c in Consent.objects.all()},
        OrgUnit: {u.pk: u.name for u in OrgUnit.objects.all()},
    }
    checked = 0
    for persona_name, user in personas.all().items():
        client = APIClient()
        client.force_authenticate(user)
        for route, pattern in api_routes():
            if pattern.name in UNSCOPED or "format" in route:
                continue
            model, field, actions = _scope_of(pattern)
            unscoped = getattr(pattern.callback.cls, "unscoped_actions", set())
            if actions and set(actions.values()) <= unscoped:
                continue  # declared as carrying no scoped data (e.g. instrument definitions)
            visible = expected_visible(user, model, field)
            if "<pk>" not in route and "(?P<pk>" not in route:
                if "get" in actions:
                    r = client.get(_url(route, 0), {"page_size": 200})
                    assert r.status_code in (200, 403), (persona_name, route, r.status_code)
                    if r.status_code == 200:
                        body = r.json()
                        rows = body["results"] if isinstance(body, dict) else body
                        returned = {row["id"] for row in rows}
                        assert returned <= visible, (persona_name, route, returned - visible)
                    checked += 1
                continue
            for obj in model.objects.all():
                if obj.pk in visible:
                    continue
                url = _url(route, obj.pk)
                for method in list(actions):
                    if method == "get":
                        r = client.get(url)
                    elif method in ("put", "patch"):
                        r = getattr(client, method)(url, {"name": "篡改", "address": "篡改", "version": 1}, format="json")
                    elif method in ("post", "delete"):
                        r = getattr(client, method)(url, {}, format="json")
                    else:
                        continue
                    assert r.status_code in (403, 404, 405), (persona_name, route, method, obj.pk, r.status_code)
                    if r.status_code != 405:
                        body = r.content.decode()
                        assert "篡改" not in body
                    checked += 1
    assert checked > 50
    assert {p.pk: (p.name, p.address, p.version) for p in Person.objects.all()} == objects_before[Person]
    assert {c.pk: c.withdrawn_at for c in Consent.objects.all()} == objects_before[Consent]
    assert {u.pk: u.name for u in OrgUnit.objects.all()} == objects_before[OrgUnit]


def test_every_persona_sees_exactly_its_scope_in_lists(personas, people, assessments):
    for persona_name, user in personas.all().items():
        client = APIClient()
        client.force_authenticate(user)
        for url, model in (("/api/v1/persons/", Person), ("/api/v1/assessments/", Assessment)):
            r = client.get(url, {"page_size": 200})
            assert {row["id"] for row in r.json()["results"]} == expected_visible(user, model, "org_path"), (persona_name, url)


def test_anonymous_requests_are_refused_everywhere(people):
    client = APIClient()
    for route, pattern in api_routes():
        if pattern.name in ("api-token", "campaign-submission-list") or "format" in route:
            continue  # the token endpoint and code-based campaign submissions are meant for anonymous callers
        r = client.get(_url(route, people.in_a1v1.pk))
        assert r.status_code in (401, 403), (route, r.status_code)


def person_paths(model):
    """Independent of the declarations: the attribute paths by which a row of ``model`` names a Person (the row itself,
    a foreign key to Person, a foreign key to a row with one, or — when there is no forward path — the rows of a
    one-to-many relation that have one)."""
    if model is Person:
        return [""]

    def direct(m):
        return [f.name for f in m._meta.get_fields() if f.is_relation and f.related_model is Person
                and (f.many_to_one or f.one_to_one) and not f.auto_created]

    paths = direct(model)
    for f in model._meta.get_fields():
        if f.is_relation and not f.auto_created and (f.many_to_one or f.one_to_one) and f.related_model not in (Person, None):
            paths += [f"{f.name}.{p}" for p in direct(f.related_model)]
    if not paths:
        for f in model._meta.get_fields():
            if f.auto_created and f.one_to_many and f.related_model is not None:
                paths += [f"{f.get_accessor_name()}.{p}" for p in direct(f.related_model)]
    return paths


def persons_named(model, rows, content: str):
    """The persons a list answer shows: those its rows lead to whose name is in the answer or whose id is a row's
    ``person``."""
    from xinli.core.listing import ListedPersons

    paths = person_paths(model)
    if not paths:
        return set()
    ids = {row.get("person") for row in rows} | ({row["id"] for row in rows} if model is Person else set())
    candidates = ListedPersons(*paths).persons(model.objects.filter(pk__in=[row["id"] for row in rows]))
    return {p.pk for p in candidates if p.pk in ids or (p.name and p.name in content)}


def test_every_list_that_returns_persons_audits_each_person_listed(personas, people, assessments):
    """A list route whose rows name residents writes a read-audit entry naming each of them (the pagination's hook,
    declared on the row model as ``listed_persons``); a list route without the declaration fails here."""
    from xinli.core.models import AuditEntry

    listed_any = set()
    for persona_name, user in personas.all().items():
        client = APIClient()
        client.force_authenticate(user)
        for route, pattern in api_routes():
            if pattern.name in UNSCOPED or "format" in route or "<pk>" in route or "(?P<pk>" in route:
                continue
            model, field, actions = _scope_of(pattern)
            if actions.get("get") != "list":
                continue
            before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
            r = client.get(_url(route, 0), {"page_size": 200})
            if r.status_code != 200:
                continue
            body = r.json()
            rows = body["results"] if isinstance(body, dict) else body
            named = persons_named(model, rows, r.content.decode())
            if not named:
                continue
            audited = set(AuditEntry.objects.filter(id__gt=before, actor_id=user.pk, person_id__isnull=False)
                          .values_list("person_id", flat=True))
            assert named <= audited, (persona_name, route, sorted(named - audited))
            listed_any.add(route)
    assert any("counselling/cases" in r for r in listed_any), listed_any
    assert len(listed_any) >= 8, listed_any
