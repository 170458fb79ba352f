"""Demo departments and work orders (issue 19): each department's office at the city and at the demo county, the
civil-affairs office and the justice office (司法所) at the demo township; four orders sent by the village worker —
one waiting for acceptance, one in progress, one overdue and escalated to the county's 综治 office, one closed with
the requester's satisfaction; the county's leading group with a meeting, four tasks and two appraisal schemes."""

from __future__ import annotations

import datetime

from django.utils import timezone

from xinli.accounts.models import User
from xinli.archives.models import Person
from xinli.governance import services
from xinli.governance.models import OrderKind, WorkOrder
from xinli.regions.models import Department, DepartmentUnit

SUFFIX = {"zongzhi": "政法委（综治中心）", "health": "卫生健康委员会", "education": "教育局", "civil_affairs": "民政局",
          "public_security": "公安局", "justice": "司法局", "petitions": "信访局", "hrss": "人力资源和社会保障局",
          "medical_insurance": "医疗保障局", "disability": "残疾人联合会", "women": "妇女联合会", "youth": "团委",
          "union": "总工会"}


def seed_governance(city) -> dict:
    worker = User.objects.get(username="village_worker")
    village = worker.active_assignments()[0].org_unit
    township = village.parent
    county = township.parent
    offices = 0
    for dept in Department.objects.filter(active=True):
        for unit in (city, county):
            DepartmentUnit.objects.create(department=dept, org_unit=unit, name=f"{unit.name}{SUFFIX.get(dept.code, dept.name)}")
            offices += 1
    for code, name in (("civil_affairs", "民政办"), ("justice", "司法所")):
        DepartmentUnit.objects.create(department=Department.objects.get(code=code), org_unit=township, name=f"{township.name}{name}")
        offices += 1
    residents = list(Person.objects.filter(org_unit=village).order_by("pk")[:4])
    civil, justice = User.objects.get(username="civil_affairs_staff"), User.objects.get(username="justice_staff")
    kinds = {k.code: k for k in OrderKind.objects.all()}

    def send(kind, title, description, person):
        return services.dispatch(worker, kind=kinds[kind], title=title, description=description, from_unit=village, person=person)

    send("dispute_mediation", "邻里装修噪音纠纷，需调解", "两户因装修噪音多次争吵，一方情绪激动，摸排时发现。", residents[0])
    busy = send("hardship_aid", "独居老人生活困难，申请临时救助", "老人独居，子女在外地，近期医药费支出大。", residents[1])
    services.accept(civil, busy)
    services.add_progress(civil, busy, note="已入户核实，材料已收齐，待审批。")
    late = send("dispute_mediation", "宅基地边界纠纷", "两户对宅基地边界有争议，已持续数月。", residents[2])
    # Sent three days ago and not accepted: the sweeper escalates it to the county's 综治 office.
    back = timezone.now() - datetime.timedelta(days=3)
    WorkOrder.objects.filter(pk=late.pk).update(created_at=back, dispatched_at=back, accept_due=back + datetime.timedelta(hours=24),
                                                complete_due=back + datetime.timedelta(hours=24, days=15))
    late.events.update(at=back)
    escalated = services.escalate_overdue()
    done = send("dispute_mediation", "家庭矛盾调解", "夫妻矛盾，一方有轻生言语，已同时报告心理援助。", residents[3])
    services.accept(justice, done)
    services.complete(justice, done, result="人民调解员已上门调解，双方达成和解；已转介社区心理服务。")
    services.close(worker, done, satisfaction=5, note="回访居民，表示满意。")
    grid_cells = _seed_grids(township, village, residents)
    meetings, tasks = _seed_leading(county)
    return {"department_offices": offices, "work_orders": WorkOrder.objects.count(), "work_orders_escalated": escalated,
            "grid_cells": grid_cells, "leading_group_meetings": meetings, "leading_group_tasks": tasks}


def _seed_leading(county) -> tuple[int, int]:
    """The county's leading group (issue 19 part 4): a meeting three weeks ago with five departments present, four
    tasks — one done on time, one in progress, one overdue, one due next month — and two appraisal schemes (the
    county, and its civil affairs)."""
    from decimal import Decimal

    from xinli.governance import leading
    from xinli.governance.models import GroupTask
    from xinli.indicators import appraisal

    office = User.objects.get(username="zongzhi_county")
    dept = {d.code: d for d in Department.objects.all()}
    today = timezone.localdate()
    held = today - datetime.timedelta(days=21)
    meeting = leading.record_meeting(
        office, unit=county, held_on=held, title="社会心理服务体系建设领导小组第一次全体会议",
        departments=[dept[c] for c in ("zongzhi", "health", "education", "civil_affairs", "justice")],
        attendees="区委政法委副书记（组长）；区卫生健康局、区教育局、区民政局、区司法局分管负责同志",
        minutes="通报试点工作进展；听取卫生健康、教育、民政、司法部门汇报；研究下一阶段重点任务。",
        decisions="一、教育部门年底前实现中小学心理辅导室全覆盖；二、民政部门建立困难群众心理关爱名单；"
                  "三、司法部门组织人民调解员心理疏导培训；四、卫生健康部门完善心理援助热线值守。")

    def task(code, title, due_in):
        return leading.assign_task(office, unit=county, department=dept[code], title=title,
                                   due_on=today + datetime.timedelta(days=due_in), meeting=meeting)

    trained = task("justice", "组织人民调解员心理疏导培训", 10)
    leading.report_progress(office, trained, progress=100, note="已完成两期培训，覆盖人民调解员 86 人。")
    # Given three weeks ago with a deadline a week ago, done before it (moved back: the demo's history).
    GroupTask.objects.filter(pk=trained.pk).update(due_on=today - datetime.timedelta(days=7), done_on=today - datetime.timedelta(days=9),
                                                   created_at=timezone.now() - datetime.timedelta(days=21))
    listed = task("civil_affairs", "建立困难群众心理关爱名单", 20)
    leading.report_progress(office, listed, progress=40, note="各街道已上报名单初稿，正在核实。")
    rooms = task("education", "中小学心理辅导室全覆盖", -5)  # past its deadline, still open: shown as overdue
    GroupTask.objects.filter(pk=rooms.pk).update(created_at=timezone.now() - datetime.timedelta(days=21))
    task("health", "完善 12356 心理援助热线 24 小时值守", 40)
    appraisal.save_scheme(office, unit=county, year=today.year, name="社会心理服务体系建设年度考核", items=[
        ("T04", Decimal(20)), ("T09", Decimal(20)), ("T12", Decimal(20)), ("WO1", Decimal(10)), ("WO2", Decimal(10)),
        ("tasks", Decimal(20))])
    appraisal.save_scheme(office, unit=county, year=today.year, name="民政部门年度考核", department=dept["civil_affairs"],
                          items=[("WO1", Decimal(40)), ("WO2", Decimal(40)), ("tasks", Decimal(20))])
    return 1, GroupTask.objects.count()


def _seed_grids(township, village, residents) -> int:
    """Two grid cells in each of the township's first three villages (the demo village's first one kept by
    ``grid_worker``), and one household visit there that found setbacks in life (生活失意): the resident is tagged."""
    from xinli.governance.grids import record_visit
    from xinli.governance.models import GridCell
    from xinli.regions.models import OrgUnit

    grid_worker = User.objects.get(username="grid_worker")
    villages = [village] + [v for v in OrgUnit.objects.filter(parent=township).order_by("code") if v.pk != village.pk][:2]
    made = 0
    for v in villages:
        for n in (1, 2):
            GridCell.objects.create(code=f"{v.code}-{n:02d}", name=f"{v.name}第{n}网格", org_unit=v, households=150 + 37 * n,
                                    worker=grid_worker if (v.pk == village.pk and n == 1) else None)
            made += 1
    first = GridCell.objects.get(code=f"{village.code}-01")
    record_visit(grid_worker, residents[0], grid=first, visited_on=timezone.localdate() - datetime.timedelta(days=2),
                 situation="家中老人近期住院，子女下岗，情绪低落。", risk_signs=["frustration"])
    return made
