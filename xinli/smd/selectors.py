"""Scoped reads of the SMD register. Treating roles (``smd.view``) see clinical details; case-team roles
(``smd.basic``: police liaison, community workers) see only name, address, risk level and the responsible doctor,
unless they broke the glass for that patient (a reason, four hours: ``services.break_glass``). Every view of a
patient is audited."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from xinli.accounts.policy import SMD_BASIC, SMD_VIEW
from xinli.core import audit, breakglass
from xinli.core.scoping import path_in_scope, scope_q

from .models import BreakGlass, FollowUp, Patient, Status, Task


def clinical_patients(user) -> QuerySet[Patient]:
    return Patient.objects.filter(scope_q(user, SMD_VIEW)).select_related("person", "doctor")


def visible_patients(user) -> QuerySet[Patient]:
    return Patient.objects.filter(scope_q(user, SMD_VIEW) | scope_q(user, SMD_BASIC)).select_related("person", "doctor")


def glass_broken(user) -> set[int]:
    """Ids of the patients whose clinical details ``user`` may read now through an open break-the-glass grant."""
    return set(breakglass.active(BreakGlass.objects.filter(user=user)).values_list("patient_id", flat=True))


def may_see_clinical(user, patient: Patient, broken: set[int] | None = None) -> bool:
    if path_in_scope(user, SMD_VIEW, patient.org_path):
        return True
    return patient.pk in (glass_broken(user) if broken is None else broken)


def may_follow_up(user, patient: Patient) -> bool:
    return path_in_scope(user, SMD_VIEW, patient.org_path)


def get_patient(user, pk) -> tuple[Patient, bool]:
    """The patient and whether the user may see clinical details; audited either way (the purpose says how)."""
    patient = visible_patients(user).get(pk=pk)
    treating = path_in_scope(user, SMD_VIEW, patient.org_path)
    clinical = treating or patient.pk in glass_broken(user)
    audit.record(user, audit.Action.READ, obj=patient, person=patient.person, org_path=patient.org_path,
                 purpose="smd" if treating else "smd break-glass" if clinical else "smd basic")
    return patient, clinical


def record_listing(user, patients) -> None:
    audit.record_person_reads(user, [p.person for p in patients], action=audit.Action.SEARCH, purpose="smd")


def worklist(user, today: datetime.date | None = None) -> dict:
    """The doctor's worklist: follow-ups due this week (today to Sunday), overdue, and patients in the register not
    followed up at all this calendar year."""
    today = today or timezone.localdate()
    end_of_week = today + datetime.timedelta(days=6 - today.weekday())
    tasks = Task.objects.filter(scope_q(user, SMD_VIEW), state=Task.State.DUE, patient__status=Status.IN_REGISTER).select_related("patient__person")
    seen_this_year = FollowUp.objects.filter(patient=OuterRef("pk"), date__year=today.year, lost_reason="", death_date__isnull=True)
    never = clinical_patients(user).filter(status=Status.IN_REGISTER).exclude(Exists(seen_this_year))
    return {
        "due": list(tasks.filter(due__gte=today, due__lte=end_of_week).order_by("due")),
        "overdue": list(tasks.filter(due__lt=today).order_by("due")),
        "never": list(never.order_by("pk")[:500]),
        "today": today, "end_of_week": end_of_week,
    }


def follow_ups(patient: Patient) -> QuerySet[FollowUp]:
    """Follow-ups of a patient already fetched (and audited) through ``get_patient``."""
    return patient.follow_ups.select_related("doctor").order_by("-date", "-id")
