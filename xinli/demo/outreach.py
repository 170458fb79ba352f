"""Demo publicity and counselling: published articles, upcoming events with registrations, awareness responses (open
links) and a probability sample of the county with answers through invitation codes,
counsellors' slots and bookings, open cases with sessions, personalised plans for part of the tagged residents, and a
referral answered by the hospital — all through the services."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from xinli.accounts.models import User
from xinli.archives.models import Person
from xinli.counselling import services as counselling
from xinli.network.models import Institution, Site, SiteStatus
from xinli.outreach import services as outreach
from xinli.regions.models import OrgUnit

ARTICLES = [
    ("如何识别抑郁情绪", "knowledge", "<p>情绪低落、兴趣减退持续两周以上，应及时寻求专业帮助。</p><p>可拨打心理援助热线 12356。</p>"),
    ("睡不好怎么办", "self_help", "<p>保持规律作息，睡前一小时远离手机，白天适量运动。</p>"),
    ("青春期孩子的情绪与沟通", "youth", "<p>多倾听、少评判，给孩子表达情绪的空间。</p>"),
    ("关爱空巢老人的心理健康", "elderly", "<p>常打电话、常回家看看，鼓励老人参加社区活动。</p>"),
    ("职场压力的自我调适", "workplace", "<p>分清可控与不可控，学会求助和休息。</p>"),
    ("身边的人想轻生怎么办", "crisis", "<p>认真对待，陪伴他，帮助他联系 12356 或就医；情况紧急时拨打 120 或 110。</p>"),
]


def seed_outreach(rng: random.Random) -> dict:
    today = timezone.localdate()
    now = timezone.now()
    city = OrgUnit.objects.get(level="city")
    writer = User.objects.get(username="publicity_officer")
    editor = User.objects.get(username="publicity_editor")
    for title, category, body in ARTICLES:
        a = outreach.write_article(writer, org_unit=city, title=title, category=category, body=body)  # summary from the body
        outreach.submit(writer, a)
        outreach.review(editor, a, approve=True)
    counties = list(OrgUnit.objects.filter(level="county").order_by("code"))
    for i, county in enumerate(counties[:4]):
        ev = outreach.create_event(writer, org_unit=county, title=f"心理健康进{['校园', '企业', '社区', '机关'][i]}",
                                   kind=["school", "enterprise", "community", "organ"][i],
                                   starts_at=now + datetime.timedelta(days=3 + i), place=f"{county.name}活动中心", capacity=60)
        for n in range(rng.randint(5, 20)):
            outreach.register(ev, name=f"居民{n}", phone=f"139{rng.randint(10_000_000, 99_999_999)}")
    survey = outreach.sample_survey()
    villages = list(OrgUnit.objects.filter(level="village"))
    for _ in range(300):
        answers = {q["id"]: q["answer"] if rng.random() < 0.78 else next(o for o in q["options"] if o != q["answer"]) for q in survey.questions}
        outreach.record_awareness(survey, org_unit=rng.choice(villages), answers=answers)
    # The publicity officer's survey links (with QR codes on the desk) for a few villages of the area.
    from xinli.core.policy import OUTREACH_PUBLISH
    from xinli.core.scoping import path_in_scope

    for village in [v for v in sorted(villages, key=lambda v: v.code) if path_in_scope(writer, OUTREACH_PUBLISH, v.path)][:5]:
        outreach.awareness_link(writer, village)
    _probability_sample()
    # Counselling: slots at the counsellor's open sites over the next week, some booked; cases; plans; a referral.
    counsellor = User.objects.get(username="counsellor")
    township = counsellor.assignments.get().org_unit
    active = SiteStatus.objects.filter(status="active", end__isnull=True).values("site_id")
    sites = list(Site.objects.filter(org_path__startswith=township.path, pk__in=active)[:2])
    starts = [timezone.make_aware(datetime.datetime.combine(today + datetime.timedelta(days=d), datetime.time(h)))
              for d in range(1, 8) for h in (9, 14)]
    # Only within the site's opening hours (a room open on working days offers no weekend).
    slots = counselling.add_slots(counsellor, sites[0], starts=[s for s in starts if sites[0].within_hours(s, 50)]) if sites else []
    phones = random.Random("demo-bookings")  # how many slots fit the hours depends on the weekday: keep rng's sequence
    for slot in slots[::3]:
        counselling.book(slot, name=f"预约居民{slot.pk}", phone=f"138{phones.randint(10_000_000, 99_999_999)}")
    residents = list(Person.objects.filter(org_path__startswith=township.path).order_by("id")[10:40])
    for p in residents[:5]:
        case = counselling.open_case(counsellor, p, reason="情绪困扰、人际关系问题")
        counselling.add_session(counsellor, case, date=today, minutes=50, notes="初次访谈：建立关系，评估需求。")
    from xinli.archives.models import PopulationTag

    tagged = list(Person.objects.filter(org_path__startswith=township.path,
                                        pk__in=PopulationTag.objects.filter(until__isnull=True).values("person_id")).order_by("pk")[:40])
    plans = 0
    for p in tagged:
        if rng.random() < 0.55:
            counselling.create_plan(counsellor, p, goals="改善情绪与社会支持", interventions="每月随访、社区活动、家属沟通",
                                    review_on=today + datetime.timedelta(days=rng.randint(20, 90)), partners=["government", "family"])
            plans += 1
    # T09: personalised plans for about two thirds of the plan's special populations across the city (by the city
    # officer), a few of them overdue for review (which T09 does not count).
    from xinli.counselling.indicators import PLAN_GROUPS

    officer = User.objects.get(username="city_officer")
    groups = (Person.objects.filter(pk__in=PopulationTag.objects.filter(until__isnull=True, tag__in=PLAN_GROUPS).values("person_id"))
              .exclude(pk__in=[p.pk for p in tagged]).order_by("pk"))
    for p in groups:
        if rng.random() < 0.7:
            plan = counselling.create_plan(officer, p, goals="化解矛盾、稳定情绪、促进社会融入", interventions="每月面谈、就业引导、家属沟通",
                                           review_on=today + datetime.timedelta(days=rng.randint(10, 120)), partners=["government", "social"])
            plans += 1
            if rng.random() < 0.08:
                type(plan).objects.filter(pk=plan.pk).update(review_on=today - datetime.timedelta(days=rng.randint(1, 30)))
    psychiatrist = User.objects.get(username="psychiatrist")
    # The demo psychiatrist works in a county: refer to that county's hospital (its psychiatry clinic).
    county_path = psychiatrist.assignments.get().org_unit.path
    hospital = (Institution.objects.filter(kind="general_hospital", org_path__startswith=county_path).first()
                or Institution.objects.filter(kind="psychiatric_hospital").first())
    if hospital is not None and residents:
        ref = counselling.refer(counsellor, residents[0], institution=hospital, reason="疑似抑郁发作，需精神科评估", urgency="urgent")
        if path_ok(psychiatrist, ref):
            counselling.receive(psychiatrist, ref)
            counselling.reply(psychiatrist, ref, text="已门诊就诊：抑郁发作（中度），药物治疗；建议社区心理随访。")
    return {"articles": len(ARTICLES), "slots": len(slots), "plans": plans}


def _probability_sample() -> None:
    """The county officer's probability sample of the awareness survey (recorded seed "demo"): 30 residents per
    stratum of the county, about 70 % of them answer through their invitation codes (own random stream, so the rest
    of the demo is unchanged)."""
    from django.core.exceptions import ValidationError

    from xinli.outreach import sampling

    officer = User.objects.get(username="county_officer")
    county = officer.assignments.get().org_unit
    try:
        sample = sampling.draw_sample(officer, county, per_stratum=30, seed="demo")
    except ValidationError:  # a demo without eligible residents in the county simply has no sample
        return
    rng = random.Random("demo-awareness-sample")
    for invitation in sample.invitations.order_by("pk"):
        if rng.random() < 0.7:
            answers = {q["id"]: q["answer"] if rng.random() < 0.82 else next(o for o in q["options"] if o != q["answer"])
                       for q in sample.survey.questions}
            outreach.answer_invitation(invitation.code, answers)


def path_ok(user, ref) -> bool:
    from xinli.core.policy import SMD_VIEW
    from xinli.core.scoping import path_in_scope

    return path_in_scope(user, SMD_VIEW, ref.to_path)
