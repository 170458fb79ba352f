"""The leading group (领导小组, issue 19 part 4): its meetings and the tasks it gives the departments. Every write goes
through here; reads are scoped here too.

The pilot plan has each region set up a leading group for the social psychological service system, led by the 政法委
(through the 综治 office), with every member department responsible for its part. Here a region's 综治 office
(``leading.manage``) records a meeting (date, the departments present and who came, minutes, decisions) and the
tasks decided there, each given to one department with a deadline; that department's staff (the department on their
assignment, ``leading.view``) report progress until the task is done. Who sees what:

* ``leading.view`` holders (综治 officers, health officers, department staff) see the meetings of their area and of
  the regions above it (a county sees the city's decisions that concern it), and the tasks of their area;
* department staff report only on their own department's tasks in their area; the 综治 office on any in its area.

No person data: meetings and tasks are about work, not residents (the forms say so). How a task counts in the
appraisal: done on time = done no later than its deadline day (``GroupTask.on_time``); see
``xinli.indicators.appraisal``."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core import audit, notices
from xinli.core.i18n import field_error
from xinli.core.policy import LEADING_MANAGE, LEADING_VIEW
from xinli.core.scoping import path_in_scope, scope_paths, scope_q
from xinli.regions.models import Department, OrgUnit

from .models import GroupTask, Meeting, TaskReport
from .selectors import department_scopes

TITLE_MAX = 100
TEXT_MAX = 5000


# --- reads ------------------------------------------------------------------------------------------------------

def _above_or_below(paths) -> Q:
    """Rows of a unit in one of ``paths`` or below, or of a unit above one of them (the decisions of the regions above)."""
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(org_path__startswith=path)
        ancestors = [path[: i + 1] for i, c in enumerate(path) if c == "/" and i + 1 < len(path)]
        q |= Q(org_path__in=ancestors)
    return q


def visible_meetings(user) -> QuerySet[Meeting]:
    return Meeting.objects.filter(_above_or_below(scope_paths(user, LEADING_VIEW)))


def visible_tasks(user) -> QuerySet[GroupTask]:
    """Tasks of the user's area and of the regions above that were given to a department the user works for."""
    q = scope_q(user, LEADING_VIEW, "org_path")
    for dept, path in department_scopes(user):
        q |= Q(department_id=dept) & _above_or_below([path])
    return GroupTask.objects.filter(q)


def may_manage(user, unit: OrgUnit) -> bool:
    return path_in_scope(user, LEADING_MANAGE, unit.path)


def may_report(user, task: GroupTask) -> bool:
    """The 综治 office over the task's region, or staff of the task's department at that region or above it."""
    if path_in_scope(user, LEADING_MANAGE, task.org_path):
        return True
    return any(dept == task.department_id and task.org_path.startswith(path) for dept, path in department_scopes(user))


def managed_units(user) -> list[OrgUnit]:
    return list(OrgUnit.objects.filter(path__in=scope_paths(user, LEADING_MANAGE), valid_to__isnull=True).order_by("path"))


# --- writes -----------------------------------------------------------------------------------------------------

def _text(value, field: str, label, *, limit: int = TEXT_MAX, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise field_error(field, _("{label}: required."), label=label)
    if len(value) > limit:
        raise field_error(field, _("{label}: at most {limit} characters; shorten it."), label=label, limit=limit)
    return value


def record_meeting(actor, *, unit: OrgUnit, held_on: datetime.date, title: str, departments=(), attendees: str = "",
                   minutes: str = "", decisions: str = "") -> Meeting:
    """A leading-group meeting of ``unit``'s region. Who: the 综治 office over ``unit`` (``leading.manage``)."""
    if not may_manage(actor, unit):
        raise PermissionDenied
    if held_on is None or held_on > timezone.localdate():
        raise field_error("held_on", _("Date: the meeting has to have been held; enter a day up to today."))
    meeting = Meeting(org_unit=unit, org_path=unit.path, held_on=held_on,
                      title=_text(title, "title", _("Title"), limit=TITLE_MAX, required=True),
                      attendees=_text(attendees, "attendees", _("Attendees")), minutes=_text(minutes, "minutes", _("Minutes")),
                      decisions=_text(decisions, "decisions", _("Decisions")), created_by=actor)
    with transaction.atomic():
        meeting.save()
        meeting.departments.set(list(departments))
        audit.record(actor, audit.Action.CREATE, obj=meeting, detail={"departments": sorted(d.code for d in departments)})
    return meeting


def assign_task(actor, *, unit: OrgUnit, department: Department, title: str, due_on: datetime.date,
                meeting: Meeting | None = None) -> GroupTask:
    """A task for ``department`` in ``unit``'s region, due on ``due_on`` (at a meeting of that region, or on its own).
    Who: the 综治 office over ``unit``. The department's staff there are told in their inbox."""
    if not may_manage(actor, unit):
        raise PermissionDenied
    if meeting is not None and meeting.org_unit_id != unit.pk:
        raise field_error("meeting", _("Meeting: it was a meeting of another region; pick one of this region's meetings."))
    if department is None or not department.active:
        raise field_error("department", _("Department: required; pick the department responsible."))
    if due_on is None:
        raise field_error("due_on", _("Deadline: required; enter the day the task has to be done by."))
    task = GroupTask(meeting=meeting, org_unit=unit, org_path=unit.path, department=department, created_by=actor,
                     title=_text(title, "title", _("Task"), limit=150, required=True), due_on=due_on)
    with transaction.atomic():
        task.save()
        audit.record(actor, audit.Action.CREATE, obj=task, detail={"department": department.code, "due_on": due_on.isoformat()})
        notices.send(department_staff(unit, department), "task_assigned",
                     {"task": task.pk, "title": task.title, "unit": unit.name, "day": due_on.isoformat()})
    return task


def department_staff(unit: OrgUnit, department: Department) -> list:
    """Staff of ``department`` assigned at ``unit`` (the region's own office), else at the nearest unit above."""
    from xinli.accounts.models import Assignment

    rows = list(Assignment.objects.filter(active=True, user__is_active=True, department=department,
                                          org_unit_id__in=unit.ancestor_ids).select_related("user"))
    for uid in reversed(unit.ancestor_ids):
        found = [a.user for a in rows if a.org_unit_id == uid]
        if found:
            return found
    return []


def report_progress(actor, task: GroupTask, *, progress: int, note: str = "", done: bool = False,
                    expected_version: int | None = None) -> TaskReport:
    """A progress report; ``done`` (or 100 %) completes the task today. Who: :func:`may_report`. Refused on a task
    that is no longer open, or that changed since the reader opened it (``expected_version``)."""
    if not may_report(actor, task):
        raise PermissionDenied
    if not isinstance(progress, int) or not 0 <= progress <= 100:
        raise field_error("progress", _("Progress: a whole number from 0 to 100 (per cent)."))
    note = _text(note, "note", _("Note"))
    done = done or progress == 100
    progress = 100 if done else progress
    today = timezone.localdate()
    with transaction.atomic():
        version = task.version if expected_version is None else expected_version
        changes = {"progress": progress, "version": version + 1}
        if done:
            changes.update(state=GroupTask.State.DONE, done_on=today)
        if GroupTask.objects.filter(pk=task.pk, state=GroupTask.State.OPEN, version=version).update(**changes) != 1:
            raise field_error("progress", _("Task: it was completed, cancelled or updated by someone else meanwhile; "
                                            "reload the page and report again."), code="conflict")
        report = TaskReport.objects.create(task=task, by=actor, progress=progress, note=note)
        audit.record(actor, audit.Action.UPDATE, obj=task, detail={"progress": progress, "done": done})
    task.refresh_from_db()
    return report


def cancel_task(actor, task: GroupTask, *, reason: str) -> GroupTask:
    """The 综治 office withdraws an open task (the reason kept as a report)."""
    if not may_manage(actor, task.org_unit):
        raise PermissionDenied
    reason = _text(reason, "reason", _("Reason"), required=True)
    with transaction.atomic():
        if GroupTask.objects.filter(pk=task.pk, state=GroupTask.State.OPEN).update(state=GroupTask.State.CANCELLED,
                                                                                  version=task.version + 1) != 1:
            raise field_error("reason", _("Task: it is no longer open; reload the page."), code="conflict")
        TaskReport.objects.create(task=task, by=actor, progress=task.progress, note=reason)
        audit.record(actor, audit.Action.UPDATE, obj=task, detail={"cancelled": True})
    task.refresh_from_db()
    return task


def task_counts(path: str, year: int, as_of: datetime.date, department_id: int | None = None) -> tuple[int, int]:
    """(done on time, due) for the tasks of ``path``'s region and below whose deadline fell from 1 January of
    ``year`` to ``as_of`` (cancelled tasks left out): the appraisal's task part (``indicators.appraisal``)."""
    qs = GroupTask.objects.filter(org_path__startswith=path, due_on__gte=datetime.date(year, 1, 1), due_on__lte=as_of).exclude(
        state=GroupTask.State.CANCELLED)
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    due = done = 0
    for state, done_on, due_on in qs.values_list("state", "done_on", "due_on"):
        due += 1
        done += int(state == GroupTask.State.DONE and done_on is not None and done_on <= due_on and done_on <= as_of)
    return done, due
