"""Demo service network: rooms in about 70 % of villages, township rooms, schools (most with a mental-health
teacher), universities, workplaces of every T05 kind and hospitals (some general hospitals with a psychiatric
department and a family school) with their services at plausible (incomplete) coverage, two or three staff per room
(≈ 2,900 on `small`) with certificates, volunteers, training, and a year of inspections with some rectifications still
open."""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone

from xinli.accounts.models import User
from xinli.network import inspection, services
from xinli.network.models import Certificate, Institution, Site, SiteStatus, Staff
from xinli.regions.models import OrgUnit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平"


def _name(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _contact(unit: OrgUnit) -> dict:
    """A plausible phone and position for a demo site, derived from the unit's path (its own generator, so the main
    one — and with it the rest of the demo — draws the same numbers as before): around Qingdao, by county."""
    geo = random.Random(f"site-{unit.path}")
    county = random.Random(f"county-{unit.county_code}")  # one centre for all units of a county
    lat, lng = 36.07 + county.uniform(-0.35, 0.35), 120.38 + county.uniform(-0.45, 0.45)
    return {"phone": f"0532-8{geo.randint(0, 9_999_999):07d}", "latitude": round(lat + geo.uniform(-0.08, 0.08), 6),
            "longitude": round(lng + geo.uniform(-0.08, 0.08), 6)}


def seed_network(rng: random.Random, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    officer = User.objects.get(username="city_officer")
    city = OrgUnit.objects.get(level="city")
    counties = list(OrgUnit.objects.filter(level="county").order_by("path"))
    villages = list(OrgUnit.objects.filter(level="village").order_by("path"))
    townships = list(OrgUnit.objects.filter(level="township").order_by("path"))
    opened = today - datetime.timedelta(days=800)
    with transaction.atomic():
        sites, statuses = [], []
        for v in villages:
            if rng.random() < 0.70:
                kind = "village_room" if rng.random() < 0.8 else "social_work_room"
                sites.append(Site(name=f"{v.name}{'心理咨询室' if kind == 'village_room' else '社会工作室'}", kind=kind, org_unit=v,
                                  org_path=v.path, hours="周一至周五 9:00-17:00", address=f"{v.name}党群服务中心", **_contact(v)))
        for t in townships:
            if rng.random() < 0.85:
                sites.append(Site(name=f"{t.name}卫生院心理服务室", kind="township_room", org_unit=t, org_path=t.path, hours="工作日",
                                  **_contact(t)))
        Site.objects.bulk_create(sites, batch_size=2000)
        for s in sites:
            statuses.append(SiteStatus(site=s, status="active", start=opened + datetime.timedelta(days=rng.randint(0, 600))))
        SiteStatus.objects.bulk_create(statuses, batch_size=2000)
        institutions = []
        for c in counties:
            for i in range(10):
                school = services.create_institution(officer, org_unit=c, name=f"{c.name}第{i + 1}{'中学' if i % 2 else '小学'}",
                                                     kind="secondary_school" if i % 2 else "primary_school", students=rng.randint(600, 2500))
                institutions.append(school)
                if rng.random() < 0.75:
                    services.create_site(officer, org_unit=c, name=f"{school.name}心理辅导室", kind="school_room", institution=school, opened_on=opened)
            hospital = services.create_institution(officer, org_unit=c, name=f"{c.name}人民医院", kind="general_hospital", hospital_level=rng.choice("23"))
            if rng.random() < 0.5:
                services.create_site(officer, org_unit=c, name=f"{hospital.name}心理门诊", kind="general_clinic", institution=hospital, opened_on=opened)
            organ = services.create_institution(officer, org_unit=c, name=f"{c.name}人民政府", kind="organ", employees=rng.randint(200, 800))
            if rng.random() < 0.6:
                services.create_site(officer, org_unit=c, name=f"{organ.name}职工心理辅导室", kind="workplace_room", institution=organ, opened_on=opened)
        uni = services.create_institution(officer, org_unit=city, name="青岛大学", kind="university", students=38000, psychology_teachers=8)
        services.create_site(officer, org_unit=city, name="青岛大学心理健康教育与咨询中心", kind="university_centre", institution=uni, opened_on=opened)
        psy = services.create_institution(officer, org_unit=city, name="青岛市精神卫生中心", kind="psychiatric_hospital")
        services.create_site(officer, org_unit=city, name="青岛市精神卫生中心心理门诊", kind="psychiatric_clinic", institution=psy, opened_on=opened)
        services.create_site(officer, org_unit=city, name="青岛市精神卫生中心家属学校", kind="family_school", institution=psy, opened_on=opened)
        org = services.create_institution(officer, org_unit=city, name="心晴社会心理服务中心", kind="social_org", credit_code="91110000600037341L")
        # Staff: about two per room, counsellors and social workers, most with certificates.
        staff, certs = [], []
        for n, site in enumerate(sites):
            for _ in range(3 if rng.random() < 0.4 else 2):
                prof = rng.choice(("counsellor", "counsellor", "social_worker", "grid_worker"))
                staff.append(Staff(name=_name(rng), profession=prof, education=rng.choices(("below", "bachelor", "master"), weights=(25, 60, 15))[0],
                                   full_time=rng.random() < 0.4, org_unit=site.org_unit, org_path=site.org_path,
                                   employer=org if n % 40 == 0 else None))
        Staff.objects.bulk_create(staff, batch_size=2000)
        for i, s in enumerate(staff):
            if s.profession in ("counsellor", "social_worker") and rng.random() < 0.7:
                certs.append(Certificate(staff=s, kind="counsellor" if s.profession == "counsellor" else "social_worker",
                                         number=f"DEMO-{i:06d}", issuer="山东省心理咨询师协会", valid_from=opened,
                                         valid_to=today + datetime.timedelta(days=rng.randint(-200, 1500))))
        Certificate.objects.bulk_create(certs, batch_size=2000)
        for t in townships:
            if rng.random() < 0.8:
                services.create_management_group(officer, org_unit=t, established_on=opened, members=["综治", "卫健", "公安", "民政", "残联"])
        course = services.create_course(officer, org_unit=city, title="社会心理服务基础与危机识别", provider="青岛市精神卫生中心", hours=16)
        for s in rng.sample(staff, k=len(staff) // 2):
            services.record_attendance(officer, course, s, date=today - datetime.timedelta(days=rng.randint(1, 200)))
        for v in rng.sample(villages, k=min(200, len(villages))):
            services.create_volunteer(officer, org_unit=v, name=_name(rng), recruited_on=opened, trained=rng.random() < 0.6)
        plan = inspection.create_plan(officer, name=f"{today.year}年社会心理服务督导检查", org_unit=city,
                                      start=datetime.date(today.year, 1, 1), end=datetime.date(today.year, 12, 31))
        codes = [i["code"] for i in plan.checklist.items]
        for inst in rng.sample(institutions, k=min(24, len(institutions))) + [org]:
            failed = rng.sample(codes, k=rng.choice((0, 0, 1, 1, 2)))
            day = datetime.date(today.year, 1, 1) + datetime.timedelta(days=rng.randint(0, max(1, (today - datetime.date(today.year, 1, 1)).days - 1)))
            inspection.record_inspection(officer, plan, inst, date=day, results={c: "fail" if c in failed else "pass" for c in codes},
                                         findings=[{"item": c, "severity": rng.choice(("minor", "major")), "description": "演示：待整改",
                                                    "deadline": day + datetime.timedelta(days=rng.choice((20, 45, 90)))} for c in failed])
        for r in inspection.Rectification.objects.all():
            if rng.random() < 0.6:
                inspection.close_rectification(officer, r, evidence="演示：已整改并上传照片", on=min(today, r.deadline))
        teachers = _seed_indicator_register(officer, city, counties, institutions, opened)
    return {"network_sites": Site.objects.count(), "network_staff": len(staff) + teachers}


def _seed_indicator_register(officer, city: OrgUnit, counties: list[OrgUnit], schools: list[Institution], opened: datetime.date) -> int:
    """What the pilot plan's definitions of T04, T05 and T18 need (issue 16), drawn from a generator of its own so
    the rest of the demo draws the same numbers as before: mental-health teachers on most schools' staff (some rooms
    have none, so T04 stays below 100 %), the other kinds of workplace — public institutions, factories, enterprises,
    new economic organisations — with a room or a purchased (EAP) service, and general hospitals with a psychiatric
    department, some running a family school. Returns the number of teachers added."""
    rng = random.Random(f"network-register-{city.code}")
    with_room = set(Site.objects.filter(kind="school_room", institution__in=schools).values_list("institution_id", flat=True))
    teachers, short = [], set()
    for school in schools:
        if school.pk in with_room and school.org_unit_id not in short:
            short.add(school.org_unit_id)  # each county's first school with a room has no teacher yet
            continue
        if rng.random() < (0.85 if school.pk in with_room else 0.3):
            full = rng.random() < 0.6
            teachers.append(Staff(name=_name(rng), profession="teacher_full" if full else "teacher_part", full_time=full,
                                  education=rng.choice(("bachelor", "bachelor", "master")), employer=school,
                                  org_unit=school.org_unit, org_path=school.org_path))
    Staff.objects.bulk_create(teachers, batch_size=2000)
    for c in counties:
        for name, kind, size, room, purchased in (("疾病预防控制中心", "public_institution", (60, 150), 0.6, 0.0),
                                                  ("机械厂", "factory_mine", (300, 3000), 0.5, 0.3),
                                                  ("商贸有限公司", "enterprise", (20, 400), 0.1, 0.4),
                                                  ("网络科技有限公司", "new_economy_org", (15, 200), 0.0, 0.4)):
            unit = services.create_institution(officer, org_unit=c, name=f"{c.name}{name}", kind=kind, employees=rng.randint(*size))
            draw = rng.random()
            if draw < room:
                services.create_site(officer, org_unit=c, name=f"{unit.name}职工心理辅导室", kind="workplace_room", institution=unit, opened_on=opened)
            elif draw < room + purchased:
                services.create_site(officer, org_unit=c, name=f"{unit.name}员工心理援助（EAP）购买服务", kind="workplace_room",
                                     institution=unit, opened_on=opened, purchased=True)
    for hospital in Institution.objects.filter(kind="general_hospital").order_by("pk"):
        if rng.random() < 0.6:
            Institution.objects.filter(pk=hospital.pk).update(psychiatric_department=True)
            if rng.random() < 0.5:
                services.create_site(officer, org_unit=hospital.org_unit, name=f"{hospital.name}精神科家属课堂", kind="family_school",
                                     institution=hospital, opened_on=opened)
    shili = services.create_institution(officer, org_unit=city, name="青岛市市立医院", kind="general_hospital", hospital_level="3",
                                        psychiatric_department=True)
    services.create_site(officer, org_unit=city, name="青岛市市立医院精神（心理）科门诊", kind="general_clinic", institution=shili, opened_on=opened)
    services.create_site(officer, org_unit=city, name="青岛市市立医院家属学校", kind="family_school", institution=shili, opened_on=opened)
    return len(teachers)
