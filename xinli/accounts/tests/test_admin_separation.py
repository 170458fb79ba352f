"""Three-administrator separation (MLPS 2.0 三员分立), issue 15 item 1: every actor administrator × target × action.

Rules (docs/security.md "Administrator separation"): no administrator changes its own roles or status; the system
administrator manages accounts and roles that read no person data, and only *requests* person-data and overseeing
administrator roles, which the security administrator approves; the system administrator does not touch the security
or audit administrator's account or roles; an account never holds a person-data role together with an administrator
role, nor two kinds of administrator role. User management has no API: the pages are the only way in.
"""

import pytest

from xinli.accounts.models import Assignment, User
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db

ACTORS = ("system", "security", "audit")
TARGETS = ("self", "system", "security", "audit", "ordinary")
ACTIONS = ("grant_person", "grant_plain", "grant_security", "approve_person", "approve_security", "revoke", "disable")

# (actor, action) -> targets on which the action succeeds. Everything else is refused and changes nothing.
ALLOWED = {
    ("system", "grant_person"): {"ordinary"},  # as a request awaiting approval
    ("system", "grant_plain"): {"ordinary", "system"},
    ("system", "grant_security"): set(),
    ("system", "approve_person"): set(),
    ("system", "approve_security"): set(),
    ("system", "revoke"): {"ordinary", "system"},
    ("system", "disable"): {"ordinary", "system"},
    ("security", "grant_person"): set(),
    ("security", "grant_plain"): set(),
    ("security", "grant_security"): set(),
    ("security", "approve_person"): {"ordinary"},
    ("security", "approve_security"): {"security"},
    ("security", "revoke"): {"ordinary", "security", "audit"},
    ("security", "disable"): {"security", "audit"},
}
ROLE = {"grant_person": Role.HEALTH_OFFICER, "grant_plain": Role.PUBLICITY_OFFICER, "grant_security": Role.SECURITY_ADMIN,
        "approve_person": Role.HEALTH_OFFICER, "approve_security": Role.SECURITY_ADMIN}


@pytest.fixture
def cast(tree, personas):
    actors = {"system": personas.province_admin, "security": personas.security_admin, "audit": personas.audit_admin}
    others = {
        "system": make_user("system_admin_2", [(tree.province, Role.SYSTEM_ADMIN)]),
        "security": make_user("security_admin_2", [(tree.province, Role.SECURITY_ADMIN)]),
        "audit": make_user("audit_admin_2", [(tree.province, Role.AUDIT_ADMIN)]),
        "ordinary": personas.counsellor,
    }
    return actors, others


def _target(cast, actor, target):
    actors, others = cast
    return actors[actor] if target == "self" else others[target]


def _page(actor, action):
    if action.startswith("grant"):
        return "/accounts/users/"
    if action.startswith("approve"):
        return "/accounts/security/"
    return "/accounts/security/" if actor == "security" else "/accounts/users/"


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("target_kind", TARGETS)
@pytest.mark.parametrize("actor_kind", ACTORS)
def test_separation_matrix(client, tree, cast, actor_kind, target_kind, action):
    actors, others = cast
    actor = actors[actor_kind]
    target = _target(cast, actor_kind, target_kind)
    existing = target.assignments.get()
    request = None
    if action.startswith("approve"):  # a system administrator asked for it (written directly: the request itself may be refused)
        request = Assignment.objects.create(user=target, org_unit=tree.city, role=ROLE[action], active=False, pending=True,
                                            granted_by=actors["system"] if target != actors["system"] else others["system"])
    login_verified(client, actor)
    before = AuditEntry.objects.filter(action="security").count()
    if action.startswith("grant"):
        data = {"action": "assign", "username": target.username, "role": ROLE[action], "org_unit": tree.city.pk}
    elif action.startswith("approve"):
        data = {"action": "approve", "assignment": request.pk}
    elif action == "revoke":
        data = {"action": "revoke", "assignment": existing.pk}
    else:
        data = {"action": "disable", "username": target.username}
    response = client.post(_page(actor_kind, action), data)

    allowed = target_kind in ALLOWED.get((actor_kind, action), set())
    target.refresh_from_db()
    existing.refresh_from_db()
    new = Assignment.objects.filter(user=target, org_unit=tree.city, role=ROLE.get(action, "")).first()
    if action.startswith("grant"):
        changed = new is not None
        if allowed:
            assert (new.active, new.pending) == ((False, True) if action == "grant_person" else (True, False))
    elif action.startswith("approve"):
        changed = new.active
    elif action == "revoke":
        changed = not existing.active
    else:
        changed = not target.is_active
    assert changed == allowed, (response.status_code, response.content.decode()[:300])
    if allowed:
        assert response.status_code == 302
        assert AuditEntry.objects.filter(action="security").count() == before + 1
    else:
        assert response.status_code in (403, 404)
        assert AuditEntry.objects.filter(action="security").count() == before
        assert target.is_active and existing.active
        if request is not None:
            request.refresh_from_db()
            assert request.pending and not request.active


def test_system_admin_cannot_give_itself_a_person_data_role(client, tree, personas, people):
    """The probe of the issue: assign health_officer to oneself, then list persons with a token."""
    login_verified(client, personas.province_admin)
    r = client.post("/accounts/users/", {"action": "assign", "username": "province_admin", "role": "health_officer",
                                         "org_unit": tree.city.pk})
    assert r.status_code == 403 and "自己" in r.content.decode()
    assert set(User.objects.get(username="province_admin").roles()) == {"system_admin"}
    assert not Assignment.objects.filter(user=personas.province_admin, role="health_officer").exists()
    listing = client.get("/api/v1/persons/")
    assert listing.status_code in (403, 404) or listing.json()["count"] == 0
    r = client.post("/accounts/users/", {"action": "disable", "username": "audit_admin"})
    assert r.status_code in (403, 404) and User.objects.get(username="audit_admin").is_active


def test_person_data_roles_are_derived_from_the_policy():
    from xinli.accounts.services import needs_approval, reads_person_data
    from xinli.core.policy import GRANTS, PERSON_CAPABILITIES

    for role, grant in GRANTS.items():
        assert reads_person_data(role) == bool(grant.capabilities & PERSON_CAPABILITIES)
    assert not reads_person_data(Role.PUBLICITY_OFFICER) and reads_person_data(Role.HEALTH_OFFICER)
    assert needs_approval(Role.AUDIT_ADMIN) and not needs_approval(Role.SYSTEM_ADMIN)


def test_request_then_approval_gives_the_role(client, tree, personas):
    login_verified(client, personas.province_admin)
    client.post("/accounts/users/", {"action": "assign", "username": "counsellor", "role": "health_officer", "org_unit": tree.city.pk})
    request = Assignment.objects.get(user=personas.counsellor, role="health_officer")
    assert request.pending and "health_officer" not in User.objects.get(username="counsellor").roles()
    client.post("/accounts/logout/")
    login_verified(client, personas.security_admin)
    page = client.get("/accounts/security/").content.decode()
    assert "待审批" in page or "审批" in page
    assert "counsellor" in page
    client.post("/accounts/security/", {"action": "approve", "assignment": request.pk})
    assert "health_officer" in User.objects.get(username="counsellor").roles()
    request.refresh_from_db()
    assert request.approved_by == personas.security_admin and not request.pending
