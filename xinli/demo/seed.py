"""Seed a demo city: the tree, residents with valid synthetic ID numbers, tags at realistic rates, consents, and one
account per role at several levels. The same ``seed`` gives the same data (ciphertexts differ: nonces are random).

Sizes: ``tiny`` (tests), ``small`` (≈ 8 counties, 100 townships, 1,500 villages, 50,000 residents) and ``city``
(the same tree with ≈ 2,000,000 residents, for benchmarks).
"""

from __future__ import annotations

import datetime
import json
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone, translation
from stdnum import numdb
from stdnum.cn import ric

from xinli.accounts.models import User
from xinli.accounts.services import create_user
from xinli.archives.models import (
    Consent,
    ConsentGiver,
    ConsentPurpose,
    LegalBasis,
    Person,
    PopulationTag,
    Tag,
)
from xinli.core import audit
from xinli.core.policy import Role
from xinli.regions.codes import Kind
from xinli.regions.models import Department, OrgUnit
from xinli.regions.services import create_unit

PROVINCE_CODE, CITY_CODE = "37", "3702"  # 山东省青岛市 in python-stdnum's GB/T 2260 list


@dataclass(frozen=True)
class Size:
    counties: int
    townships: int
    villages: int
    residents: int


SIZES = {
    "tiny": Size(counties=2, townships=4, villages=12, residents=300),
    "small": Size(counties=8, townships=100, villages=1500, residents=50_000),
    "city": Size(counties=8, townships=100, villages=1500, residents=2_000_000),
}

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦"
            "付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕鹏辉斌宇浩凯健俊帆帅旭宁龙林欣怡晨雨萱梓涵子轩宇航"
         "博文思远嘉豪海峰志强建国建华丽华淑珍秀珍凤英玉兰德福文静晓东晓燕春梅秋菊冬梅国强国庆永刚永红")
PLACE = ("东西南北中安和平福兴华新春阳山河海湖泉石林松柏桃李杏柳梅兰竹菊青黄白金玉龙凤鹤云霞星月光明宁康泰丰盛隆昌旺富贵顺德仁义礼智信"
         "家乐善乐园田湾岭沟庄屯营堡店桥港")


def current_counties(limit: int) -> list[tuple[str, str]]:
    """(6-digit code, name) of the city's counties that exist today, from python-stdnum's list."""
    db = numdb.get("cn/loc")
    out = []
    for n in range(1, 100):
        code = f"{CITY_CODE}{n:02d}"
        info = db.info(code)
        if len(info) < 2 or not info[1][1]:
            continue
        raw = info[1][1]["county"]
        for entry in raw.split(","):
            m = re.match(r"^\[(\d*)-(\d*)\](.*)$", entry)
            if m and not m.group(2) and m.group(3) != "市辖区":
                out.append((code, m.group(3)))
                break
    return out[:limit]


def _place_name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(PLACE) + rng.choice(PLACE)
        if name not in used and name[0] != name[1]:
            used.add(name)
            return name


def build_tree(rng: random.Random, size: Size) -> list[OrgUnit]:
    """Create province, city, counties, townships and villages; returns the villages/communities."""
    db = numdb.get("cn/loc")
    province = create_unit(code=PROVINCE_CODE + "0" * 10, name=db.info(PROVINCE_CODE)[0][1]["province"], kind=Kind.PROVINCE,
                           parent=None, valid_from=datetime.date(2024, 1, 1))
    city = create_unit(code=CITY_CODE + "0" * 8, name="青岛市", kind=Kind.CITY, parent=province,
                       valid_from=datetime.date(2024, 1, 1))
    counties = current_counties(size.counties)
    villages: list[OrgUnit] = []
    used: set[str] = set()
    per_county = [size.townships // len(counties) + (1 if i < size.townships % len(counties) else 0) for i in range(len(counties))]
    township_total = 0
    for (ccode, cname), n_town in zip(counties, per_county, strict=True):
        urban = cname.endswith("区")
        county = create_unit(code=ccode + "0" * 6, name=cname, kind=Kind.COUNTY, parent=city, valid_from=datetime.date(2024, 1, 1))
        counters = {Kind.SUBDISTRICT: 1, Kind.TOWN: 100, Kind.TOWNSHIP: 200}
        for _ in range(n_town):
            if urban:
                kind = Kind.SUBDISTRICT if rng.random() < 0.8 else Kind.TOWN
            else:
                kind = rng.choices([Kind.SUBDISTRICT, Kind.TOWN, Kind.TOWNSHIP], weights=[2, 6, 2])[0]
            digits = counters[kind]
            counters[kind] += 1
            suffix = {Kind.SUBDISTRICT: "街道", Kind.TOWN: "镇", Kind.TOWNSHIP: "乡"}[kind]
            township = create_unit(code=f"{ccode}{digits:03d}000", name=_place_name(rng, used) + suffix, kind=kind,
                                   parent=county, valid_from=datetime.date(2024, 1, 1))
            n_vil = size.villages // size.townships + (1 if township_total < size.villages % size.townships else 0)
            township_total += 1
            vcounters = {Kind.COMMUNITY: 1, Kind.VILLAGE: 200}
            for _ in range(n_vil):
                community_share = 0.9 if kind == Kind.SUBDISTRICT else 0.15
                vkind = Kind.COMMUNITY if rng.random() < community_share else Kind.VILLAGE
                vdigits = vcounters[vkind]
                vcounters[vkind] += 1
                vname = _place_name(rng, used) + ("社区" if vkind == Kind.COMMUNITY else "村")
                villages.append(create_unit(code=f"{ccode}{digits:03d}{vdigits:03d}", name=vname + "居委会" if vkind == Kind.COMMUNITY else vname + "委会",
                                            kind=vkind, parent=township, population=rng.randint(800, 4000),
                                            valid_from=datetime.date(2024, 1, 1), urban_rural_code=_urban_rural(kind, vkind, vdigits)))
    return villages


def _urban_rural(township_kind: str, village_kind: str, digits: int) -> str:
    """A plausible 统计用城乡划分代码 for a demo village or community, from where it lies (no random draw, so the rest of
    the demo stays as it was): communities of a 街道 are 主城区 111 (every fifth 城乡结合区 112), of a 镇 镇中心区 121, of a
    乡 乡中心区 210; villages of a 街道 城乡结合区 112, of a 镇 村庄 220 (every fourth 镇乡结合区 122), of a 乡 村庄 220. Every
    seventh village or community has no code yet (its urban/rural is then estimated from its kind)."""
    if digits % 7 == 0:
        return ""
    if village_kind == Kind.COMMUNITY:
        return {Kind.SUBDISTRICT: "112" if digits % 5 == 0 else "111", Kind.TOWN: "121"}.get(township_kind, "210")
    return {Kind.SUBDISTRICT: "112", Kind.TOWN: "122" if digits % 4 == 0 else "220"}.get(township_kind, "220")


def _age(rng: random.Random) -> int:
    band = rng.choices([(0, 14), (15, 59), (60, 95)], weights=[18, 63, 19])[0]
    return rng.randint(*band)


def _id_number(rng: random.Random, county6: str, birth: datetime.date, male: bool, used: set[str]) -> str:
    while True:
        seq = rng.randint(0, 499) * 2 + (1 if male else 0)
        body = f"{county6}{birth:%Y%m%d}{seq:03d}"
        number = body + ric.calc_check_digit(body + "0")
        if number not in used:
            used.add(number)
            return number


def _tags(rng: random.Random, age: int, male: bool, rural: bool) -> list[str]:
    t = []
    r = rng.random
    if age >= 60:
        if r() < 0.25:
            t.append(Tag.ELDERLY_EMPTY_NEST)
        if r() < 0.12:
            t.append(Tag.ELDERLY_WIDOWED)
        if rural and r() < 0.10:
            t.append(Tag.ELDERLY_LEFT_BEHIND)
        if r() < 0.005:
            t.append(Tag.ELDERLY_BEREAVED_PARENT)
    if not male:
        if 20 <= age <= 40 and r() < 0.06:
            t.append(Tag.WOMEN_PERINATAL)
        if 45 <= age <= 55 and r() < 0.20:
            t.append(Tag.WOMEN_MENOPAUSE)
        if age >= 18 and r() < 0.003:
            t.append(Tag.WOMEN_INJURED)
    if age < 18:
        if rural and r() < 0.08:
            t.append(Tag.CHILD_LEFT_BEHIND)
        if not rural and r() < 0.06:
            t.append(Tag.CHILD_MIGRANT)
        if r() < 0.015:
            t.append(Tag.CHILD_IN_DIFFICULTY)
        if r() < 0.002:
            t.append(Tag.ORPHAN)
        if age >= 6 and r() < 0.01:
            t.append(Tag.STUDENT_VICTIM)
    if r() < 0.06:
        t.append(Tag.DISABLED)
    if r() < 0.04:
        t.append(Tag.DISABLED_FAMILY)
    if r() < 0.012:
        t.append(Tag.SMD_FAMILY)
    if age >= 18:
        for tag, rate in ((Tag.COMMUNITY_CORRECTION, 0.0005), (Tag.RELEASED_PRISONER, 0.001), (Tag.DRUG_COMMUNITY, 0.0003),
                          (Tag.DRUG_MAINTENANCE, 0.0002), (Tag.CONFLICT_DISTRESS, 0.005), (Tag.PARANOID_PERSONALITY, 0.001),
                          (Tag.VAGRANT, 0.0002)):
            if r() < rate:
                t.append(tag)
    return t


def seed_residents(rng: random.Random, villages: list[OrgUnit], total: int, *, batch: int = 2000, progress=None) -> int:
    """Create ``total`` residents spread over ``villages`` by population, with tags and an archive consent each."""
    today = datetime.date(2026, 1, 1)  # fixed, so that the same seed gives the same ages
    weights = [v.population or 1 for v in villages]
    used_ids: set[str] = set()
    created = 0
    while created < total:
        n = min(batch, total - created)
        people, meta = [], []
        for _ in range(n):
            unit = rng.choices(villages, weights=weights)[0]
            male = rng.random() < 0.51
            age = _age(rng)
            birth = today - datetime.timedelta(days=age * 365 + rng.randint(0, 364))
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
            person = Person(
                name=name, id_number=_id_number(rng, unit.county_code, birth, male, used_ids), sex="M" if male else "F",
                birth_date=birth, birth_year=birth.year,
                phone=f"1{rng.choice('3456789')}{rng.randint(0, 999999999):09d}" if age >= 12 and rng.random() < 0.85 else None,
                address=f"{unit.name}{rng.randint(1, 300)}号", org_unit=unit
            ).place_under(unit)
            people.append(person)
            meta.append((age, male, unit.kind == Kind.VILLAGE, rng.random()))
        with transaction.atomic():
            Person.objects.bulk_create(people, batch_size=1000)
            tags, consents = [], []
            for person, (age, male, rural, guardian_pick) in zip(people, meta, strict=True):
                for tag in _tags(rng, age, male, rural):
                    tags.append(PopulationTag(person=person, tag=tag, since=datetime.date(2025, 1, 1)).place_under(person))
                given_at = datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randint(0, 300))
                minor = person.age_on(given_at) < 14
                consents.append(Consent(
                    person=person, purpose=ConsentPurpose.ARCHIVE,
                    legal_basis=LegalBasis.CONSENT if guardian_pick < 0.7 else LegalBasis.STATUTORY,
                    given_by=ConsentGiver.GUARDIAN if minor else ConsentGiver.SELF,
                    guardian_name=(person.name[0] + rng.choice(GIVEN) + rng.choice(GIVEN)) if minor else None,
                    guardian_relation=("父亲" if guardian_pick < 0.5 else "母亲") if minor else "",
                    given_at=given_at
                ).place_under(person))
            PopulationTag.objects.bulk_create(tags, batch_size=2000)
            Consent.objects.bulk_create(consents, batch_size=2000)
            audit.record(None, audit.Action.CREATE, object_type="archives.person", object_id="seed_demo",
                         detail={"bulk_created": len(people), "tags": len(tags), "consents": len(consents)})
        created += n
        if progress:
            progress(created)
    return created


# (username, role, where): where = city | county | township | village | village2
DEMO_ACCOUNTS = [
    ("sysadmin", Role.SYSTEM_ADMIN, "city"),
    ("secadmin", Role.SECURITY_ADMIN, "city"),
    ("auditadmin", Role.AUDIT_ADMIN, "city"),
    ("city_officer", Role.HEALTH_OFFICER, "city"),
    ("county_officer", Role.HEALTH_OFFICER, "county"),
    ("township_worker", Role.COMMUNITY_WORKER, "township"),
    ("village_worker", Role.COMMUNITY_WORKER, "village"),
    ("village_worker2", Role.COMMUNITY_WORKER, "village2"),
    ("counsellor", Role.COUNSELLOR, "township"),
    ("school_psychologist", Role.SCHOOL_PSYCHOLOGIST, "county"),
    ("eap_officer", Role.EAP_OFFICER, "county"),
    ("hotline_operator", Role.HOTLINE_OPERATOR, "city"),
    ("hotline_supervisor", Role.HOTLINE_SUPERVISOR, "city"),
    ("crisis_township", Role.CRISIS_TEAM, "township"),
    ("crisis_county", Role.CRISIS_TEAM, "county"),
    ("crisis_city", Role.CRISIS_TEAM, "city"),
    ("psychiatrist", Role.PSYCHIATRIST, "county"),
    ("smd_doctor", Role.SMD_DOCTOR, "township"),
    ("police_liaison", Role.POLICE_LIAISON, "township"),
    ("publicity_officer", Role.PUBLICITY_OFFICER, "city"),
    ("publicity_editor", Role.PUBLICITY_OFFICER, "city"),  # reviews the publicity officer's articles
    # Departments around the 综治 office and grids (issue 19): (username, role, level[, department code])
    ("grid_worker", Role.COMMUNITY_WORKER, "village"),  # the demo village's grid worker (网格员)
    ("civil_affairs_staff", Role.DEPARTMENT_STAFF, "township", "civil_affairs"),
    ("justice_staff", Role.DEPARTMENT_STAFF, "township", "justice"),
    ("zongzhi_county", Role.GOVERNANCE_OFFICER, "county"),
    ("zongzhi_city", Role.GOVERNANCE_OFFICER, "city"),
]


FIRST_RELEASE_ACCOUNTS = 21  # the accounts up to publicity_editor, whose passwords the main generator draws


def seed_accounts(rng: random.Random, villages: list[OrgUnit]) -> list[dict]:
    village = villages[0]
    township = village.parent
    county = township.parent
    city = county.parent
    village2 = next(v for v in villages if v.parent_id != township.pk)
    where = {"city": city, "county": county, "township": township, "village": village, "village2": village2}
    from xinli.governance.kinds import ensure_defaults

    ensure_defaults()  # the departments and work-order kinds (loaded by migration; again after a test database flush)
    accounts = []
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    # Accounts added after the first release draw their passwords from a generator of their own (derived from the
    # main one's state without advancing it), so that everything seeded after the accounts stays as it was.
    derived = repr(rng.getstate()[1][:8])
    for n, (username, role, level, *department) in enumerate(DEMO_ACCOUNTS):
        draw = rng if n < FIRST_RELEASE_ACCOUNTS else random.Random(f"{derived}-{username}")
        password = "Xl-" + "".join(draw.choice(alphabet) for _ in range(10)) + "9!"
        unit = where[level]
        dept = Department.objects.get(code=department[0]) if department else None
        with translation.override("zh-hans"):
            display_name = f"{Role(role).label}（{unit.name}{dept.name if dept else ''}）"
        create_user(username=username, password=password, display_name=display_name,
                    assignments=[(unit, role, dept)], is_demo=True)
        accounts.append({"username": username, "password": password, "role": str(role), "org_unit_code": unit.code,
                         "org_unit_name": unit.name})
    return accounts


def seed(size_name: str = "small", seed_value: int = 1, *, accounts_file: Path | None = None, progress=None,
         activity: bool = True) -> dict:
    """Seed everything; returns a summary with timings. Refuses to run twice on the same database."""
    if OrgUnit.objects.filter(code=CITY_CODE + "0" * 8).exists():
        raise RuntimeError("demo city already seeded")
    size = SIZES[size_name]
    rng = random.Random(seed_value)
    t0 = time.perf_counter()
    villages = build_tree(rng, size)
    accounts = seed_accounts(rng, villages)
    t1 = time.perf_counter()
    created = seed_residents(rng, villages, size.residents, progress=progress)
    t2 = time.perf_counter()
    extra = {}
    if activity:
        from .activity import seed_activity

        extra = seed_activity(rng, size_name, villages[0].parent.parent.parent)
        # Two extreme incidents last year and one this year (T20 against last year), then the early-warning
        # detection of the last week, so the warning page has signals to review.
        from xinli.indicators import incidents, warning
        from xinli.indicators.services import rebuild

        today = timezone.localdate()
        officer = User.objects.get(username="city_officer")
        for back, kind in ((400, "suicide"), (380, "smd_incident"), (20, "suicide_attempt")):
            day = today - datetime.timedelta(days=back)
            incidents.record_incident(officer, org_unit=rng.choice(villages), date=day, kind=kind, note="演示数据")
        for back in range(7, 0, -1):
            warning.detect(today - datetime.timedelta(days=back))
        warning.detect(today - datetime.timedelta(days=today.weekday() + 1), weekly=True)
        # The dashboards read only rollups: fill this year's (and, but for the big city, each month's for the trends).
        t3 = time.perf_counter()
        extra["indicator_values"] = rebuild(today.year)
        for month in (range(1, today.month + 1) if size_name != "city" else [today.month]):
            extra["indicator_values"] += rebuild(today.year, month=month)
        extra["indicator_seconds"] = time.perf_counter() - t3
    if accounts_file is not None:
        accounts_file.parent.mkdir(parents=True, exist_ok=True)
        accounts_file.write_text(json.dumps(accounts, ensure_ascii=False, indent=1))
        accounts_file.chmod(0o600)
    return {"villages": len(villages), "residents": created, "accounts": accounts, **extra,
            "tree_seconds": t1 - t0, "resident_seconds": t2 - t1,
            "residents_per_second": created / (t2 - t1) if t2 > t1 else 0.0}


def demo_users_exist() -> bool:
    return User.objects.filter(is_demo=True).exists()
