import pytest

from xinli.accounts.models import Assignment, User
from xinli.core.models import AuditEntry
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, personas):
    login_verified(client, personas.province_admin)
    return client


def test_system_admin_creates_an_account_with_a_role(admin, tree):
    r = admin.post("/accounts/users/", {"action": "create", "username": "new_worker", "display_name": "新网格员",
                                        "password": "Grid-Worker-2026", "role": "community_worker", "org_unit": tree.b1v1.pk})
    assert r.status_code == 302
    user = User.objects.get(username="new_worker")
    assert user.active_assignments() == []  # a person-data role: requested, active once the security admin approves
    assert [(a.role, a.org_unit_id) for a in user.assignments.filter(pending=True)] == [("community_worker", tree.b1v1.pk)]
    assert AuditEntry.objects.filter(action="create", object_type="accounts.user", actor_username="province_admin").exists()


def test_weak_password_and_taken_username_reshow_the_form(admin, tree):
    r = admin.post("/accounts/users/", {"action": "create", "username": "x1", "display_name": "x", "password": "weak",
                                        "role": "counsellor", "org_unit": tree.a1.pk})
    assert r.status_code == 400 and not User.objects.filter(username="x1").exists()
    r = admin.post("/accounts/users/", {"action": "create", "username": "counsellor", "display_name": "x",
                                        "password": "Grid-Worker-2026", "role": "counsellor", "org_unit": tree.a1.pk})
    assert r.status_code == 400 and "用户名" in r.content.decode()


def test_revoke_and_disable(admin, personas):
    assignment = personas.counsellor.assignments.get()
    admin.post("/accounts/users/", {"action": "revoke", "assignment": assignment.pk})
    assert not Assignment.objects.get(pk=assignment.pk).active
    admin.post("/accounts/users/", {"action": "disable", "username": "counsellor"})
    assert not User.objects.get(username="counsellor").is_active


def test_other_roles_cannot_manage_accounts(client, personas):
    login_verified(client, personas.security_admin)
    assert client.get("/accounts/users/").status_code == 404
    r = client.post("/accounts/users/", {"action": "disable", "username": "counsellor"})
    assert r.status_code == 404 and User.objects.get(username="counsellor").is_active


def test_county_admin_cannot_grant_roles_outside_the_county(client, tree, personas):
    from xinli.core.policy import Role
    from xinli.testing.fixtures import make_user

    county_admin = make_user("county_admin", [(tree.county_a, Role.SYSTEM_ADMIN)])
    login_verified(client, county_admin)
    r = client.post("/accounts/users/", {"action": "assign", "username": "village_worker_1", "role": "counsellor",
                                         "org_unit": tree.b1v1.pk})
    assert r.status_code == 400  # B1 is not a choice for an admin of county A
    assert not Assignment.objects.filter(org_unit=tree.b1v1).exists()
