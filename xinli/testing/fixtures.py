"""Persona fixtures: a small real-shaped tree and the people who use the platform.

Tree (codes follow the digit rules):
  山东省 370000000000
  └ 青岛市 370200000000
    ├ 市南区 370202000000 (county A)
    │ ├ A1 街道 370202001000 ─ A1v1 社区 370202001001, A1v2 社区 370202001002
    │ └ A2 街道 370202002000 ─ A2v1 社区 370202002001
    └ 市北区 370203000000 (county B)
      └ B1 镇 370203100000 ─ B1v1 村 370203100200
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from xinli.core.policy import Role

PASSWORD = "Xinli-Test-2026!"


@dataclass
class Tree:
    province: object
    city: object
    county_a: object
    county_b: object
    a1: object
    a2: object
    b1: object
    a1v1: object
    a1v2: object
    a2v1: object
    b1v1: object

    def villages(self):
        return [self.a1v1, self.a1v2, self.a2v1, self.b1v1]


def make_tree() -> Tree:
    from xinli.regions.codes import Kind
    from xinli.regions.services import create_unit

    p = create_unit(code="370000000000", name="山东省", kind=Kind.PROVINCE, parent=None)
    c = create_unit(code="370200000000", name="青岛市", kind=Kind.CITY, parent=p)
    ca = create_unit(code="370202000000", name="市南区", kind=Kind.COUNTY, parent=c)
    cb = create_unit(code="370203000000", name="市北区", kind=Kind.COUNTY, parent=c)
    a1 = create_unit(code="370202001000", name="八大关街道", kind=Kind.SUBDISTRICT, parent=ca)
    a2 = create_unit(code="370202002000", name="香港中路街道", kind=Kind.SUBDISTRICT, parent=ca)
    b1 = create_unit(code="370203100000", name="海云镇", kind=Kind.TOWN, parent=cb)
    a1v1 = create_unit(code="370202001001", name="太平角社区居委会", kind=Kind.COMMUNITY, parent=a1, population=3000)
    a1v2 = create_unit(code="370202001002", name="汇泉社区居委会", kind=Kind.COMMUNITY, parent=a1, population=2500)
    a2v1 = create_unit(code="370202002001", name="燕儿岛社区居委会", kind=Kind.COMMUNITY, parent=a2, population=4000)
    b1v1 = create_unit(code="370203100200", name="海云村委会", kind=Kind.VILLAGE, parent=b1, population=1200)
    return Tree(p, c, ca, cb, a1, a2, b1, a1v1, a1v2, a2v1, b1v1)


@pytest.fixture
def tree(db) -> Tree:
    return make_tree()


@dataclass
class Personas:
    province_admin: object
    county_officer: object
    township_worker: object
    village_worker_1: object
    village_worker_2: object
    counsellor: object
    crisis_team: object
    hotline_operator: object
    smd_doctor: object
    police_liaison: object
    audit_admin: object
    security_admin: object
    nobody: object

    def all(self) -> dict[str, object]:
        return dict(self.__dict__)


def make_user(username, assignments=(), **kwargs):
    from xinli.accounts.services import create_user

    return create_user(username=username, password=PASSWORD, display_name=username, assignments=assignments, **kwargs)


@pytest.fixture
def personas(tree) -> Personas:
    return Personas(
        province_admin=make_user("province_admin", [(tree.province, Role.SYSTEM_ADMIN)]),
        county_officer=make_user("county_officer", [(tree.county_a, Role.HEALTH_OFFICER)]),
        township_worker=make_user("township_worker", [(tree.a1, Role.COMMUNITY_WORKER)]),
        village_worker_1=make_user("village_worker_1", [(tree.a1v1, Role.COMMUNITY_WORKER)]),
        village_worker_2=make_user("village_worker_2", [(tree.a1v2, Role.COMMUNITY_WORKER)]),
        counsellor=make_user("counsellor", [(tree.a1, Role.COUNSELLOR)]),
        crisis_team=make_user("crisis_team", [(tree.county_a, Role.CRISIS_TEAM)]),
        hotline_operator=make_user("hotline_operator", [(tree.county_a, Role.HOTLINE_OPERATOR)]),
        smd_doctor=make_user("smd_doctor", [(tree.a1, Role.SMD_DOCTOR)]),
        police_liaison=make_user("police_liaison", [(tree.a2, Role.POLICE_LIAISON)]),
        audit_admin=make_user("audit_admin", [(tree.province, Role.AUDIT_ADMIN)]),
        security_admin=make_user("security_admin", [(tree.province, Role.SECURITY_ADMIN)]),
        nobody=make_user("nobody"),
    )


# Valid synthetic ID numbers (GB 11643 check characters computed by python-stdnum).
def id_number(birth: str, seq: int = 123, county: str = "370202") -> str:
    from stdnum.cn import ric

    body = f"{county}{birth}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


@dataclass
class People:
    in_a1v1: object
    in_a1v2: object
    in_a2v1: object
    in_b1v1: object

    def all(self):
        return [self.in_a1v1, self.in_a1v2, self.in_a2v1, self.in_b1v1]


@pytest.fixture
def people(tree, personas) -> People:
    """One resident in each village, registered through the service by a county officer / city-wide actor."""
    from xinli.archives.services import register_person

    registrar = make_user("registrar", [(tree.city, Role.HEALTH_OFFICER)])
    rows = [
        (tree.a1v1, "张三丰", id_number("19800101", 111), "13800000001"),
        (tree.a1v2, "李四", id_number("19900215", 222), "13800000002"),
        (tree.a2v1, "王五", id_number("19751231", 333), "13800000003"),
        (tree.b1v1, "赵六", id_number("20150601", 444, "370203"), "13800000004"),
    ]
    persons = []
    for unit, name, idn, phone in rows:
        consent = {"purpose": "archive", "given_by": "guardian", "guardian_name": "监护人"} if idn[6:10] == "2015" else {"purpose": "archive"}
        persons.append(register_person(registrar, {"name": name, "id_number": idn, "phone": phone, "address": f"{unit.name}1号",
                                                   "org_unit": unit}, consents=[consent]).person)
    return People(*persons)


def login_verified(client, user):
    """Log ``user`` into the Django test client with a confirmed TOTP device, as the login form would."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(user=user, name="t", confirmed=True)
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD,
                                                "otp": f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"})
    assert response.status_code == 302, response.content.decode()[:500]
    return device




@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Every test starts with empty per-address rate-limit counters (many tests post from the same address)."""
    from xinli.core import ratelimit

    ratelimit.reset()
    yield
