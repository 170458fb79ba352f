"""Every write of the SMD register: registering a patient, recording a follow-up (classification, schedule,
alerts, referral, case-management team), emergencies, team members, rehabilitation and family work, status changes,
and follow-up reminders."""

from __future__ import annotations

import datetime
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core import audit, breakglass
from xinli.core.db import insert_new
from xinli.core.i18n import choice_list, field_error
from xinli.core.policy import SMD_BASIC, SMD_FOLLOWUP
from xinli.core.scoping import path_in_scope

from . import rules
from .models import (
    INCIDENTS,
    LEVEL3,
    LOST_REASONS,
    SOCIAL,
    SYMPTOMS,
    Adherence,
    BreakGlass,
    Classification,
    Diagnosis,
    Emergency,
    FollowUp,
    Mode,
    Patient,
    ReminderPolicy,
    Residence,
    Source,
    Status,
    Support,
    Task,
    TeamMember,
    TeamRole,
    Trigger,
)
from .selectors import treats


def _require(actor, path: str) -> None:
    if not path_in_scope(actor, SMD_FOLLOWUP, path):
        raise PermissionDenied


def _require_treating(actor, patient: Patient) -> None:
    """Writes about a patient: the actor follows up patients of the patient's unit, or is the patient's responsible
    doctor (who always treats their patients; ``selectors.treats``)."""
    if not treats(actor, patient, SMD_FOLLOWUP):
        raise PermissionDenied


def _check_doctor(doctor, path: str) -> None:
    """The responsible doctor must be someone who follows up patients of the patient's unit, so that the doctor named
    on the register can reach the patient through the ordinary scope (an active user holding ``smd.followup`` there)."""
    if doctor is None or not getattr(doctor, "is_active", False) or not path_in_scope(doctor, SMD_FOLLOWUP, path):
        raise field_error("doctor", _("Responsible doctor: choose a doctor who follows up patients of the patient's "
                                      "area (a psychiatrist or community mental-health doctor assigned there)."))


def register_patient(actor, person, data: dict) -> Patient:
    """Register a person of the archive with one of the six diseases."""
    data, doctor = _registration(actor, person, data)
    previous = Patient.objects.filter(person=person).first()
    if previous is not None:
        return _register_again(actor, previous, person, doctor, data)
    patient = Patient(person=person, doctor=doctor, **data).place_under(person)
    try:
        with transaction.atomic():
            patient.save()
            _registration_task(patient).save()
            audit.record(actor, audit.Action.CREATE, obj=patient, person=person, detail={"diagnosis": patient.diagnosis})
    except IntegrityError:
        raise field_error("person", _("Person: already on the register.")) from None
    return patient


def _registration_task(patient: Patient) -> Task:
    """The first follow-up of a new registration: due within two weeks."""
    return Task(patient=patient, due=timezone.localdate() + rules.TWO_WEEKS).place_under(patient)


def _registration(actor, person, data: dict) -> tuple[dict, object]:
    """The checks of a registration (the one place for them): the data to store and the responsible doctor."""
    _require(actor, person.org_path)
    data = dict(data)
    if data.get("diagnosis") not in Diagnosis.values:
        raise field_error("diagnosis", _("Diagnosis: one of the six severe mental disorders ({choices})."), choices=choice_list(Diagnosis))
    if data.get("source") not in Source.values:
        raise field_error("source", _("Registration source: hospital, community or transfer."))
    if not (data.get("diagnosed_by") or "").strip():
        raise field_error("diagnosed_by", _("Diagnosing institution: required (only a psychiatric diagnosis puts a patient on the register)."))
    diagnosed_on = data.get("diagnosed_on")
    if diagnosed_on is None or diagnosed_on > timezone.localdate():
        raise field_error("diagnosed_on", _("Diagnosed on: a date not in the future."))
    if data.get("residence", Residence.HOME) not in Residence.values:
        raise field_error("residence", _("Residence: home or institution."))
    if data.get("consent_community") and not data.get("consent_on"):
        data["consent_on"] = timezone.localdate()
    doctor = data.pop("doctor", None) or actor
    _check_doctor(doctor, person.org_path)
    return data, doctor


def _register_again(actor, patient: Patient, person, doctor, data: dict) -> Patient:
    """A patient who left the register (moved out, died, removed — e.g. lost) registered again, here: the same row is
    re-opened under the person's unit with the new registration's details and day (``registered_on``: the new episode
    starts there, and so does T12's interval), so that the old follow-ups, emergencies and support stay with it
    (history kept; the audit entry records the previous status and registration day, earlier entries the old unit). A patient still in the register is refused: when they moved here, their old
    unit's records come through the transfer their archive move opened."""
    if patient.status == Status.IN_REGISTER:
        raise field_error("person", _("Person: already on the register. If they moved here, their records come with the "
                                      "transfer opened when their archive record was moved; accept it on the transfers page."))
    today = timezone.localdate()
    previous = {"status": patient.status, "status_on": patient.status_on.isoformat() if patient.status_on else None,
                "registered_on": patient.registered_on.isoformat()}
    with transaction.atomic():
        for key, value in data.items():
            setattr(patient, key, value)
        patient.place_under(person)
        patient.doctor, patient.status, patient.status_reason, patient.status_on = doctor, Status.IN_REGISTER, "", None
        patient.registered_on, patient.moved_in_on = data.get("registered_on") or today, None
        patient.save()
        Task.objects.filter(patient=patient, state=Task.State.DUE).update(state=Task.State.CANCELLED)
        Task(patient=patient, due=today + rules.TWO_WEEKS).place_under(patient).save()
        audit.record(actor, audit.Action.UPDATE, obj=patient, person=person, org_path=patient.org_path,
                     detail={"registered_again": True, "diagnosis": patient.diagnosis, "previous": previous})
    return patient


FOLLOW_UP_FIELDS = {"date", "mode", "lost_reason", "death_date", "death_cause", "risk", "symptoms", "psychotic_symptoms_obvious",
                    "insight", "sleep", "diet", "social_function", "incidents", "locked", "hospitalised", "labs", "adherence",
                    "acute_adverse_reaction", "adverse_reaction", "serious_physical_illness", "effect", "referral_reason",
                    "referral_institution", "referral_department", "medications", "rehabilitation"}


# Without consent to community management, only the statutory minimum is recorded: the visit itself, loss to
# follow-up or death, the risk (danger) assessment and, for a dangerous patient, the referral (Mental Health Law
# art. 28).
MINIMUM_FIELDS = {"date", "mode", "lost_reason", "death_date", "death_cause", "risk", "referral_institution",
                  "referral_reason", "referral_department"}


def _check_follow_up(patient: Patient, d: dict) -> None:
    if not patient.consent_community:
        extra = sorted(k for k, v in d.items() if k not in MINIMUM_FIELDS and v not in ("", None, [], {}, False))
        if extra:
            raise field_error(extra[0], _("{name}: the patient has not consented to community management; only the visit, "
                                          "loss to follow-up or death, and the risk level are recorded."), name=extra[0])
    date = d.get("date")
    if date is None or date > timezone.localdate():
        raise field_error("date", _("Date: the day of the follow-up, not in the future."))
    if d.get("mode") not in Mode.values:
        raise field_error("mode", _("Mode: clinic, home or phone."))
    lost, died = d.get("lost_reason", ""), d.get("death_date")
    if lost and lost not in LOST_REASONS:
        raise field_error("lost_reason", _("Lost to follow-up: one of {choices}."), choices=choice_list(LOST_REASONS))
    if died and (died > date or not (d.get("death_cause") or "").strip()):
        raise field_error("death_date", _("Death: the date (not after the follow-up) and the cause are both needed."))
    if not lost and not died:
        risk = d.get("risk")
        if not isinstance(risk, int) or isinstance(risk, bool) or not 0 <= risk <= 5:
            raise field_error("risk", _("Risk level: a whole number from 0 to 5."))
        if patient.consent_community and d.get("insight") not in ("complete", "partial", "absent"):
            raise field_error("insight", _("Insight: complete, partial or absent."))
        if patient.consent_community and d.get("adherence") not in Adherence.values:
            raise field_error("adherence", _("Medication adherence: regular, intermittent, none or not needed."))
    bad = [s for s in d.get("symptoms", []) if s not in SYMPTOMS and s != "none"]
    if bad:
        raise field_error("symptoms", _("Symptoms: unknown {values}; use {choices}."), values=", ".join(map(str, bad)), choices=", ".join(SYMPTOMS))
    sf = d.get("social_function", {})
    if not isinstance(sf, dict) or any(k not in SOCIAL or v not in LEVEL3 for k, v in sf.items()):
        raise field_error("social_function", _("Social function: {keys}, each good, fair or poor."), keys=", ".join(SOCIAL))
    inc = d.get("incidents", {})
    if not isinstance(inc, dict) or any(k not in INCIDENTS or not isinstance(v, int) or v < 0 for k, v in inc.items()):
        raise field_error("incidents", _("Incidents: counts (0 or more) of {keys}."), keys=", ".join(INCIDENTS))
    for name in ("sleep", "diet"):
        if d.get(name) and d[name] not in LEVEL3:
            raise field_error(name, _("Sleep and diet: good, fair or poor."))


def _refuse_out_of_order() -> None:
    raise field_error("date", _("Date: a later follow-up is already recorded; record follow-ups in order."))


def _prepare_follow_up(actor, patient: Patient, data: dict) -> tuple[FollowUp, rules.Outcome]:
    """The checks and the classification of one follow-up (not yet saved): the one place for both, used by
    :func:`record_follow_up` and :func:`record_history`."""
    d = {k: v for k, v in data.items() if k in FOLLOW_UP_FIELDS}
    _check_follow_up(patient, d)
    if isinstance(d.get("medications"), list | dict):
        d["medications"] = json.dumps(d["medications"], ensure_ascii=False)
    outcome = rules.classify(**{k: d.get(k) for k in ("date", "risk", "lost_reason", "death_date")},
                             psychotic_symptoms_obvious=bool(d.get("psychotic_symptoms_obvious")), insight=d.get("insight", ""),
                             acute_adverse_reaction=bool(d.get("acute_adverse_reaction")),
                             serious_physical_illness=bool(d.get("serious_physical_illness")), symptoms=d.get("symptoms", []),
                             social_function=d.get("social_function", {}), hospitalised=d.get("hospitalised", ""))
    if outcome.refer and not (d.get("referral_institution") or "").strip():
        raise field_error("referral_institution", _("Referral: an unstable patient must be referred; give the institution."))
    fu = FollowUp(patient=patient, doctor=actor, classification=outcome.classification,
                  next_due=outcome.next_due, **d).place_under(patient)
    return fu, outcome


def _patient_changes(fu: FollowUp, outcome: rules.Outcome) -> dict:
    """What a saved follow-up changes on the patient's row."""
    changes = {"last_follow_up": fu.date}
    if outcome.classification:
        changes.update(classification=outcome.classification, risk=fu.risk)
    if fu.death_date:
        changes.update(status=Status.DIED, status_on=fu.death_date, status_reason=fu.death_cause)
    return changes


def _referral(actor, patient: Patient, fu: FollowUp) -> Support:
    return Support(patient=patient, kind=Support.Kind.REFERRAL_OUT, start=fu.date, institution=fu.referral_institution,
                   note=fu.referral_reason or "", recorded_by=actor).place_under(patient)


def record_follow_up(actor, patient: Patient, data: dict, *, imported: bool = False) -> FollowUp:
    """Save a follow-up, classify it by the rules, schedule the next one, and act: referral, alerts (risk 3 orange,
    4–5 red), the case-management team for an unstable patient, the register status on death. ``imported``: a visit
    of the patient's history brought from another system (bulk import): saved, classified and scheduled the same way,
    but nothing is acted on now — no alert and no team for what was dealt with at the time in that system."""
    _require_treating(actor, patient)
    fu, outcome = _prepare_follow_up(actor, patient, data)
    if patient.follow_ups.filter(date__gt=fu.date).exists():
        _refuse_out_of_order()
    from xinli.alerts import raise_for_smd_risk

    with transaction.atomic():
        fu.save()
        open_tasks = list(patient.tasks.filter(state=Task.State.DUE).order_by("due"))
        if open_tasks:
            first = open_tasks[0]
            Task.objects.filter(pk=first.pk).update(state=Task.State.DONE, done_by=fu, done_on=fu.date)
        Task.objects.filter(pk__in=[t.pk for t in open_tasks[1:]]).update(state=Task.State.CANCELLED)
        if outcome.next_due is not None:
            Task(patient=patient, due=outcome.next_due).place_under(patient).save()
        Patient.objects.filter(pk=patient.pk).update(**_patient_changes(fu, outcome))
        patient.refresh_from_db()
        if outcome.refer:
            _referral(actor, patient, fu).save()
        if outcome.classification == Classification.UNSTABLE and not imported:
            convene_team(actor, patient)
        detail = {"classification": fu.classification, "risk": fu.risk} | ({"imported": True} if imported else {})
        audit.record(actor, audit.Action.CREATE, obj=fu, person=patient.person, org_path=patient.org_path, detail=detail)
        if fu.risk is not None and not imported:
            raise_for_smd_risk(patient.person, fu.risk, actor=actor, summary_code="smd_follow_up")
    return fu


def record_history(actor, patient: Patient, visits: list[dict]) -> list[FollowUp]:
    """A patient's follow-up history brought from another system (bulk import), in date order: the same result as
    :func:`record_follow_up` with ``imported=True`` for each visit in turn — the same checks and classification
    (``_prepare_follow_up``), the same task chain (the open task done by the first visit, each visit's next-due task
    done by the next visit, the last one left due), the patient's last follow-up, classification, risk and death, a
    referral per unstable visit, one audit entry per follow-up; no alert and no team — written with one INSERT per
    table instead of a dozen statements per visit. All or nothing: a refused visit raises its ``ValidationError``
    with ``index`` (its place in ``visits``) set on it, and nothing is written."""
    _require_treating(actor, patient)
    if not visits:
        return []
    latest = patient.follow_ups.order_by("-date").values_list("date", flat=True).first()
    prepared = _prepare_history(actor, patient, visits, latest)
    with transaction.atomic():
        fus = insert_new(FollowUp, [fu for fu, _o in prepared])
        open_tasks = list(patient.tasks.filter(state=Task.State.DUE).order_by("due"))
        pending = None  # the task the first visit closes
        if open_tasks:
            pending = open_tasks[0]
            Task.objects.filter(pk__in=[t.pk for t in open_tasks[1:]]).update(state=Task.State.CANCELLED)
        tasks, changes, supports = _history_chain(actor, patient, prepared, pending)
        insert_new(Task, tasks)
        Patient.objects.filter(pk=patient.pk).update(**changes)
        insert_new(Support, supports)
        audit.record_many(actor, audit.Action.CREATE, _history_audit(patient, fus))
    patient.refresh_from_db()
    return fus


def _prepare_history(actor, patient: Patient, visits: list[dict], latest) -> list[tuple[FollowUp, rules.Outcome]]:
    """Each visit checked and classified (``_prepare_follow_up``), in date order after ``latest`` (the patient's last
    recorded follow-up); a refused visit raises with ``index`` set."""
    prepared = []
    for i, data in enumerate(visits):
        try:
            fu, outcome = _prepare_follow_up(actor, patient, data)
            if latest is not None and latest > fu.date:
                _refuse_out_of_order()
        except ValidationError as exc:
            exc.index = i
            raise
        latest = fu.date
        prepared.append((fu, outcome))
    return prepared


def _history_chain(actor, patient: Patient, prepared, pending: Task | None) -> tuple[list[Task], dict, list[Support]]:
    """The task chain of saved history visits: ``pending`` (a saved open task, or a new one) done by the first
    visit, each visit's next-due task done by the next, the last one left due. Returns the new tasks to write, the
    patient's changes and the referrals."""
    changes: dict = {}
    tasks, supports = [], []
    for fu, outcome in prepared:
        if pending is not None:
            if pending.pk is not None:
                Task.objects.filter(pk=pending.pk).update(state=Task.State.DONE, done_by=fu, done_on=fu.date)
            else:
                pending.state, pending.done_by, pending.done_on = Task.State.DONE, fu, fu.date
        pending = None
        if outcome.next_due is not None:
            pending = Task(patient=patient, due=outcome.next_due).place_under(patient)
            tasks.append(pending)
        changes.update(_patient_changes(fu, outcome))
        if outcome.refer:
            supports.append(_referral(actor, patient, fu))
    return tasks, changes, supports


def _history_audit(patient: Patient, fus: list[FollowUp]) -> list[dict]:
    return [{"obj": fu, "person": patient.person, "org_path": patient.org_path,
             "detail": {"classification": fu.classification, "risk": fu.risk, "imported": True}} for fu in fus]


def register_patients(actor, items: list) -> list:
    """:func:`register_patient` followed by :func:`record_history`, for many persons new to the register at once
    (bulk import). ``items`` are (person, data, visits) for saved persons without a patient row (the caller has just
    created them). Each item is checked exactly as those two calls check it (``_registration``, ``_require_treating``,
    ``_prepare_history``); the valid ones are written with one INSERT per table: patients (with what their last
    visit changes), follow-ups, tasks (each registration's task done by its first visit, the chain as
    :func:`_history_chain`), referrals, and the audit entries (the registration's and one per follow-up). Returns,
    per item, the saved Patient or the ``ValidationError``/``PermissionDenied`` that refused it (a refused visit's
    error has ``index`` set); nothing of a refused item is written."""
    results: list = [None] * len(items)
    valid = []
    for i, (person, data, visits) in enumerate(items):
        try:
            data, doctor = _registration(actor, person, data)
            patient = Patient(person=person, doctor=doctor, **data).place_under(person)
            _require_treating(actor, patient)
            prepared = _prepare_history(actor, patient, visits, None)
        except (ValidationError, PermissionDenied) as exc:
            results[i] = exc
            continue
        changes: dict = {}
        for fu, outcome in prepared:
            changes.update(_patient_changes(fu, outcome))
        for key, value in changes.items():
            setattr(patient, key, value)
        valid.append((i, patient, prepared))
    if not valid:
        return results
    with transaction.atomic():
        try:
            insert_new(Patient, [patient for _i, patient, _p in valid])
        except IntegrityError:
            raise field_error("person", _("Person: already on the register.")) from None
        insert_new(FollowUp, [fu for _i, _patient, prepared in valid for fu, _o in prepared])
        tasks, supports, entries = [], [], []
        for _i, patient, prepared in valid:
            first = _registration_task(patient)
            more, _changes, referrals = _history_chain(actor, patient, prepared, first)
            tasks += [first, *more]
            supports += referrals
            entries.append({"obj": patient, "person": patient.person, "detail": {"diagnosis": patient.diagnosis}})
            entries += _history_audit(patient, [fu for fu, _o in prepared])
        insert_new(Task, tasks)
        insert_new(Support, supports)
        audit.record_many(actor, audit.Action.CREATE, entries)
    for i, patient, _p in valid:
        results[i] = patient
    return results


def convene_team(actor, patient: Patient) -> list[TeamMember]:
    """An unstable patient gets a case-management team: the responsible doctor and a slot for each other role;
    platform users in the team are notified."""
    from xinli.alerts.services import notify

    existing = {m.role for m in patient.team.all()}
    new = []
    for role in TeamRole.values:
        if role not in existing:
            new.append(TeamMember(patient=patient, role=role, user=patient.doctor if role == TeamRole.DOCTOR else None,
                                  county_code=patient.county_code))
    TeamMember.objects.bulk_create(new)
    members = [m.user for m in patient.team.select_related("user") if m.user is not None]
    notify(members, "smd_team", params={"patient": patient.pk})
    return list(patient.team.all())


def add_team_member(actor, patient: Patient, *, role: str, user=None, name: str = "", phone: str = "") -> TeamMember:
    _require_treating(actor, patient)
    if role not in TeamRole.values:
        raise field_error("role", _("Role: one of {choices}."), choices=choice_list(TeamRole))
    if user is None and not name.strip():
        raise field_error("name", _("Name: give the member's name or pick a platform user."))
    with transaction.atomic():
        member = TeamMember.objects.create(patient=patient, role=role, user=user, name=name.strip(), phone=phone.strip(),
                                           county_code=patient.county_code)
        audit.record(actor, audit.Action.UPDATE, obj=patient, person=patient.person, detail={"team": role})
    return member


def record_emergency(actor, patient: Patient, *, trigger: str, occurred_at, actions: str = "", police=False,
                     ambulance=False, outcome: str = "", complete: bool = False, imported: bool = False,
                     completed_at=None) -> Emergency:
    """Any emergency trigger raises a red alert at once; the record itself must be completed within 24 h.
    ``imported``: an emergency of the patient's history brought from another system (bulk import), completed at
    ``completed_at``: saved and audited, but no alert is raised — it was dealt with at the time in that system."""
    from xinli.alerts.models import Source
    from xinli.alerts.services import Signal, raise_alert

    _require_treating(actor, patient)
    if trigger not in Trigger.values:
        raise field_error("trigger", _("Trigger: one of {choices}."), choices=choice_list(Trigger))
    if occurred_at > timezone.now():
        raise field_error("occurred_at", _("Occurred: cannot be in the future."))
    if imported and completed_at is not None and completed_at < occurred_at:
        raise field_error("completed_at", _("Record completed: not before the emergency occurred."))
    with transaction.atomic():
        em = Emergency(patient=patient, trigger=trigger, occurred_at=occurred_at, actions=actions, police=police,
                       ambulance=ambulance, outcome=outcome, completed_at=timezone.now() if complete else None,
                       created_by=actor).place_under(patient)
        if imported:
            em.completed_at = completed_at
            em.save()
            audit.record(actor, audit.Action.CREATE, obj=em, person=patient.person, org_path=patient.org_path,
                         detail={"trigger": trigger, "imported": True})
            return em
        em.save()
        em.alert = raise_alert(Signal(level="red", source=Source.EMERGENCY, cause="smd:emergency", person=patient.person,
                                      org_unit=patient.person.org_unit, reported_by=actor,
                                      summary="", summary_code="smd_emergency", summary_params={"trigger": trigger}), actor=actor)
        em.save(update_fields=["alert"])
        audit.record(actor, audit.Action.CREATE, obj=em, person=patient.person, org_path=patient.org_path, detail={"trigger": trigger})
    return em


def complete_emergency(actor, em: Emergency, *, actions: str, outcome: str, police=None, ambulance=None) -> Emergency:
    _require_treating(actor, em.patient)
    if not actions.strip() or not outcome.strip():
        raise field_error("outcome", _("Emergency record: describe the actions taken and the outcome to complete it."))
    with transaction.atomic():
        em.actions, em.outcome, em.completed_at = actions.strip(), outcome.strip(), timezone.now()
        if police is not None:
            em.police = police
        if ambulance is not None:
            em.ambulance = ambulance
        em.save()
        audit.record(actor, audit.Action.UPDATE, obj=em, person=em.patient.person, org_path=em.org_path, detail={"completed": True})
    return em


def add_support(actor, patient: Patient, *, kind: str, start, end=None, institution: str = "", note: str = "",
                primary_care: bool = False) -> Support:
    """Record rehabilitation or family work. ``primary_care``: given by a primary-care institution (基层医疗卫生机构),
    which is what T17 counts for counselling of the patient or the family."""
    _require_treating(actor, patient)
    if kind not in Support.Kind.values:
        raise field_error("kind", _("Kind: one of {choices}."), choices=choice_list(Support.Kind))
    if start is None or start > timezone.localdate() or (end is not None and end < start):
        raise field_error("start", _("Dates: the start is not in the future and the end not before it."))
    if kind in (Support.Kind.REHAB, Support.Kind.REFERRAL_OUT, Support.Kind.REFERRAL_BACK) and not institution.strip():
        raise field_error("institution", _("Institution: required for rehabilitation and referrals."))
    if kind == Support.Kind.HEALTH_CHECK and not patient.consent_community:
        raise field_error("kind", _("Health check: only with the patient's (or guardian's) consent on file."))
    with transaction.atomic():
        s = Support(patient=patient, kind=kind, start=start, end=end, institution=institution.strip(), note=note,
                    primary_care=bool(primary_care), recorded_by=actor).place_under(patient)
        s.save()
        audit.record(actor, audit.Action.UPDATE, obj=patient, person=patient.person, detail={"support": kind})
    return s


def change_status(actor, patient: Patient, *, status: str, reason: str = "", on=None) -> Patient:
    _require_treating(actor, patient)
    if status not in Status.values:
        raise field_error("status", _("Status: one of {choices}."), choices=choice_list(Status))
    if status != Status.IN_REGISTER and not reason.strip():
        raise field_error("reason", _("Reason: required when a patient leaves the register."))
    with transaction.atomic():
        Patient.objects.filter(pk=patient.pk).update(status=status, status_reason=reason.strip(), status_on=on or timezone.localdate())
        if status != Status.IN_REGISTER:
            patient.tasks.filter(state=Task.State.DUE).update(state=Task.State.CANCELLED)
        patient.refresh_from_db()
        audit.record(actor, audit.Action.UPDATE, obj=patient, person=patient.person, detail={"status": status})
    return patient


def assign_doctor(actor, patient: Patient, doctor) -> Patient:
    """Make ``doctor`` the patient's responsible doctor (reminders and the case-management team go to them). The
    actor treats the patient; the doctor must follow up patients of the patient's unit (``_check_doctor``)."""
    _require_treating(actor, patient)
    _check_doctor(doctor, patient.org_path)
    with transaction.atomic():
        previous = patient.doctor_id
        Patient.objects.filter(pk=patient.pk).update(doctor=doctor)
        TeamMember.objects.filter(patient=patient, role=TeamRole.DOCTOR, user_id=previous).update(user=doctor)
        patient.refresh_from_db()
        audit.record(actor, audit.Action.UPDATE, obj=patient, person=patient.person, org_path=patient.org_path,
                     detail={"doctor": doctor.pk, "previous": previous})
    return patient


def break_glass(actor, patient: Patient, *, reason: str) -> BreakGlass:
    """Emergency access to the patient's clinical details (diagnosis, follow-ups, medication, team, emergencies) for
    four hours, read only, for a case-team member who sees the patient's basic record (``smd.basic``); the reason is
    recorded and the audit administrator sees the grant. Treating roles already see everything and need none."""
    if not path_in_scope(actor, SMD_BASIC, patient.org_path) or treats(actor, patient):
        raise PermissionDenied
    return breakglass.open_grant(actor, BreakGlass, obj=patient, person=patient.person, reason=reason, patient=patient,
                                 county_code=patient.county_code)


def send_reminders(today: datetime.date | None = None) -> int:
    """Remind the responsible doctor N days before a follow-up is due and N days after it became overdue (N per
    region, ReminderPolicy; default 3 and 3). Each reminder is sent once: like the alert sweeper
    (``xinli.alerts.services.escalate_overdue``), a worker claims the task with a conditional UPDATE on the reminders
    it read (and on the task still being due) in the transaction that writes the notification; when two workers race,
    the second's UPDATE matches no row and it sends nothing."""
    from xinli.alerts.services import notify

    today = today or timezone.localdate()
    policies = {p.org_unit.path: p for p in ReminderPolicy.objects.select_related("org_unit")}
    sent = 0
    for task in Task.objects.filter(state=Task.State.DUE, due__lte=today + datetime.timedelta(days=30)).select_related("patient__doctor"):
        policy = max((p for path, p in policies.items() if task.org_path.startswith(path)), key=lambda p: len(p.org_unit.path), default=None)
        before, after = (policy.days_before, policy.days_after) if policy else (3, 3)
        kinds = []
        if "before" not in task.reminded and today >= task.due - datetime.timedelta(days=before) and today <= task.due:
            kinds.append("before")
        if "after" not in task.reminded and today >= task.due + datetime.timedelta(days=after):
            kinds.append("after")
        if not kinds or task.patient.doctor is None:
            continue
        with transaction.atomic():
            claimed = Task.objects.filter(pk=task.pk, state=Task.State.DUE, reminded=task.reminded).update(reminded=task.reminded + kinds)
            if claimed != 1:
                continue  # another worker reminded it, or the follow-up was recorded meanwhile
            notify([task.patient.doctor], "smd_due" if "before" in kinds else "smd_overdue",
                   params={"patient": task.patient_id, "day": task.due.isoformat()})
        sent += 1
    return sent
