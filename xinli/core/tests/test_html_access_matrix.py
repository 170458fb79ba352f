"""Every HTML route (every URL pattern outside ``api/v1/``), every persona: the access matrix.

Routes are enumerated from the URL conf and each must appear in ``ROUTES`` below (a new route without an entry fails
``test_every_html_route_is_in_the_matrix``). For each route:

(a) anonymous → a redirect to the login page, unless the route is PUBLIC (each with its reason);
(b) a logged-in persona holding none of the route's capabilities → 403 or 404, never 200 with data;
(c) a route with an object (``<int:pk>`` …) asked for an object outside the persona's area by a persona who holds the
    capability → 404; routes taking ``?org=`` are asked for a unit outside the area → 404.

Routes every logged-in user reaches for their own things (home, own inbox, own 2FA, logout) are in ``OWN``: they
answer 200/302 to anyone logged in and must not show a resident's name.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from xinli.core.policy import GRANTS, Role
from xinli.core.tests.test_authorization_matrix import assessments  # noqa: F401  (the shared object fixture)
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db

# Reachable without login, with the reason.
PUBLIC = {
    "accounts/login/": "the login page",
    "healthz": "load-balancer health check; says only 'ok'",
    "i18n/setlang/": "language switch (Django); stores a cookie only",
    "jsi18n/": "JavaScript translation catalogue; static text",
    "s/": "campaign participant start page: the one-time code is the credential",
    "field/manifest.webmanifest": "the field app's web app manifest (browsers fetch it without credentials); static text",
    "field/sw.js": "the field app's service worker script: caches the app shell only; static code",
    "s/<str:code>/": "campaign participant form: the one-time code is the credential",
    "public/evaluations/": "public disclosure of institution evaluations (network, DOMAIN: published results)",
    "feedback/site/<int:site_id>/": "anonymous satisfaction survey of a site (T21)",
    "p/": "public self-help portal",
    "p/test/<str:code>/": "portal: anonymous self-test",
    "p/sites/": "portal: finder of open counselling rooms and clinics",
    "p/articles/": "portal: published articles",
    "p/articles/<int:pk>/": "portal: one published article",
    "p/events/": "portal: public events",
    "p/book/<int:site_id>/": "portal: booking a counselling time (name and phone, no account)",
    "p/cancel/": "portal: cancel a booking with its reference",
    "p/account/": "portal: the resident's own optional account (its own login by phone)",
    "p/account/register/": "portal: register a resident account",
    "p/account/login/": "portal: resident log-in",
    "p/awareness/<slug:token>/": "portal: awareness survey, reached only by a village's unguessable link (outreach desk) or a one-time invitation code",
    "p/awareness/": "portal: where an invited resident types the one-time code of a probability sample (the code is the credential)",
    "p/privacy/": "portal: what the portal keeps about residents and why (static text)",
    "p/text-size/": "portal: the larger-text switch (POST); stores a cookie only",
    "api/schema/": "the OpenAPI description: no data, the same text as the open-source repository (restrict at nginx if wanted)",
    "api/docs/": "offline API docs UI over that description; every call it makes needs a login or token",
}
# Any logged-in user, for their own things only.
OWN = {
    "": "home: the user's own summary (counts only for capabilities held)",
    "accounts/logout/": "ends the caller's own session (POST)",
    "accounts/2fa/": "the caller's own TOTP enrolment",
    "accounts/password/": "changes the caller's own password",
    "accounts/tokens/": "the caller's own API tokens",
    "inbox/": "the caller's own notifications",
    "inbox/read-all/": "marks the caller's own notifications read (POST)",
    "field/": "the field app's shell: no person data (tasks come from the pack API, which checks field.sync and scope)",
}

# Capability routes: pattern -> (any of these capabilities, object key or None, method, query for an outside unit).
# "obj" names an object in county B (市北区); every persona in ``outsiders`` works in county A or lower.
ROUTES = {
    "accounts/security/": ({"security.manage"}, None, "get"),
    "accounts/users/": ({"accounts.manage"}, None, "get"),
    "accounts/security/devices/": ({"security.manage"}, None, "get"),  # a user's field devices (?user=); no person data
    "org/": ({"regions.view"}, None, "get"),
    "org/<int:pk>/": ({"regions.view"}, "unit", "get"),
    "persons/": ({"archives.view"}, None, "get"),
    "persons/new/": ({"archives.edit"}, None, "get"),
    "persons/<int:pk>/": ({"archives.view"}, "person", "get"),
    "persons/<int:pk>/edit/": ({"archives.edit"}, "person", "get"),
    "persons/<int:pk>/consents/new/": ({"archives.edit"}, "person", "get"),
    "persons/consents/<int:pk>/withdraw/": ({"archives.edit"}, "consent", "post"),
    "persons/duplicates/": ({"archives.edit"}, None, "get"),
    "persons/duplicates/<int:pk>/": ({"archives.edit"}, "duplicate_request", "get"),
    "transfers/": ({"archives.edit", "smd.followup", "counselling.work", "alerts.work"}, None, "get"),
    "transfers/<int:pk>/": ({"archives.edit", "smd.followup", "counselling.work", "alerts.work"}, "transfer", "get"),
    "transfers/city/": ({"archives.edit", "smd.followup"}, None, "get"),
    "transfers/city/<int:pk>/": ({"archives.edit", "smd.followup"}, "person", "get"),
    "persons/possible-duplicates/": ({"archives.merge"}, None, "get"),
    "persons/<int:pk>/compare/<int:other>/": ({"archives.merge"}, "person", "get"),
    "persons/merges/<int:pk>/": ({"archives.merge"}, "person_merge", "get"),
    "audit/": ({"audit.view"}, None, "get"),
    "persons/<int:pk>/assess/": ({"screening.administer"}, "person", "get"),
    "assessments/<int:pk>/": ({"archives.view", "screening.administer"}, "assessment", "get"),
    "assessments/<int:pk>/report.pdf": ({"archives.view", "screening.administer"}, "assessment", "get"),
    "campaigns/": ({"screening.campaign"}, None, "get"),
    "campaigns/<int:pk>/": ({"screening.campaign"}, "campaign", "get"),
    "campaigns/<int:pk>/participants/": ({"screening.campaign"}, "campaign", "get"),
    "campaigns/<int:pk>/positive.xlsx": ({"screening.campaign"}, "campaign", "get"),
    "campaigns/<int:pk>/close/": ({"screening.campaign"}, "campaign", "post"),
    "alerts/": ({"alerts.work", "alerts.report"}, None, "get"),
    "alerts/console/": ({"alerts.work", "hotline.supervise"}, None, "get"),
    "alerts/<int:pk>/": ({"alerts.work", "alerts.report"}, "alert", "get"),
    "alerts/<int:pk>/case/": ({"alerts.work"}, "alert", "post"),
    "alerts/<int:pk>/<str:action>/": ({"alerts.work"}, "alert", "post"),
    "crisis/": ({"alerts.work"}, None, "get"),
    "crisis/cases/<int:pk>/": ({"alerts.work"}, "crisis_case", "get"),
    "crisis/events/<int:pk>/": ({"alerts.work"}, "crisis_event", "get"),
    # The crisis team register: health officers keep it; crisis teams (and any current member) read their own.
    "crisis/teams/": ({"network.manage", "alerts.work"}, None, "get"),
    "crisis/teams/<int:pk>/": ({"network.manage", "alerts.work"}, "crisis_team", "get"),
    "hotline/": ({"hotline.operate", "hotline.supervise"}, None, "get"),
    "hotline/new/": ({"hotline.operate"}, None, "get"),
    "hotline/previous/": ({"hotline.operate"}, None, "get"),
    "hotline/handover/": ({"hotline.operate"}, None, "post"),
    "hotline/calls/<int:pk>/": ({"hotline.operate", "hotline.supervise"}, "call", "get"),
    "hotline/calls/<int:pk>/follow-up/": ({"hotline.operate", "hotline.supervise"}, "call", "post"),
    "hotline/lines/<int:pk>/": ({"hotline.operate", "hotline.supervise"}, "line", "get"),
    "hotline/lines/new/": ({"hotline.supervise"}, "unit_form", "post"),
    "hotline/lines/<int:pk>/service-time/": ({"hotline.supervise"}, "line", "post"),
    "smd/": ({"smd.view", "smd.basic"}, None, "get"),
    "smd/summary/": ({"smd.view"}, None, "get"),
    "smd/patients/": ({"smd.view", "smd.basic"}, None, "get"),
    "smd/indicators/": ({"indicators.view", "smd.view"}, None, "get"),
    "smd/export.xlsx": ({"smd.view"}, None, "get"),
    "smd/patients/<int:pk>/": ({"smd.view", "smd.basic"}, "patient", "get"),
    "smd/patients/<int:pk>/follow-up/": ({"smd.followup"}, "patient", "get"),
    "smd/patients/<int:pk>/support/": ({"smd.followup"}, "patient", "get"),
    "smd/patients/<int:pk>/break-glass/": ({"smd.basic"}, "patient", "post"),
    "smd/patients/<int:pk>/forms/": ({"smd.view"}, "patient", "get"),
    "smd/forms/blank/": ({"smd.view"}, None, "get"),
    "network/": ({"network.manage"}, None, "get"),
    "network/export.xlsx": ({"network.manage"}, None, "get"),
    "network/inspections/": ({"network.manage"}, None, "get"),
    "network/workforce/": ({"network.manage"}, None, "get"),
    "outreach/": ({"outreach.publish"}, None, "get"),
    "outreach/samples/": ({"indicators.manage"}, None, "get"),
    "outreach/samples/<int:pk>/": ({"indicators.manage"}, "awareness_sample", "get"),
    "counselling/": ({"counselling.work", "smd.view"}, None, "get"),
    "counselling/cases/<int:pk>/": ({"counselling.work"}, "counselling_case", "get"),
    "indicators/": ({"indicators.view"}, "org_query", "get"),
    "indicators/export.xlsx": ({"indicators.view"}, "org_query", "get"),
    "indicators/targets/": ({"indicators.view"}, "org_query", "get"),
    "indicators/warning/": ({"indicators.view"}, "org_query", "get"),
    "^indicators/(?P<code>[A-Z][A-Z0-9]{1,4})/$": ({"indicators.view"}, "org_query", "get"),
    "reports/": ({"indicators.view"}, None, "get"),
    "reports/<int:pk>/download/": ({"indicators.view"}, "report", "get"),
    "imports/": ({"imports.run"}, None, "get"),
    "imports/new/": ({"imports.run"}, None, "get"),
    "imports/template/<str:kind>/": ({"imports.run"}, None, "get"),
    "imports/<int:pk>/": ({"imports.run"}, "import_job", "get"),
    "imports/<int:pk>/progress/": ({"imports.run"}, "import_job", "get"),
    "imports/<int:pk>/report/": ({"imports.run"}, "import_job", "get"),
    "imports/<int:pk>/run/": ({"imports.run"}, "import_job", "post"),
    "orders/": ({"orders.work", "orders.create", "orders.supervise"}, None, "get"),
    "orders/new/": ({"orders.create"}, None, "get"),
    "orders/<int:pk>/": ({"orders.work", "orders.create", "orders.supervise"}, "work_order", "get"),
    "orders/kinds/": ({"regions.manage"}, None, "get"),  # platform-wide data: no object of an area
    "orders/kinds/<int:pk>/": ({"regions.manage"}, None, "get"),
    "grids/": ({"archives.edit"}, None, "get"),
    "grids/<int:pk>/": ({"archives.edit"}, "grid_cell", "get"),
    "grids/visit/": ({"archives.edit"}, None, "get"),
    "leading/": ({"leading.view"}, None, "get"),
    "leading/meetings/new/": ({"leading.manage"}, None, "get"),
    "leading/meetings/<int:pk>/": ({"leading.view"}, "meeting", "get"),
    "leading/tasks/<int:pk>/": ({"leading.view"}, "group_task", "get"),
    "indicators/appraisal/": ({"indicators.view"}, None, "get"),
    "indicators/appraisal/<int:pk>/": ({"indicators.view"}, "appraisal_scheme", "get"),
}


def html_routes() -> list[tuple[str, URLPattern]]:
    out = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and not (prefix + str(p.pattern)).startswith("api/v1/"):
                out.append((prefix + str(p.pattern), p))

    walk(get_resolver().url_patterns)
    return out


def _url(route: str, pk=0, code="PHQ9") -> str:
    url = route.replace("^", "").replace("$", "")
    url = re.sub(r"\(\?P<code>[^)]*\)", "T01", url)
    url = re.sub(r"<int:\w+>", str(pk), url)
    url = url.replace("<str:action>", "acknowledge").replace("<str:code>", code)
    return "/" + url


def test_every_html_route_is_in_the_matrix():
    routes = {r for r, _ in html_routes()}
    assert len(routes) >= 70
    tables = [set(PUBLIC), set(OWN), set(ROUTES)]
    missing = routes - set().union(*tables)
    assert not missing, f"HTML routes missing from the access matrix (add them to ROUTES/PUBLIC/OWN): {sorted(missing)}"
    stale = set().union(*tables) - routes
    assert not stale, f"entries for routes that no longer exist: {sorted(stale)}"
    for a in tables:  # each route in exactly one table
        for b in tables:
            assert a is b or not (a & b)


def test_anonymous_is_sent_to_login_except_public_routes(people):
    client = Client()
    for route, _pattern in html_routes():
        url = _url(route, people.in_b1v1.pk)
        r = client.post(url) if route in OWN and "POST" in OWN[route] or (ROUTES.get(route, (0, 0, ""))[2] == "post") else client.get(url)
        if route in PUBLIC:
            assert r.status_code < 500 and "/accounts/login/" not in r.get("Location", ""), (route, r.status_code)
            continue
        assert r.status_code == 302 and r["Location"].startswith("/accounts/login/"), (route, r.status_code, r.get("Location"))
    # The public pages that take no object answer 200 (not merely "not a redirect").
    for route in ("accounts/login/", "healthz", "s/", "public/evaluations/", "p/", "p/sites/", "p/articles/", "p/events/"):
        assert client.get(_url(route)).status_code == 200, route


@pytest.fixture
def outside(tree, people, assessments):  # noqa: F811
    """One object of each kind in county B (市北区), outside every county-A persona's area."""
    from xinli.alerts.models import Alert, CrisisCase, CrisisEvent, CrisisTeam
    from xinli.archives.models import Consent, DuplicateRequest, Transfer
    from xinli.counselling.models import Case
    from xinli.hotline.models import Call, Line
    from xinli.imports.models import ImportJob
    from xinli.outreach.models import AwarenessSample
    from xinli.outreach.services import sample_survey
    from xinli.reports.models import Report
    from xinli.screening import campaigns
    from xinli.screening.models import Assessment
    from xinli.smd.models import Patient

    b = tree.county_b.path
    person = people.in_b1v1
    city_psy = make_user("city_psy", [(tree.city, Role.SCHOOL_PSYCHOLOGIST)])
    now = timezone.now()
    campaign = campaigns.create_campaign(city_psy, name="市北一中普查", kind="school", institution="市北一中", org_unit=tree.county_b,
                                         scales=["phq9"], opens_at=now, closes_at=now + datetime.timedelta(days=7),
                                         groups=[{"name": "1班", "grade": "初一", "count": 2}])
    objs = {
        "unit": tree.county_b, "person": person, "consent": Consent.objects.filter(person=person).first(),
        "assessment": Assessment.objects.filter(person=person).first(), "campaign": campaign,
        "alert": Alert.objects.filter(org_path__startswith=b, person=person).first(),
        "crisis_case": CrisisCase.objects.filter(person=person).first(),
        "crisis_event": CrisisEvent.objects.filter(org_path__startswith=b).first(),
        "crisis_team": CrisisTeam.objects.filter(org_path__startswith=b).first(),
        "call": Call.objects.filter(org_path__startswith=b).first(), "line": Line.objects.filter(org_unit=tree.county_b).first(),
        "patient": Patient.objects.filter(person=person).first(), "counselling_case": Case.objects.filter(person=person).first(),
        "duplicate_request": DuplicateRequest.objects.filter(org_path__startswith=b).first(),
        "transfer": Transfer.objects.create(person=person, from_unit=tree.b1v1, to_unit=tree.b1v1, from_path=tree.b1v1.path,
                                            to_path=tree.b1v1.path, accept_by=now.date()),
        "awareness_sample": AwarenessSample.objects.create(survey=sample_survey(), org_unit=tree.county_b, org_path=b, year=now.year,
                                                           per_stratum=1, min_age=15, max_age=69, seed="x", drawn_by=city_psy),
        "import_job": ImportJob.objects.create(kind="residents", dry_run=True, state="done", file_name="b.csv", file_path="/nonexistent",
                                               digest="0" * 64, org_unit=tree.county_b, org_path=b, created_by=city_psy),
        "report": Report.objects.create(kind="annual_summary", org_unit=tree.county_b, org_path=b, year=2025, state="done",
                                        progress=100, content=b"PK-not-really-a-docx", requested_by=city_psy),
    }
    # A merge of two records in county B (by the city officer), for the merge page.
    from xinli.archives.merge import merge_persons
    from xinli.archives.services import register_person

    city_officer = make_user("city_merger", [(tree.city, Role.HEALTH_OFFICER)])
    twin = register_person(city_officer, {"name": person.name, "org_unit": tree.b1v1}).person
    other = register_person(city_officer, {"name": person.name, "org_unit": tree.b1v1}).person
    objs["person_merge"] = merge_persons(city_officer, twin, other)
    # A work order sent from and to county B (issue 19).
    from xinli.governance.kinds import ensure_defaults
    from xinli.governance.models import OrderKind, WorkOrder
    from xinli.regions.models import Department, DepartmentUnit

    ensure_defaults()

    office = DepartmentUnit.objects.create(department=Department.objects.get(code="civil_affairs"), org_unit=tree.county_b,
                                           name="市北区民政局")
    objs["work_order"] = WorkOrder.objects.create(
        kind=OrderKind.objects.get(code="hardship_aid"), title="困难救助", person=person, from_unit=tree.b1v1,
        from_path=tree.b1v1.path, office=office, department=office.department, to_path=office.org_path,
        accept_due=now, complete_due=now)
    from xinli.governance.models import GridCell

    objs["grid_cell"] = GridCell.objects.create(code=f"{tree.b1v1.code}-01", name="海云村一网格", org_unit=tree.b1v1)
    # The leading group of county B: a meeting, a task for its civil affairs, an appraisal scheme (issue 19).
    from xinli.governance.models import GroupTask, Meeting
    from xinli.indicators.models import AppraisalItem, AppraisalScheme

    objs["meeting"] = Meeting.objects.create(org_unit=tree.county_b, org_path=b, held_on=now.date(), title="市北区领导小组会议")
    objs["group_task"] = GroupTask.objects.create(org_unit=tree.county_b, org_path=b, department=office.department,
                                                  title="市北区任务", due_on=now.date())
    objs["appraisal_scheme"] = AppraisalScheme.objects.create(org_unit=tree.county_b, org_path=b, year=now.year, name="市北区考核")
    AppraisalItem.objects.create(scheme=objs["appraisal_scheme"], indicator="tasks", weight=1)
    missing = [k for k, v in objs.items() if v is None]
    assert not missing, f"fixture objects not built: {missing}"
    for k, v in objs.items():
        path = getattr(v, "path", None) or getattr(v, "org_path", None) or getattr(getattr(v, "person", None), "org_path", "")
        assert path.startswith(b), (k, path)
    return objs


def _personas(personas, tree):
    """The fixture personas plus one county-A holder of each capability the fixture personas lack."""
    out = dict(personas.all())
    out["school_psychologist"] = make_user("psy_a", [(tree.county_a, Role.SCHOOL_PSYCHOLOGIST)])
    out["hotline_supervisor"] = make_user("sup_a", [(tree.county_a, Role.HOTLINE_SUPERVISOR)])
    out["publicity_officer"] = make_user("pub_a", [(tree.county_a, Role.PUBLICITY_OFFICER)])
    out["psychiatrist"] = make_user("psychiatrist_a", [(tree.a1, Role.PSYCHIATRIST)])
    from xinli.governance.kinds import ensure_defaults
    from xinli.regions.models import Department

    ensure_defaults()
    out["department_staff"] = make_user("civil_a", [(tree.county_a, Role.DEPARTMENT_STAFF, Department.objects.get(code="civil_affairs"))])
    out["governance_officer"] = make_user("zongzhi_a", [(tree.county_a, Role.GOVERNANCE_OFFICER)])
    return out


def _caps(user) -> set[str]:
    return {c for a in user.active_assignments() for c in GRANTS[a.role].capabilities}


def _covers(user, path: str) -> bool:
    return any(path.startswith(a.org_unit.path) for a in user.active_assignments())


def _fingerprint():
    """Enough state to see that a refused POST changed nothing."""
    from xinli.alerts.models import Alert, CrisisCase
    from xinli.archives.models import Consent
    from xinli.hotline.models import Call, Line
    from xinli.screening.models import Campaign

    return (sorted(Alert.objects.values_list("pk", "state")), sorted(Consent.objects.values_list("pk", "withdrawn_at")),
            sorted(Campaign.objects.values_list("pk", "status")), Line.objects.count(), CrisisCase.objects.count(),
            sorted(Call.objects.values_list("pk", "handed_over_at")))


def test_personas_without_the_capability_or_outside_the_area_get_404(tree, people, personas, outside):
    names = [p.name for p in people.all()]
    outsider_name = people.in_b1v1.name
    before = _fingerprint()
    checked = {"no_capability": 0, "outside": 0, "own": 0}
    outside_routes = set()
    for persona_name, user in _personas(personas, tree).items():
        client = Client()
        login_verified(client, user)
        caps = _caps(user)
        for route, (needed, key, method) in ROUTES.items():
            obj = outside.get(key) if key not in (None, "org_query", "unit_form") else None
            url = _url(route, obj.pk if obj is not None else 0, code=outside["campaign"].participants.first().code)
            data = {"org_unit": outside["unit"].pk, "name": "越权", "outcome": "resolved"} if key == "unit_form" else {}
            if not (caps & needed):
                r = getattr(client, method)(url, data)
                assert r.status_code in (403, 404), (persona_name, route, "no capability", r.status_code)
                checked["no_capability"] += 1
                continue
            if key is None:
                continue
            outside_path = outside["unit"].path
            if _covers(user, outside_path):
                continue  # province-level personas: the object is in their area
            if key == "org_query":
                r = client.get(url, {"org": outside["unit"].code})
            else:
                r = getattr(client, method)(url, data)
            assert r.status_code == 404, (persona_name, route, "outside the area", r.status_code)
            assert outsider_name not in r.content.decode(errors="replace"), (persona_name, route)
            checked["outside"] += 1
            outside_routes.add(route)
        for route in sorted(OWN, key=lambda r: r == "accounts/logout/"):  # logout last: a TOTP code is not accepted twice
            r = client.post(_url(route)) if "POST" in OWN[route] else client.get(_url(route))
            assert r.status_code in (200, 302), (persona_name, route, r.status_code)
            body = r.content.decode(errors="replace")
            assert not any(n in body for n in names), (persona_name, route, "a resident's name on a page every user reaches")
            checked["own"] += 1
    assert _fingerprint() == before
    # Every object route was exercised as "outside the area" by at least one persona.
    assert checked["no_capability"] > 300, checked
    object_routes = {r for r, (_n, key, _m) in ROUTES.items() if key is not None}
    assert object_routes - outside_routes == set(), "object routes never asked for an object outside the area"


def test_every_list_page_audits_each_person_it_names(tree, people, personas, assessments):  # noqa: F811
    """A page without an object (a list, a desk, a worklist) that shows a resident's name has written a read-audit
    entry naming that resident for the viewer (the rows come through ``xinli.core.listing.list_rows``, which calls
    the row model's ``listed_persons`` hook). Viewers: every persona, plus the city-wide actors of the fixture who own
    the counselling cases and the SMD patients."""
    from xinli.accounts.models import User
    from xinli.core.models import AuditEntry

    viewers = dict(_personas(personas, tree))
    for username in ("city_counsellor", "city_smd_doctor", "city_crisis", "city_operator"):
        viewers[username] = User.objects.get(username=username)
    residents = {p.pk: p.name for p in people.all()}
    pages = [r for r, spec in ROUTES.items() if spec[1] is None and spec[2] == "get" and not r.endswith(".xlsx")]
    shown_somewhere = set()
    for name, user in viewers.items():
        client = Client()
        login_verified(client, user)
        for route in pages:
            before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
            r = client.get(_url(route))
            if r.status_code != 200:
                continue
            content = r.content.decode()
            named = {pk for pk, person_name in residents.items() if person_name in content}
            audited = set(AuditEntry.objects.filter(id__gt=before, actor_id=user.pk).values_list("person_id", flat=True))
            assert named <= audited, (name, route, sorted(residents[pk] for pk in named - audited))
            shown_somewhere |= {route} if named else set()
    assert "counselling/" in shown_somewhere and "persons/" in shown_somewhere, shown_somewhere
