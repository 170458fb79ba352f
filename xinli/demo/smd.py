"""Demo SMD register: about 4.5 ‰ of the residents, a realistic mix of diagnoses and classifications, two years of
follow-ups (some patients overdue now), rehabilitation and family-school records, and the population per unit.

The demo's community mental-health doctor (``smd_doctor``) is the responsible doctor of the patients of their
township, the district psychiatrist of the other patients of the district; elsewhere no demo account follows up
(the responsible doctor is left empty, as the register only names a doctor who treats the patient's area). So that
the doctor lands on a worklist with work in it, their township is a showcase: at least ``SHOWCASE`` patients, of whom
some are due this week, some overdue and one newly registered and not yet seen.

Rows are written in bulk (like the residents), but every follow-up's classification and next due date come from the
same rules module the services use (``xinli.smd.rules``), and the schedule is the one the services would build.
"""

from __future__ import annotations

import datetime
import json
import random

from django.db import transaction
from django.utils import timezone

from xinli.accounts.models import User
from xinli.archives.models import Person
from xinli.regions.models import OrgUnit, UnitPopulation
from xinli.smd import rules
from xinli.smd.models import FollowUp, Patient, Support, Task

DIAGNOSES = (("F20", 55), ("F31", 15), ("F7x", 12), ("F06", 8), ("F22", 6), ("F25", 4))
PROFILES = (("stable", 62), ("basically_stable", 28), ("unstable", 10))
SHOWCASE = 14
# The showcase township's planned situations, in this order; the other showcase patients follow the random history.
PINS = ("due",) * 4 + ("overdue",) * 3 + ("new",)
MEDICINES = (("利培酮", "2mg", "每日两次"), ("奥氮平", "10mg", "每晚一次"), ("阿立哌唑", "10mg", "每日一次"), ("碳酸锂", "0.25g", "每日三次"),
             ("丙戊酸钠", "0.5g", "每日两次"), ("氯氮平", "50mg", "每日两次"))


def _visit(rng, profile: str, day: datetime.date) -> dict:
    risk = {"stable": 0, "basically_stable": rng.choice((0, 1, 1, 2)), "unstable": rng.choice((1, 2, 3, 3, 4))}[profile]
    insight = {"stable": "complete", "basically_stable": rng.choice(("complete", "partial")), "unstable": rng.choice(("partial", "absent"))}[profile]
    symptoms = [] if profile == "stable" else rng.sample(["suspicion", "hallucination", "self_talk", "withdrawn", "moody"], k=rng.randint(0, 2))
    adherence = rng.choices(("regular", "intermittent", "none"), weights=(70, 20, 10) if profile == "stable" else (45, 30, 25))[0]
    return {"date": day, "mode": rng.choice(("home", "home", "clinic", "phone")), "risk": risk, "insight": insight,
            "symptoms": symptoms, "adherence": adherence, "social_function": {"self_care": "good" if profile == "stable" else rng.choice(("fair", "poor"))},
            "sleep": "good", "diet": "good"}


def _doctors() -> dict[str, User]:
    """Org-unit path → the demo account that follows up patients there (the township doctor before the psychiatrist)."""
    found = {}
    for username in ("smd_doctor", "psychiatrist"):
        for user in User.objects.filter(username=username):
            for a in user.active_assignments():
                found.setdefault(a.org_unit.path, user)
    return found


def seed_smd(rng: random.Random, *, rate: float = 0.0045, years: int = 2, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    doctors = _doctors()
    showcase = next((a.org_unit.path for u in User.objects.filter(username="smd_doctor") for a in u.active_assignments()), None)
    person_ids = list(Person.objects.values_list("pk", "org_path", "county_code"))
    chosen = rng.sample(person_ids, k=max(1, round(len(person_ids) * rate)))
    pins: dict[int, str] = {}
    if showcase:
        taken = {pk for pk, *_ in chosen}
        mine = [c for c in chosen if c[1].startswith(showcase)]
        pool = [c for c in person_ids if c[1].startswith(showcase) and c[0] not in taken]
        extra = rng.sample(pool, k=min(len(pool), max(0, SHOWCASE - len(mine))))
        chosen += extra
        pins = {pk: pin for (pk, *_), pin in zip(mine + extra, PINS, strict=False)}
    start = datetime.date(today.year - years, 1, 1)
    week_end = today + datetime.timedelta(days=6 - today.weekday())
    patients, plans = [], []
    for pk, path, county in chosen:
        registered = start - datetime.timedelta(days=rng.randint(0, 2000))
        pin = pins.get(pk)
        if pin == "new":
            registered = today - datetime.timedelta(days=rng.randint(2, 9))
        doctor = max(((p, d) for p, d in doctors.items() if path.startswith(p)), key=lambda pd: len(pd[0]), default=(None, None))[1]
        status, status_on = "in_register", None
        r = rng.random()
        if r < 0.02 and not pin:
            status, status_on = "died", today - datetime.timedelta(days=rng.randint(10, 300))
        elif r < 0.05 and not pin:
            status, status_on = "moved_out", today - datetime.timedelta(days=rng.randint(10, 300))
        patients.append(Patient(person_id=pk, diagnosis=rng.choices([d for d, _ in DIAGNOSES], weights=[w for _, w in DIAGNOSES])[0],
                                diagnosed_by=rng.choice(("青岛市精神卫生中心", "市立医院精神科", "区人民医院")),
                                diagnosed_on=registered - datetime.timedelta(days=rng.randint(0, 400)), source=rng.choice(("hospital", "hospital", "community", "transfer")),
                                registered_on=registered, status=status, status_on=status_on, status_reason="演示" if status_on else "",
                                residence="institution" if rng.random() < 0.06 else "home", consent_community=bool(pin) or rng.random() < 0.92,
                                consent_on=registered, poor=rng.random() < 0.2, doctor=doctor, org_path=path, county_code=county,
                                guardian_name=rng.choice(("王", "李", "张", "刘", "陈")) + rng.choice(("建国", "秀英", "桂兰", "志强", "红梅")),
                                guardian_phone=f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"))
        plans.append((rng.choices([p for p, _ in PROFILES], weights=[w for _, w in PROFILES])[0], pin))
    with transaction.atomic():
        Patient.objects.bulk_create(patients, batch_size=2000)
        follow_ups, tasks, supports = [], [], []
        for patient, (profile, pin) in zip(patients, plans, strict=True):
            day = start + datetime.timedelta(days=rng.randint(0, 60))
            # 1 in 8 patients is behind schedule: their last visit was long ago, so their task is overdue now.
            lag = pin == "overdue" or (not pin and rng.random() < 0.125)
            # 1 in 8 of the others is seen irregularly: visits about twice as far apart as the norm asks, so they
            # fall short of the national norm's count (T12 standardised management near 85 %, as in real registers).
            irregular = not pin and not lag and rng.random() < 0.125
            stop = (patient.status_on or today) - datetime.timedelta(days=(120 if lag else 0))
            # A patient due this week is last seen two weeks before the due day (basically stable: back in 2 weeks).
            due_day = today + datetime.timedelta(days=rng.randint(0, (week_end - today).days)) if pin == "due" else None
            if due_day is not None:
                stop = due_day - rules.TWO_WEEKS - datetime.timedelta(days=21)
            if pin == "new":  # registered days ago and not seen yet: the first follow-up is due two weeks after
                stop = day - datetime.timedelta(days=1)
                tasks.append(Task(patient=patient, due=patient.registered_on + rules.TWO_WEEKS).place_under(patient))
            visits = []
            while day <= stop:
                visits.append(_visit(rng, profile, day))
                out = rules.classify(date=day, risk=visits[-1]["risk"], insight=visits[-1]["insight"], symptoms=visits[-1]["symptoms"],
                                     social_function=visits[-1]["social_function"])
                gap = (out.next_due - day).days if out.next_due else 30
                day = day + datetime.timedelta(days=max(7, gap * (2 if irregular else 1) + rng.randint(-10, 25)))
            if due_day is not None:
                visits.append(_visit(rng, "basically_stable", due_day - rules.TWO_WEEKS) | {"social_function": {"self_care": "poor"}})
            last_outcome, last_visit = None, None
            for v in visits:
                if not patient.consent_community:  # the statutory minimum only (as the service enforces)
                    v = {k: v[k] for k in ("date", "mode", "risk")}
                out = rules.classify(date=v["date"], risk=v["risk"], insight=v.get("insight", ""), symptoms=v.get("symptoms", ()),
                                     social_function=v.get("social_function"))
                medications = json.dumps([dict(zip(("name", "dose", "usage"), rng.choice(MEDICINES), strict=True))], ensure_ascii=False)
                follow_ups.append(FollowUp(patient=patient, classification=out.classification, next_due=out.next_due,
                                           doctor=patient.doctor, medications=medications if patient.consent_community else "",
                                           referral_institution="青岛市精神卫生中心" if out.refer else "", **v).place_under(patient))
                if last_outcome is not None and last_outcome.next_due is not None:
                    tasks.append(Task(patient=patient, due=last_outcome.next_due, state="done", done_on=v["date"]).place_under(patient))
                last_outcome, last_visit = out, v
            if patient.status == "in_register" and last_outcome is not None and last_outcome.next_due is not None:
                tasks.append(Task(patient=patient, due=last_outcome.next_due).place_under(patient))
            if last_visit is not None:
                patient.classification, patient.risk, patient.last_follow_up = last_outcome.classification, last_visit["risk"], last_visit["date"]
            if patient.residence == "home" and rng.random() < 0.55:
                supports.append(Support(patient=patient, kind="rehab", start=start + datetime.timedelta(days=rng.randint(0, 300)),
                                        institution="社区精神康复站").place_under(patient))
            if patient.residence == "home" and rng.random() < 0.5:
                supports.append(Support(patient=patient, kind="family_school", start=today - datetime.timedelta(days=rng.randint(1, 300)),
                                        institution="青岛市精神卫生中心家属学校").place_under(patient))
            # Counselling (心理疏导) of the patient or the family by the community health centre (T17): about 55 % of
            # home-dwelling patients each year; some by the hospital, which T17 does not count.
            if patient.residence == "home":
                for year_start in (datetime.date(today.year - 1, 1, 1), datetime.date(today.year, 1, 1)):
                    span = ((today if year_start.year == today.year else datetime.date(year_start.year, 12, 31)) - year_start).days
                    if rng.random() < 0.55:
                        supports.append(Support(patient=patient, kind=rng.choice(["counselling", "family_counselling"]), primary_care=True,
                                                start=year_start + datetime.timedelta(days=rng.randint(0, max(span, 0))),
                                                institution="社区卫生服务中心").place_under(patient))
                    elif rng.random() < 0.2:
                        supports.append(Support(patient=patient, kind="counselling", institution="青岛市精神卫生中心",
                                                start=year_start + datetime.timedelta(days=rng.randint(0, max(span, 0)))).place_under(patient))
        FollowUp.objects.bulk_create(follow_ups, batch_size=5000)
        Task.objects.bulk_create(tasks, batch_size=5000)
        Support.objects.bulk_create(supports, batch_size=5000)
        Patient.objects.bulk_update(patients, ["classification", "risk", "last_follow_up"], batch_size=2000)
        # Resident population per village: in the demo every resident is in the archive, so it is the archive count.
        from django.db.models import Count

        counts = dict(Person.objects.values("org_unit_id").annotate(n=Count("pk")).values_list("org_unit_id", "n"))
        villages = OrgUnit.objects.filter(level="village").values_list("pk", flat=True)
        UnitPopulation.objects.bulk_create(
            [UnitPopulation(org_unit_id=pk, year=y, residents=counts.get(pk) or 1) for pk in villages
             for y in range(today.year - years, today.year + 1)], ignore_conflicts=True, batch_size=5000)
    moved = seed_transfer(showcase)
    return {"smd_patients": len(patients), "smd_follow_ups": len(follow_ups), "smd_transfers": moved}


def seed_transfer(showcase: str | None) -> int:
    """One pending transfer for the demo SMD doctor (issue 17): a patient in the register elsewhere moves into the
    first village of the doctor's township, through the archive's ordinary move by the city officer, so that the
    doctor finds "patients moving in, to accept" on the home card, the worklist and the transfers page. Chosen without
    the random generator (the rest of the demo draws as before)."""
    from xinli.archives.services import update_person

    officer = User.objects.filter(username="city_officer").first()
    if not showcase or officer is None:
        return 0
    village = OrgUnit.objects.filter(path__startswith=showcase, level="village").order_by("pk").first()
    patient = (Patient.objects.filter(status="in_register").exclude(org_path__startswith=showcase)
               .select_related("person").order_by("pk").first())
    if village is None or patient is None:
        return 0
    update_person(officer, patient.person, {"org_unit": village, "address": f"{village.name}迁入户"})
    return 1
