"""Issue 19 part 4: the leading group's meetings and the tasks it gives the departments.

The 综治 office of 市南区 (county A) records a meeting with civil affairs and justice present and gives civil affairs a
task; the county's civil-affairs staff are told, report progress and complete it on time. Staff of another department
may not report on it; a stale report is refused; a department user of county B sees none of it. The pages do the same."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from xinli.alerts.models import Notification
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.governance import leading
from xinli.governance.models import GroupTask
from xinli.regions.models import Department
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def group(tree, offices):
    dept = {d.code: d for d in Department.objects.all()}
    county_civil = make_user("civil_county_a", [(tree.county_a, Role.DEPARTMENT_STAFF, dept["civil_affairs"])])
    meeting = leading.record_meeting(offices.governance_county_a, unit=tree.county_a, held_on=TODAY, title="第一次全体会议",
                                     departments=[dept["civil_affairs"], dept["justice"]], attendees="区民政局 王科长",
                                     minutes="听取各部门汇报", decisions="民政部门牵头完成困难群众心理关爱名单")
    task = leading.assign_task(offices.governance_county_a, unit=tree.county_a, department=dept["civil_affairs"],
                               title="建立困难群众心理关爱名单", due_on=TODAY + datetime.timedelta(days=10), meeting=meeting)
    return dept, county_civil, meeting, task


def test_a_task_is_given_reported_on_and_done_on_time(tree, offices, group):
    dept, county_civil, meeting, task = group
    assert set(meeting.departments.values_list("code", flat=True)) == {"civil_affairs", "justice"}
    # The county's civil-affairs staff are told (the region's own office), not the township's.
    note = Notification.objects.get(kind="task_assigned")
    assert note.recipient == county_civil and note.params["task"] == task.pk
    leading.report_progress(county_civil, task, progress=50, note="已完成一半")
    task.refresh_from_db()
    assert (task.state, task.progress, task.version) == (GroupTask.State.OPEN, 50, 2)
    leading.report_progress(county_civil, task, progress=80, done=True)
    task.refresh_from_db()
    assert (task.state, task.progress, task.done_on, task.on_time) == (GroupTask.State.DONE, 100, TODAY, True)
    assert [r.progress for r in task.reports.all()] == [50, 100]
    assert AuditEntry.objects.filter(object_type="governance.grouptask", object_id=str(task.pk)).count() == 3


def test_who_may_report_and_see(tree, offices, group):
    dept, county_civil, _meeting, task = group
    with pytest.raises(PermissionDenied):
        leading.report_progress(offices.mediator, task, progress=10)  # justice staff: another department
    with pytest.raises(PermissionDenied):
        leading.assign_task(county_civil, unit=tree.county_a, department=dept["justice"], title="x", due_on=TODAY)
    with pytest.raises(PermissionDenied):
        leading.record_meeting(offices.governance_county_a, unit=tree.county_b, held_on=TODAY, title="越权")
    # The township's civil-affairs staff see the county's task given to their department; county B's do not.
    assert list(leading.visible_tasks(offices.civil_worker)) == [task]
    assert leading.may_report(offices.civil_worker, task) is False  # the task is the county bureau's, above them
    assert list(leading.visible_tasks(offices.civil_county_b_worker)) == []
    assert list(leading.visible_meetings(offices.civil_county_b_worker)) == []
    assert leading.may_report(offices.governance_city, task) is True


def test_a_stale_report_and_bad_input_are_refused_and_write_nothing(tree, offices, group):
    _dept, county_civil, _meeting, task = group
    leading.report_progress(county_civil, task, progress=30)
    stale = GroupTask.objects.get(pk=task.pk)
    with pytest.raises(ValidationError) as exc:
        leading.report_progress(county_civil, stale, progress=40, expected_version=1)
    assert "progress" in exc.value.message_dict
    for bad in (-1, 101):
        with pytest.raises(ValidationError):
            leading.report_progress(county_civil, stale, progress=bad)
    with pytest.raises(ValidationError) as exc:
        leading.record_meeting(offices.governance_county_a, unit=tree.county_a, held_on=TODAY + datetime.timedelta(days=1), title="明天")
    assert "held_on" in exc.value.message_dict
    task.refresh_from_db()
    assert (task.progress, task.reports.count()) == (30, 1)


def test_task_counts_are_done_on_time_over_due(tree, offices, group):
    dept, county_civil, _meeting, task = group
    year = TODAY.year
    # Deadlines in the past need a start of the year before them: keep every date inside this year.
    start = datetime.date(year, 1, 1)
    late = GroupTask.objects.create(org_unit=tree.a1, org_path=tree.a1.path, department=dept["justice"], title="迟",
                                    due_on=start, state=GroupTask.State.DONE, done_on=start + datetime.timedelta(days=1))
    GroupTask.objects.create(org_unit=tree.a1, org_path=tree.a1.path, department=dept["justice"], title="准时",
                             due_on=start, state=GroupTask.State.DONE, done_on=start)
    GroupTask.objects.create(org_unit=tree.a1, org_path=tree.a1.path, department=dept["justice"], title="撤销",
                             due_on=start, state=GroupTask.State.CANCELLED)
    GroupTask.objects.create(org_unit=tree.county_b, org_path=tree.county_b.path, department=dept["justice"], title="外区",
                             due_on=start, state=GroupTask.State.OPEN)
    # County A: the county task is not yet due (10 days ahead); of the a1 tasks due, 1 of 2 on time (cancelled left out).
    assert leading.task_counts(tree.county_a.path, year, TODAY) == (1, 2)
    assert leading.task_counts(tree.county_a.path, year, TODAY, dept["civil_affairs"].pk) == (0, 0)
    assert leading.task_counts(tree.city.path, year, TODAY) == (1, 3)
    assert late.on_time is False


def _client(user):
    client = Client()
    login_verified(client, user)
    return client


def test_pages_for_the_office_and_the_department(tree, offices, group):
    dept, county_civil, meeting, task = group
    office = _client(offices.governance_county_a)
    page = office.get("/leading/?status=all").content.decode()
    assert "建立困难群众心理关爱名单" in page and "第一次全体会议" in page
    r = office.post(f"/leading/meetings/{meeting.pk}/", {"department": dept["justice"].pk, "title": "", "due_on": ""})
    assert r.status_code == 400 and "必填" in r.content.decode()
    r = office.post(f"/leading/meetings/{meeting.pk}/", {"department": dept["justice"].pk, "title": "人民调解员培训",
                                                        "due_on": (TODAY + datetime.timedelta(days=20)).isoformat()})
    assert r.status_code == 302 and GroupTask.objects.filter(title="人民调解员培训", department=dept["justice"]).exists()
    staff = _client(county_civil)
    assert "报告进展" in staff.get(f"/leading/tasks/{task.pk}/").content.decode()
    assert staff.get("/leading/meetings/new/").status_code == 404
    r = staff.post(f"/leading/tasks/{task.pk}/", {"action": "report", "version": task.version, "progress": "60", "note": "推进中"})
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.progress == 60
    outsider = _client(offices.civil_county_b_worker)
    assert outsider.get(f"/leading/tasks/{task.pk}/").status_code == 404
    assert outsider.get(f"/leading/meetings/{meeting.pk}/").status_code == 404


def test_the_annual_summary_chapter_6_reports_the_leading_group(tree, offices):
    """Last year in county A: two meetings (one at the county, one at a1), one in county B (not counted); tasks due
    last year: 2 on time of 3 (one withdrawn, left out), one still open past its deadline; a scheme with the tasks
    (weight 1) -> total 100 × 2 / 3 = 66.7."""
    from docx import Document

    from xinli.governance.models import Meeting
    from xinli.indicators.models import AppraisalItem, AppraisalScheme
    from xinli.reports import annual

    y = TODAY.year - 1
    dept = Department.objects.get(code="justice")
    for unit, day in ((tree.county_a, 3), (tree.a1, 4), (tree.county_b, 5)):
        Meeting.objects.create(org_unit=unit, org_path=unit.path, held_on=datetime.date(y, 3, day), title="会议")
    created = timezone.make_aware(datetime.datetime(y, 3, 3, 10))
    for title, state, due, done in (("甲", "done", (5, 1), (4, 30)), ("乙", "done", (6, 1), (6, 1)), ("丙", "open", (7, 1), None),
                                    ("丁", "cancelled", (7, 1), None)):
        GroupTask.objects.create(org_unit=tree.county_a, org_path=tree.county_a.path, department=dept, title=title, state=state,
                                 due_on=datetime.date(y, *due), done_on=datetime.date(y, *done) if done else None, created_at=created)
    scheme = AppraisalScheme.objects.create(org_unit=tree.county_a, org_path=tree.county_a.path, year=y, name="年度考核")
    AppraisalItem.objects.create(scheme=scheme, indicator="tasks", weight=1)
    doc = Document(io.BytesIO(annual.build(tree.county_a, y)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "领导小组召开会议 2 次（本级 1 次），部署部门任务 4 项；到期任务 3 项中按时完成 2 项（按时完成率 66.7%）" in text
    assert "逾期未完成 1 项" in text
    cells = [c.text for table in doc.tables for row in table.rows for c in row.cells]
    assert "年度考核" in cells and "66.7 分" in cells
