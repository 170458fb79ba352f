"""Scoped reads of the SMD register. Treating roles (``smd.view``) see clinical details; case-team roles
(``smd.basic``: police liaison, community workers) see only name, address, risk level and the responsible doctor,
unless they broke the glass for that patient (a reason, four hours: ``services.break_glass``). Every view of a
patient is audited.

The responsible doctor and the scope agree: a patient whose responsible doctor is the user is always a treating
patient of that user (while they hold a treating role anywhere), even outside their assigned units — after a move of
the patient or of the doctor the register keeps its doctor until someone reassigns it (``services.assign_doctor``,
which only accepts a doctor who treats the patient's unit). docs/smd.md, "Who sees a patient"."""

from __future__ import annotations

import datetime

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from xinli.archives.selectors import search_persons
from xinli.core import audit, breakglass
from xinli.core.policy import SMD_BASIC, SMD_FOLLOWUP, SMD_VIEW
from xinli.core.scoping import has_capability, path_in_scope, scope_q

from .models import BreakGlass, FollowUp, Patient, Status, Task


def treating_q(user, capability: str = SMD_VIEW, doctor_field: str = "doctor") -> Q:
    """Rows about patients ``user`` treats: under their units that grant ``capability`` (the row's own ``org_path``),
    or whose responsible doctor they are while they hold ``capability`` somewhere (``doctor_field`` reaches it from
    another model, e.g. ``patient__doctor`` for tasks)."""
    q = scope_q(user, capability)
    if has_capability(user, capability):
        q |= Q(**{doctor_field: user})
    return q


def treats(user, patient: Patient, capability: str = SMD_VIEW) -> bool:
    """The single-row form of ``treating_q``."""
    if path_in_scope(user, capability, patient.org_path):
        return True
    return patient.doctor_id is not None and patient.doctor_id == user.pk and has_capability(user, capability)


def clinical_patients(user) -> QuerySet[Patient]:
    return Patient.objects.filter(treating_q(user)).select_related("person", "doctor")


def visible_patients(user) -> QuerySet[Patient]:
    return Patient.objects.filter(treating_q(user) | scope_q(user, SMD_BASIC)).select_related("person", "doctor")


def glass_broken(user) -> set[int]:
    """Ids of the patients whose clinical details ``user`` may read now through an open break-the-glass grant."""
    return set(breakglass.active(BreakGlass.objects.filter(user=user)).values_list("patient_id", flat=True))


def may_see_clinical(user, patient: Patient, broken: set[int] | None = None) -> bool:
    if treats(user, patient):
        return True
    return patient.pk in (glass_broken(user) if broken is None else broken)


def may_follow_up(user, patient: Patient) -> bool:
    return treats(user, patient, SMD_FOLLOWUP)


def get_patient(user, pk) -> tuple[Patient, bool]:
    """The patient and whether the user may see clinical details; audited either way (the purpose says how)."""
    patient = visible_patients(user).get(pk=pk)
    treating = treats(user, patient)
    clinical = treating or patient.pk in glass_broken(user)
    audit.record(user, audit.Action.READ, obj=patient, person=patient.person, org_path=patient.org_path,
                 purpose="smd" if treating else "smd break-glass" if clinical else "smd basic")
    return patient, clinical


def record_listing(user, patients) -> None:
    audit.record_person_reads(user, [p.person for p in patients], action=audit.Action.SEARCH, purpose="smd")


def end_of_week(today: datetime.date) -> datetime.date:
    """The Sunday of ``today``'s week: "due" on the worklist and in the patient list means due from today to then."""
    return today + datetime.timedelta(days=6 - today.weekday())


def _open_tasks(user) -> QuerySet[Task]:
    return Task.objects.filter(treating_q(user, doctor_field="patient__doctor"), state=Task.State.DUE, patient__status=Status.IN_REGISTER)


def open_tasks(user) -> QuerySet[Task]:
    """Follow-ups still due of the patients ``user`` treats (the worklist's and the field pack's source); the caller
    audits the persons it shows."""
    return _open_tasks(user)


def worklist_counts(user, today: datetime.date | None = None) -> dict:
    """How many follow-ups of the user's patients are overdue and due this week (numbers only: nothing to audit)."""
    today = today or timezone.localdate()
    tasks = _open_tasks(user)
    return {"overdue": tasks.filter(due__lt=today).count(),
            "due": tasks.filter(due__gte=today, due__lte=end_of_week(today)).count()}


def worklist(user, today: datetime.date | None = None) -> dict:
    """The doctor's worklist: follow-ups due this week (today to Sunday), overdue, and patients in the register not
    followed up at all this calendar year."""
    today = today or timezone.localdate()
    end_of_week_ = end_of_week(today)
    tasks = _open_tasks(user).select_related("patient__person")
    seen_this_year = FollowUp.objects.filter(patient=OuterRef("pk"), date__year=today.year, lost_reason="", death_date__isnull=True)
    never = clinical_patients(user).filter(status=Status.IN_REGISTER).exclude(Exists(seen_this_year))
    return {
        "due": list(tasks.filter(due__gte=today, due__lte=end_of_week_).order_by("due")),
        "overdue": list(tasks.filter(due__lt=today).order_by("due")),
        "never": list(never.order_by("pk")[:500]),
        "today": today, "end_of_week": end_of_week_,
    }


def follow_ups(patient: Patient) -> QuerySet[FollowUp]:
    """Follow-ups of a patient already fetched (and audited) through ``get_patient``."""
    return patient.follow_ups.select_related("doctor").order_by("-date", "-id")


FOLLOW_UP_STATES = ("due", "overdue", "never", "not_this_year")


def patient_list(user, *, follow_up: str = "", classification: str = "", risk: int | None = None, diagnosis: str = "",
                 q: str = "", status: str = Status.IN_REGISTER, today: datetime.date | None = None) -> QuerySet[Patient]:
    """The patients of the user's area (and those whose responsible doctor they are), filtered; for a treating user the
    most urgent first (overdue, then by next due date, then those without a scheduled follow-up), for a case-team
    member the riskiest first. Each row carries ``next_due``.

    ``follow_up``: ``due`` (due from today to Sunday), ``overdue``, ``never`` (no completed follow-up at all),
    ``not_this_year`` (none this calendar year). ``q`` is a name or ID number (or phone, pinyin) read by the archive's
    scoped search (``xinli.archives.selectors.search_persons``). The follow-up state, classification and diagnosis
    are clinical details: filtering on them returns only patients the user treats, never a case-team member's
    basic rows. The caller audits the page it shows (``record_listing``)."""
    today = today or timezone.localdate()
    clinical_filter = bool(follow_up or classification or diagnosis)
    qs = clinical_patients(user) if clinical_filter else visible_patients(user)
    qs = qs.select_related("person__org_unit").annotate(next_due=Subquery(
        Task.objects.filter(patient=OuterRef("pk"), state=Task.State.DUE).order_by("due").values("due")[:1]))
    if not has_capability(user, SMD_VIEW):  # a case-team member's list: the riskiest first (no schedule shown)
        qs = qs.order_by(F("risk").desc(nulls_last=True), "pk")
    else:
        qs = qs.order_by(F("next_due").asc(nulls_last=True), "pk")
    if status:
        qs = qs.filter(status=status)
    if follow_up == "due":
        qs = qs.filter(next_due__gte=today, next_due__lte=end_of_week(today))
    elif follow_up == "overdue":
        qs = qs.filter(next_due__lt=today)
    elif follow_up in ("never", "not_this_year"):
        seen = FollowUp.objects.filter(patient=OuterRef("pk"), lost_reason="", death_date__isnull=True)
        if follow_up == "not_this_year":
            seen = seen.filter(date__year=today.year)
        qs = qs.exclude(Exists(seen))
    if classification:
        qs = qs.filter(classification=classification)
    if diagnosis:
        qs = qs.filter(diagnosis=diagnosis)
    if risk is not None:
        qs = qs.filter(risk=risk)
    if (q or "").strip():
        qs = qs.filter(person_id__in=search_persons(user, q=q).order_by().values("pk"))
    return qs
