"""Departments' offices and staff on the test tree: 司法所 and 民政办 at 八大关街道 (a1), 区民政局 and the 综治 office
at 市南区 (county A), the city's 综治 office, and a 民政 office in 市北区 (county B)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from xinli.core.policy import Role
from xinli.regions.models import Department, DepartmentUnit
from xinli.testing.fixtures import make_user


@dataclass
class Offices:
    justice_a1: object
    civil_a1: object
    civil_county_a: object
    civil_county_b: object
    mediator: object  # 司法所 staff at a1
    civil_worker: object  # 民政办 staff at a1
    civil_county_b_worker: object
    governance_county_a: object
    governance_city: object
    grid_worker: object  # the village worker of a1v1, who sends orders


@pytest.fixture
def offices(tree, personas) -> Offices:
    from xinli.governance.kinds import ensure_defaults

    ensure_defaults()  # after a transactional test's flush the migrations' data is gone
    dept = {d.code: d for d in Department.objects.all()}
    justice_a1 = DepartmentUnit.objects.create(department=dept["justice"], org_unit=tree.a1, name="八大关司法所")
    civil_a1 = DepartmentUnit.objects.create(department=dept["civil_affairs"], org_unit=tree.a1, name="八大关街道民政办")
    civil_a = DepartmentUnit.objects.create(department=dept["civil_affairs"], org_unit=tree.county_a, name="市南区民政局")
    civil_b = DepartmentUnit.objects.create(department=dept["civil_affairs"], org_unit=tree.county_b, name="市北区民政局")
    return Offices(
        justice_a1, civil_a1, civil_a, civil_b,
        mediator=make_user("mediator", [(tree.a1, Role.DEPARTMENT_STAFF, dept["justice"])]),
        civil_worker=make_user("civil_worker", [(tree.a1, Role.DEPARTMENT_STAFF, dept["civil_affairs"])]),
        civil_county_b_worker=make_user("civil_b", [(tree.county_b, Role.DEPARTMENT_STAFF, dept["civil_affairs"])]),
        governance_county_a=make_user("zongzhi_a", [(tree.county_a, Role.GOVERNANCE_OFFICER)]),
        governance_city=make_user("zongzhi_city", [(tree.city, Role.GOVERNANCE_OFFICER)]),
        grid_worker=personas.village_worker_1,
    )
