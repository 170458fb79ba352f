"""Reads for the field app: the caller's devices and the task pack (docs/field.md).

The pack holds the caller's tasks for the next days, each read through its app's scoped selector, and the persons in
those tasks only, with the fields the caller's role may see. Every person in a pack is audited (purpose
``field_pack``). Each task and person carries a ``version``: the client sends it back with a form so that the sync
can tell when the record changed since the pack was downloaded."""

from __future__ import annotations

import datetime
import hashlib
import json

from django.utils import timezone

from xinli.alerts import selectors as alert_selectors
from xinli.archives import transfers as archive_transfers
from xinli.core import audit
from xinli.core.policy import ARCHIVES_EDIT, COUNSELLING_WORK, FIELD_SYNC, SMD_VIEW
from xinli.core.scoping import has_capability, scope_q
from xinli.counselling.models import Plan
from xinli.smd import selectors as smd_selectors
from xinli.smd.models import Emergency, FollowUp, Patient, Task

from .models import Device, ScheduledVisit

DEFAULT_DAYS, MAX_DAYS = 7, 14
# Tie-break of tasks due on the same day: the most urgent kind first.
# A scheduled home visit comes last: the worker chose its day, the others have a deadline set by a rule.
KIND_RANK = {"smd_emergency": 0, "smd_follow_up": 1, "crisis_follow_up": 2, "transfer": 3, "plan_review": 4, "home_visit": 5}


def own_devices(user):
    return Device.objects.filter(user=user)


def devices_of(user):
    """Every device of ``user`` (the security administrator's list; the caller checks the admin's scope)."""
    return Device.objects.filter(user=user).select_related("revoked_by")


def version(*parts) -> str:
    """A short fingerprint of the fields a task's outcome depends on: it changes when the record changes."""
    raw = json.dumps([str(p) for p in parts], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def smd_task_version(task: Task) -> str:
    patient = task.patient
    return version("smd.task", task.pk, task.state, task.due, patient.status, patient.org_path, patient.last_follow_up,
                   patient.doctor_id)


def emergency_version(em: Emergency) -> str:
    return version("smd.emergency", em.pk, em.completed_at, em.patient.org_path)


def crisis_follow_up_version(fu) -> str:
    return version("alerts.followup", fu.pk, fu.done_at, fu.due, fu.org_path)


def transfer_version(t) -> str:
    return version("archives.transfer", t.pk, t.status, t.accept_by)


def plan_version(plan: Plan) -> str:
    return version("counselling.plan", plan.pk, plan.state, plan.review_on, plan.org_path)


def visit_version(visit: ScheduledVisit) -> str:
    return version("field.scheduledvisit", visit.pk, visit.state, visit.visit_on, visit.org_path, visit.assigned_to_id)


def visible_visits(user):
    """Scheduled home visits in the user's area (``field.sync`` over their unit). Callers audit the persons read."""
    return ScheduledVisit.objects.filter(scope_q(user, FIELD_SYNC)).select_related("person", "scheduled_by", "assigned_to")


def pack_visits(user, horizon: datetime.date):
    """The open visits of the user's pack: scheduled by them or assigned to them, in their area, due by ``horizon``."""
    from django.db.models import Q

    from xinli.archives.models import PersonStatus

    return visible_visits(user).filter(Q(scheduled_by=user) | Q(assigned_to=user), state=ScheduledVisit.State.OPEN,
                                       visit_on__lte=horizon, person__status=PersonStatus.ACTIVE)


def person_version(person) -> str:
    return version("archives.person", person.pk, person.version, person.org_path, person.status)


def _day(value) -> str:
    return value.isoformat() if value else None


def _tasks(user, today: datetime.date, horizon: datetime.date) -> tuple[list[dict], dict[int, object], set[int]]:
    """(tasks, persons by id, ids of the persons whose SMD record the user treats)."""
    tasks: list[dict] = []
    persons: dict[int, object] = {}
    treated: set[int] = set()

    def add(kind, due, record_type, record_id, person, ver, **extra):
        persons[person.pk] = person
        tasks.append({"kind": kind, "due": _day(due), "overdue": due < today, "record": {"type": record_type, "id": record_id},
                      "person": person.pk, "version": ver, **extra})

    if has_capability(user, SMD_VIEW):
        for task in smd_selectors.open_tasks(user).filter(due__lte=horizon).select_related("patient__person"):
            treated.add(task.patient.person_id)
            add("smd_follow_up", task.due, "smd.task", task.pk, task.patient.person, smd_task_version(task), patient=task.patient_id)
        open_emergencies = Emergency.objects.filter(smd_selectors.treating_q(user, doctor_field="patient__doctor"),
                                                    completed_at__isnull=True).select_related("patient__person")
        for em in open_emergencies:
            deadline = em.occurred_at + datetime.timedelta(hours=24)
            treated.add(em.patient.person_id)
            add("smd_emergency", timezone.localtime(deadline).date(), "smd.emergency", em.pk, em.patient.person,
                emergency_version(em), patient=em.patient_id, complete_by=deadline.isoformat(), trigger=em.trigger)
    for fu in alert_selectors.visible_follow_ups(user).filter(done_at__isnull=True, due__lte=horizon):
        person = fu.case.person if fu.case_id else (fu.affected.person if fu.affected_id else None)
        if person is None:  # an affected person not (yet) in the archive: nothing to visit by address
            continue
        add("crisis_follow_up", fu.due, "alerts.followup", fu.pk, person, crisis_follow_up_version(fu))
    for t in archive_transfers.decidable(user):  # waiting now, whatever the deadline: due = the day to accept by
        add("transfer", t.accept_by, "archives.transfer", t.pk, t.person, transfer_version(t),
            from_unit=t.from_unit.name, to_unit=t.to_unit.name)
    plans = Plan.objects.filter(scope_q(user, COUNSELLING_WORK) | scope_q(user, ARCHIVES_EDIT), worker=user,
                                state=Plan.State.ACTIVE, review_on__lte=horizon).select_related("person")
    for plan in plans:
        add("plan_review", plan.review_on, "counselling.plan", plan.pk, plan.person, plan_version(plan))
    if has_capability(user, FIELD_SYNC):
        for visit in pack_visits(user, horizon):
            add("home_visit", visit.visit_on, "field.scheduledvisit", visit.pk, visit.person, visit_version(visit),
                purpose=visit.purpose or "", scheduled_by=(visit.scheduled_by.display_name or visit.scheduled_by.username) if visit.scheduled_by else None)
    tasks.sort(key=lambda t: (t["due"], KIND_RANK[t["kind"]], t["record"]["id"]))
    return tasks, persons, treated


def _last_visits(person_ids: set[int]) -> dict[int, dict]:
    """The key facts of each treated patient's last SMD follow-up (clinical: only for patients the user treats)."""
    out = {}
    rows = FollowUp.objects.filter(patient__person_id__in=person_ids).select_related("patient").order_by("patient", "-date", "-id")
    for fu in rows:
        pid = fu.patient.person_id
        if pid in out:
            continue
        out[pid] = {"date": _day(fu.date), "mode": fu.mode, "classification": fu.classification, "risk": fu.risk,
                    "adherence": fu.adherence, "next_due": _day(fu.next_due), "lost": bool(fu.lost_reason)}
    return out


def pack(user, device: Device, *, days: int = DEFAULT_DAYS, today: datetime.date | None = None) -> dict:
    """The task pack of ``user`` for ``days`` days from today (overdue tasks included). Audits every person in it."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=days)
    tasks, persons, treated = _tasks(user, today, horizon)
    visits = _last_visits(treated)
    patients = dict(Patient.objects.filter(person_id__in=treated).values_list("person_id", "pk"))
    people = []
    for pid in sorted(persons):
        p = persons[pid]
        people.append({"id": p.pk, "name": p.name, "masked_id_number": p.masked_id_number, "sex": p.sex,
                       "birth_year": p.birth_year, "address": p.address or "", "phone": p.phone or "",
                       "org_unit": p.org_unit_id, "version": person_version(p),
                       "smd_patient": patients.get(pid), "last_visit": visits.get(pid)})
    audit.record_person_reads(user, list(persons.values()), purpose="field_pack",
                              detail={"device": str(device.public_id), "days": days})
    return {"issued_at": timezone.now().isoformat(), "days": days, "today": today.isoformat(), "horizon": horizon.isoformat(),
            "device": str(device.public_id), "tasks": tasks, "persons": people}


def instruments() -> list[dict]:
    """Every active instrument's JSON definition (shipped and imported), with a version to cache it by."""
    from xinli.scales import definitions
    from xinli.scales.models import ImportedScale

    out = []
    for path in sorted(definitions.DEFINITIONS_DIR.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        out.append({"code": raw.get("code", path.stem), "version": version(path.name, path.read_bytes()), "definition": raw})
    shipped = {i["code"] for i in out}
    for row in ImportedScale.objects.filter(active=True).order_by("code"):
        if row.code not in shipped:
            out.append({"code": row.code, "version": version(row.code, json.dumps(row.definition, sort_keys=True)),
                        "definition": row.definition})
    return out

