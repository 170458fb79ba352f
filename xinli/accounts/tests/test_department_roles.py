"""Department roles (issue 19): the system administrator assigns department staff with their department on the
users page; without a department the page says which field to fill, in Chinese, and grants nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from xinli.accounts.models import Assignment
from xinli.core.policy import Role
from xinli.regions.models import Department
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db


def test_department_staff_get_their_department_on_the_users_page(tree, personas):
    admin = Client()
    login_verified(admin, make_user("city_admin", [(tree.city, Role.SYSTEM_ADMIN)]))
    target = make_user("minzheng", [(tree.county_a, Role.PUBLICITY_OFFICER)])  # an account in the admin's area
    r = admin.post("/accounts/users/", {"action": "assign", "username": "minzheng", "role": Role.DEPARTMENT_STAFF,
                                        "org_unit": tree.county_a.pk, "department": ""})
    assert r.status_code == 400 and "部门" in r.content.decode() and "必须选择所属部门" in r.content.decode()
    assert not Assignment.objects.filter(user=target, role=Role.DEPARTMENT_STAFF).exists()
    civil = Department.objects.get(code="civil_affairs")
    r = admin.post("/accounts/users/", {"action": "assign", "username": "minzheng", "role": Role.DEPARTMENT_STAFF,
                                        "org_unit": tree.county_a.pk, "department": civil.pk})
    assert r.status_code == 302
    assignment = Assignment.objects.get(user=target, role=Role.DEPARTMENT_STAFF)
    # It reads person data (the fields an order shares), so it waits for the security administrator.
    assert (assignment.department, assignment.role, assignment.pending) == (civil, Role.DEPARTMENT_STAFF, True)
    assert "（民政）" in admin.get("/accounts/users/").content.decode()


def test_a_department_is_dropped_from_roles_that_are_not_department_staff(tree):
    from xinli.accounts.services import grant_role

    user = make_user("worker_x")
    a = grant_role(user, tree.a1v1, Role.COMMUNITY_WORKER, department=Department.objects.get(code="justice"))
    assert a.department is None
