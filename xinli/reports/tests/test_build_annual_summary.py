"""The annual summary fills chapters 2, 4, 6 and 8 with what the platform holds for the area and the year —
supervision and compliance; screening, alerts, crisis work, the hotline, counselling, referrals and satisfaction; the
workforce, training and volunteers; platform use, records held and data exchanged — each figure with its unit and
period, hand-computed below for 市南区 (county A) in last year, with the same kinds of records in 市北区 (county B)
that must not count. The document names nobody."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from docx import Document

from xinli.alerts import crisis
from xinli.alerts import services as alerts
from xinli.alerts.models import Alert, CrisisCase, FollowUp
from xinli.archives.models import Person
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.counselling import services as counselling
from xinli.counselling.models import Case, Referral
from xinli.hotline import services as hotline
from xinli.hotline.models import Call
from xinli.indicators import services as indicators
from xinli.network import inspection
from xinli.network import services as network
from xinli.network.models import Attendance, Finding, SatisfactionResponse, Staff, Volunteer
from xinli.regions.models import UnitPopulation
from xinli.reports import annual
from xinli.screening.models import Assessment
from xinli.screening.services import administer
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db
Y = datetime.date.today().year - 1  # a whole past year: the period is 1 January to 31 December


def d(month, day, year=Y):
    return datetime.date(year, month, day)


def t(month, day, hour=10, minute=0, year=Y):
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute))


NAMES = ["张三丰", "李四", "王五", "赵六", "钱咨询", "孙咨询", "周咨询", "吴社工", "郑志愿", "冯志愿", "陈志愿", "卫外区"]


@pytest.fixture
def area(tree, personas, people):
    county, other = tree.county_a, tree.county_b
    actor = make_user("area_actor", [(tree.city, role) for role in (Role.HEALTH_OFFICER, Role.CRISIS_TEAM, Role.HOTLINE_SUPERVISOR,
                                                                      Role.COUNSELLOR)])
    UnitPopulation.objects.create(org_unit=county, year=Y, residents=20000)
    Person.objects.update(created_at=t(1, 2))  # the four residents (three in county A) registered early last year

    # --- chapter 2: supervision --------------------------------------------------------------------------------
    org = network.create_institution(actor, org_unit=tree.a1, name="市南心理服务中心", kind="social_org", credit_code="913702006000373415")
    hospital = network.create_institution(actor, org_unit=tree.a2, name="市南医院", kind="general_hospital", hospital_level="2")
    org_b = network.create_institution(actor, org_unit=tree.b1, name="市北心理服务中心", kind="social_org", credit_code="91370203600037342K")
    plan = inspection.create_plan(actor, name="年度督导", org_unit=tree.city, start=d(1, 1), end=d(12, 31))
    items = [i["code"] for i in plan.checklist.items]

    def inspect(inst, day, fails):
        results = {c: ("fail" if c in fails else "pass") for c in items}
        findings = [{"item": c, "severity": sev, "description": "问题", "deadline": deadline} for c, (sev, deadline) in fails.items()]
        return inspection.record_inspection(actor, plan, inst, date=day, results=results, findings=findings)

    # 11 items: 9 passed = 81.8, 10 passed = 90.9, 11 passed = 100.0.
    inspect(org, d(3, 1), {"F1": ("critical", d(4, 1)), "S1": ("minor", d(5, 1))})
    inspect(hospital, d(6, 1), {"Q1": ("major", d(7, 1))})
    inspect(org, d(9, 1), {})
    inspect(org_b, d(5, 1), {"P1": ("minor", d(6, 1))})  # county B
    rect = {f.item: f.rectification for f in Finding.objects.select_related("rectification")}
    inspection.close_rectification(actor, rect["F1"], evidence="已整改", on=d(3, 20))  # on time (deadline 1 April)
    inspection.close_rectification(actor, rect["S1"], evidence="已整改", on=d(6, 15))  # late (deadline 1 May)
    # Q1 (deadline 1 July) stays open.

    # --- chapter 2 and 6: staff, compliance, training -----------------------------------------------------------
    cert = {"kind": "counsellor", "issuer": "人社部门", "valid_from": d(1, 1)}
    c1 = network.create_staff(actor, org_unit=tree.a1, name="钱咨询", profession="counsellor", education="bachelor", employer=org,
                              certificates=[{**cert, "number": "C-1"}])
    c2 = network.create_staff(actor, org_unit=tree.a1, name="孙咨询", profession="counsellor", education="master", employer=org,
                              certificates=[{**cert, "number": "C-2"}])
    c3 = network.create_staff(actor, org_unit=tree.a2, name="周咨询", profession="counsellor", education="below",
                              certificates=[{**cert, "number": "C-3"}])
    network.create_staff(actor, org_unit=tree.a2, name="吴社工", profession="social_worker", education="bachelor", full_time=False)
    gone = network.create_staff(actor, org_unit=tree.a2, name="吴社工", profession="social_worker", education="bachelor")
    Staff.objects.filter(pk=gone.pk).update(active=False)
    network.create_staff(actor, org_unit=tree.b1, name="卫外区", profession="counsellor", education="bachelor")  # county B
    course = network.create_course(actor, org_unit=county, title="危机干预", provider="市卫健委", hours=8)
    course2 = network.create_course(actor, org_unit=county, title="伦理", provider="市卫健委", hours=4)
    network.record_attendance(actor, course, c1, date=d(4, 10))
    network.record_attendance(actor, course, c2, date=d(4, 10))
    network.record_attendance(actor, course2, c1, date=d(10, 1))
    network.record_attendance(actor, course2, c3, date=d(5, 1), completed=False)  # not completed
    network.record_attendance(actor, course, c2, date=d(11, 1, Y - 1))  # the year before
    assert Attendance.objects.count() == 5
    network.record_supervision(actor, c1, date=d(6, 1), hours=2, supervisor="督导师")
    network.record_supervision(actor, c2, date=d(6, 2), hours=Decimal("1.5"), supervisor="督导师")

    v1 = network.create_volunteer(actor, org_unit=tree.a1v1, name="郑志愿", recruited_on=d(2, 1), trained=True)
    v2 = network.create_volunteer(actor, org_unit=tree.a1v2, name="冯志愿", recruited_on=d(5, 1, Y - 1))
    v3 = network.create_volunteer(actor, org_unit=tree.a2v1, name="陈志愿", recruited_on=d(3, 1), trained=True)
    Volunteer.objects.filter(pk=v3.pk).update(active=False)
    network.log_volunteer_service(actor, v1, date=d(3, 1), hours=3, activity="宣传")
    network.log_volunteer_service(actor, v1, date=d(4, 1), hours=Decimal("2.5"), activity="宣传")
    network.log_volunteer_service(actor, v2, date=d(12, 1, Y - 1), hours=1, activity="宣传")  # the year before
    network.commend_volunteer(actor, v1, date=d(5, 1), title="优秀志愿者")
    network.commend_volunteer(actor, v2, date=d(5, 1, Y - 1), title="优秀志愿者")  # the year before

    # --- chapter 4: screening ------------------------------------------------------------------------------------
    for person, answers in ((people.in_a1v1, [0] * 9), (people.in_a1v2, [1, 1, 0, 0, 0, 0, 0, 0, 0]),
                            (people.in_a2v1, [2, 2, 2, 2, 2, 2, 0, 0, 0]), (people.in_b1v1, [2, 2, 2, 2, 2, 2, 0, 0, 0])):
        administer(actor, scale="phq9", answers=answers, person=person)
    Assessment.objects.update(taken_at=t(3, 15))

    # --- alerts ----------------------------------------------------------------------------------------------------
    def alert(unit, level, created, acked=None, escalations=0):
        a = alerts.report(actor, level=level, summary="情绪低落", org_unit=unit)
        Alert.objects.filter(pk=a.pk).update(created_at=created, acknowledged_at=acked, escalations=escalations,
                                             state="acknowledged" if acked else "new")

    alert(tree.a1v1, "red", t(2, 1, 10, 0), t(2, 1, 10, 20))  # in time, 20 minutes
    alert(tree.a1v2, "red", t(3, 1, 10, 0), t(3, 1, 11, 0), escalations=1)  # 60 minutes, escalated once: late
    alert(tree.a2v1, "orange", t(4, 1, 9, 0), t(4, 1, 9, 45))  # in time, 45 minutes
    alert(tree.a2v1, "yellow", t(5, 1, 8, 0))  # never acknowledged
    alert(other, "red", t(2, 1), t(2, 1, 10, 5))  # county B

    # --- crisis cases and follow-ups -------------------------------------------------------------------------------
    case1 = crisis.open_case(actor, people.in_a1v1, assessment="高危")
    case2 = crisis.open_case(actor, people.in_a2v1, assessment="中危")
    case3 = crisis.open_case(actor, people.in_a1v2, assessment="中危")
    case_b = crisis.open_case(actor, people.in_b1v1, assessment="高危")
    crisis.close_case(actor, case1, summary="稳定", high_risk=True)  # three follow-ups
    crisis.close_case(actor, case3, summary="稳定", high_risk=False)
    CrisisCase.objects.filter(pk=case1.pk).update(opened_at=t(1, 10), closed_at=t(1, 20))
    CrisisCase.objects.filter(pk=case2.pk).update(opened_at=t(11, 1))
    CrisisCase.objects.filter(pk=case3.pk).update(opened_at=t(12, 20, year=Y - 1), closed_at=t(1, 5))
    CrisisCase.objects.filter(pk=case_b.pk).update(opened_at=t(2, 1))
    f7, f30, f90 = FollowUp.objects.filter(case=case1).order_by("due")
    FollowUp.objects.filter(pk=f7.pk).update(due=d(1, 27), done_at=t(1, 27, 15))  # on time
    FollowUp.objects.filter(pk=f30.pk).update(due=d(2, 19), done_at=t(2, 25))  # late
    FollowUp.objects.filter(pk=f90.pk).update(due=d(4, 20))  # missed
    event = crisis.create_event(actor, name="台风", kind="disaster", org_unit=tree.a2, occurred_at=t(8, 1))
    crisis.add_affected(actor, event, label="受灾居民（一）")
    crisis.add_affected(actor, event, label="受灾居民（二）")  # their follow-ups are due from today: not last year

    # --- hotline -----------------------------------------------------------------------------------------------------
    line = hotline.create_line(actor, org_unit=county, name="市南热线")
    line_b = hotline.create_line(actor, org_unit=other, name="市北热线")
    for day, ideation in ((2, 0), (3, 0), (4, 0), (5, 9)):  # the last is a high-risk call
        hotline.record_call(actor, line, {"started_at": t(day, 1), "answered_at": t(day, 1), "recording_notice": True,
                                          "ideation": ideation, "has_plan": ideation > 0})
    hotline.record_call(actor, line_b, {"started_at": t(2, 1), "recording_notice": True})
    Call.objects.filter(risk__in=["high", "imminent"]).update(follow_up_done_at=t(5, 2))
    rows = ["call_id,offered_at,answered_at,ended_at"]
    for i, wait in enumerate([10, 20, 30, 40]):  # answered after 10, 20, 30, 40 s: 25 s on average
        rows.append(f"c{i},{Y}-06-0{i + 1}T12:00:00,{Y}-06-0{i + 1}T12:00:{wait},{Y}-06-0{i + 1}T12:05:00")
    rows.append(f"c9,{Y}-06-09T12:00:00,,")  # abandoned
    assert hotline.import_cdr(actor, line, "\n".join(rows)).ok
    assert hotline.import_cdr(actor, line_b, f"call_id,offered_at,answered_at,ended_at\nb1,{Y}-06-01T12:00:00,,\n").ok

    # --- counselling and referrals ---------------------------------------------------------------------------------
    case_a = counselling.open_case(actor, people.in_a1v1, reason="焦虑")
    case_b2 = counselling.open_case(actor, people.in_a1v2, reason="失眠")
    case_out = counselling.open_case(actor, people.in_b1v1, reason="焦虑")
    Case.objects.filter(pk=case_a.pk).update(opened_at=t(2, 1, 9))
    Case.objects.filter(pk=case_b2.pk).update(opened_at=t(6, 1, 9))
    Case.objects.filter(pk=case_out.pk).update(opened_at=t(2, 1, 9))
    case_a.refresh_from_db()
    case_b2.refresh_from_db()
    case_out.refresh_from_db()
    counselling.add_session(actor, case_a, date=d(2, 1), minutes=50)
    counselling.add_session(actor, case_a, date=d(2, 8), minutes=50)
    counselling.add_session(actor, case_b2, date=d(6, 1), minutes=60)
    counselling.add_session(actor, case_out, date=d(2, 1), minutes=50)
    counselling.close_case(actor, case_a, summary="好转")
    Case.objects.filter(pk=case_a.pk).update(closed_at=t(3, 1))

    def refer(person, sent, urgency="routine", back=False, received=None, replied=None):
        ref = counselling.refer(actor, person, institution=hospital, reason="评估", urgency=urgency, back=back)
        if received:
            counselling.receive(actor, ref)
        if replied:
            counselling.reply(actor, ref, text="已诊治")
        Referral.objects.filter(pk=ref.pk).update(sent_at=sent, received_at=received, replied_at=replied)

    refer(people.in_a1v1, t(3, 1, 8), "urgent", received=t(3, 1, 10), replied=t(3, 2, 8))  # 24 h
    refer(people.in_a2v1, t(5, 1, 8), received=t(5, 1, 9), replied=t(5, 3, 20))  # 60 h
    refer(people.in_a1v2, t(12, 1, 8), back=True)  # not received yet
    refer(people.in_b1v1, t(3, 1, 8), received=t(3, 1, 9), replied=t(3, 1, 10))  # county B

    for score, unit in ((5, tree.a1v1), (4, tree.a1v2), (2, tree.a2v1), (5, tree.b1v1)):
        inspection.record_satisfaction(service="site", score=score, org_unit=unit)
    SatisfactionResponse.objects.update(date=d(7, 1))

    # --- chapter 8: platform use and data exchanged ----------------------------------------------------------------
    # Accounts of county A (personas): county_officer, crisis_team, hotline_operator (county), township_worker,
    # counsellor, smd_doctor (A1), police_liaison (A2), village_worker_1 (A1v1), village_worker_2 (A1v2) = 9.
    for user in (personas.township_worker, personas.village_worker_1, personas.crisis_team):
        AuditEntry.objects.create(at=t(9, 1), actor_id=user.pk, actor_username=user.username, action="login",
                                  object_type="accounts.user", object_id=str(user.pk))
    AuditEntry.objects.create(at=t(9, 1, year=Y + 1), actor_id=personas.police_liaison.pk, action="login")  # this year
    fed = {"object_type": "indicators.federation", "actor_id": None}
    AuditEntry.objects.create(at=t(6, 30), action="export", org_path=tree.city.path, detail={"rows": 120}, **fed)  # the city's file
    AuditEntry.objects.create(at=t(6, 30), action="export", org_path=other.path, detail={"rows": 40}, **fed)  # county B only
    AuditEntry.objects.create(at=t(7, 1), action="create", org_path=tree.a1.path, detail={"rows": 30}, **fed)  # from A1's instance
    AuditEntry.objects.create(at=t(7, 1, year=Y - 1), action="export", org_path=county.path, detail={"rows": 99}, **fed)  # earlier

    indicators.rebuild(Y)
    return county


def _read(content: bytes):
    doc = Document(io.BytesIO(content))
    text = "\n".join(p.text for p in doc.paragraphs)
    tables = [[[c.text for c in row.cells] for row in table.rows] for table in doc.tables]
    return doc, text, tables


def _chapter(text: str, number: int) -> str:
    return text.split(f"\n{number}. ")[1].split(f"\n{number + 1}. ")[0]


def _table(tables, first_header: str):
    return next(t for t in tables if t[0][0] == first_header)


def _indicator_rows(tables) -> dict:
    return {row[0].split(" ")[0]: row for table in tables if table[0][0] == "指标" for row in table[1:]}


def test_chapters_hold_the_area_figures(area, settings):
    settings.XINLI_SMALL_CELL = 1  # the hand-made area is tiny: show every count (small cells: the test below)
    doc, text, tables = _read(annual.build(area, Y))
    period = f"{Y}年1月1日至12月31日"
    assert f"统计期为{period}" in text

    ch1 = _chapter(text, 1)
    assert f"截至{Y}年12月31日，平台共建立居民心理服务档案 3 份" in ch1
    assert "完成心理测评 3 人次，心理援助热线登记来电 4 个" in ch1
    # Eleven indicators have a value and a target: HL2 and WO3 (no overdue work order, issue 19) met; T08 (no registered crisis team: a role holder is not a team,
    # issue 16), T01, T07, T19, T11, AL1, HL1, T21, T22 not.
    assert "纳入评估的 11 项指标中，达标 2 项、接近 0 项、未达标 9 项" in ch1

    ch2 = _chapter(text, 2)
    # Three inspections of two institutions; the institutions' yearly scores 90.9 ((81.8 + 100.0) / 2) and 90.9.
    assert f"督导检查：{period}，对 2 家机构开展督导检查 3 次，机构年度评价平均得分 90.9 分（百分制）" in ch2
    assert "发现问题 3 项（严重 1 项、较重 1 项、轻微 1 项）" in ch2
    # Rectifications due in the year: F1 on time, S1 late, Q1 still open: 1 of 3 on time.
    assert "整改事项 3 项，按期完成 1 项（按期完成率 33.3%），逾期完成 1 项" in ch2 and f"截至{Y}年12月31日仍未完成 1 项" in ch2
    # Counsellors c1, c2 qualified, c3 below a bachelor's degree; the social organisation has two qualified full-timers.
    assert "在岗心理咨询人员 3 人，其中符合资质要求" in ch2 and "2 人（66.7%）" in ch2
    assert "社会心理服务机构 1 家，其中配备至少 2 名专职合格心理咨询人员的 1 家（100.0%）" in ch2

    ch4 = _chapter(text, 4)
    # PHQ-9 totals 0, 2 and 12 in county A: one moderate of three.
    assert f"心理测评：{period}，完成心理测评 3 人次，其中结果为中度及以上 1 人次（阳性率 33.3%）" in ch4
    assert "共产生风险预警 4 条" in ch4
    alerts_table = _table(tables, "预警级别")
    # level, raised, acknowledged, in time (AL1), AL1 rate, median minutes: red (20 + 60) / 2 = 40; all of 20, 60, 45: 45.
    assert alerts_table[1:] == [["红色", "2", "2", "1", "50.0%", "40.0"], ["橙色", "1", "1", "1", "100.0%", "45.0"],
                                ["黄色", "1", "0", "0", "0.0%", "—"], ["合计", "4", "3", "2", "50.0%", "45.0"]]
    assert ("新开危机干预个案 2 个，结案 2 个（其中高危结案 1 个）；发生群体性危机事件 1 起，登记受影响人员 2 人；"
            "统计期内到期的危机随访 3 次，按时完成 1 次（33.3%），逾期完成 1 次，未完成 1 次") in ch4
    # Four calls recorded, one high-risk; five calls offered, four answered after 25 s on average; follow-up done.
    assert ("辖区热线登记来电 4 个，其中高危及紧急来电 1 个（占 25.0%）；电话系统记录呼入 5 个、接通 4 个（接通率 80.0%），"
            "平均应答时长 25.0 秒；高危来电回访完成 1 个（回访完成率 100.0%）") in ch4
    # Sessions 50 + 50 + 60 = 160 minutes = 2.7 hours; referrals turned round in 24 h and 60 h: median 42 h.
    assert "新开心理咨询个案 2 个，结案 1 个，开展咨询 3 次、共 2.7 小时" in ch4
    assert "转介 3 人次（其中紧急 1 人次、回转 1 人次），接收机构已接收 2 人次、已回复 2 人次，自转出至回复用时中位数 42.0 小时" in ch4
    assert "收回满意度答卷 3 份，评分 4–5 分的 2 份（满意度 66.7%）" in ch4
    rows = _indicator_rows(tables)
    assert rows["SC2"][1:3] == ["33.3%", "1 / 3"] and rows["AL1"][1:3] == ["50.0%", "2 / 4"]
    assert rows["HL1"][1:3] == ["80.0%", "4 / 5"] and rows["T21"][1:3] == ["66.7%", "2 / 3"]
    assert rows["T20"][1:3] == ["0", "0"]  # a count

    ch6 = _chapter(text, 6)
    # Active staff: c1, c2, c3 (counsellors, full-time) and one part-time social worker; 4 × 10,000 ÷ 20,000 = 2.0.
    today = timezone.localdate()
    assert f"人才队伍：截至{today.year}年{today.month}月{today.day}日，在岗心理服务从业人员 4 人（专职 3 人），其中心理咨询人员 3 人、社会工作者 1 人；每万常住人口从业人员数 2.0/万人" in ch6
    # Completed attendances last year: 8 + 8 + 4 hours in two courses; supervision 2 + 1.5 hours; 2 of 4 trained.
    assert (f"培训与督导：{period}，从业人员完成培训 3 人次、共 20.0 学时，涉及培训课程 2 门；接受专业督导 2 次、共 3.5 小时；"
            "在岗人员培训覆盖率 50.0%") in ch6
    assert (f"截至{today.year}年{today.month}月{today.day}日，在册志愿者 2 人（已培训 1 人）；{period}，新招募 2 人，提供志愿服务 2 次、共 5.5 小时，获表彰 1 人次") in ch6
    assert rows["WF1"][1:3] == ["2.0/万人", "4 / 20,000"] and rows["T22"][1:3] == ["50.0%", "2 / 4"]

    ch8 = _chapter(text, 8)
    # Active: crisis_team (the county), township_worker (A1), village_worker_1 (A1v1): 3 of the 9 accounts; of the units
    # below the county, A1 and A1v1 are live.
    assert ("辖区乡镇（街道） 2 个中的 1 个、村（社区） 3 个中的 1 个有本单位账号使用平台；"
            "平台账号 9 个，其中统计期内登录或办理业务的活跃账号 3 个（33.3%）") in ch8
    held = _table(tables, "记录类型")
    assert held[1:] == [["居民心理服务档案", "3", "份"], ["心理测评记录", "3", "人次"], ["风险预警记录", "4", "条"],
                        ["危机干预个案", "3", "个"], ["心理援助热线来电记录", "4", "个"], ["心理咨询个案", "2", "个"],
                        ["转介记录", "3", "人次"], ["严重精神障碍患者登记", "0", "人"], ["严重精神障碍患者随访记录", "0", "次"]]
    assert f"数据报送：{period}，向上级平台报送指标数据 1 次、共 120 项数值；接收下级平台报送 1 次、共 30 项数值" in ch8

    # Placeholders only for narrative; nobody named or identified.
    everything = text + " ".join(c for t in tables for row in t for c in row)
    assert "【请填写" in everything
    for name in NAMES:
        assert name not in everything
    for user in ("county_officer", "village_worker_1", "township_worker", "crisis_team", "area_actor"):
        assert user not in everything
    for person in Person.objects.all():
        assert person.id_number not in everything and person.phone not in everything


def test_small_counts_are_withheld_from_the_shared_report(area):
    """With the default threshold (5) the tiny area's person counts read "<5" and the rates built on them "*": 3
    assessments, 1 moderate or worse; 4 alerts; the calls' high-risk share."""
    _doc, text, _tables = _read(annual.build(area, Y))
    ch4 = _chapter(text, 4)
    assert "完成心理测评 <5 人次，其中结果为中度及以上 <5 人次（阳性率 *）" in ch4
    assert "共产生风险预警 <5 条" in ch4
    assert "完成心理测评 3 人次" not in text
