"""What the SMD register hands over when a patient moves (``xinli.archives.transfers``): the patient's register entry
with its pending follow-up tasks (the reminders follow the task). Follow-ups already recorded keep the unit where they
were done (history); the indicators count them for the patient wherever they were done."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinli.archives import transfers
from xinli.core import audit
from xinli.core.policy import SMD_FOLLOWUP
from xinli.core.scoping import path_in_scope

from . import citytransfer
from .models import Diagnosis, Patient, Status, Task, TeamMember, TeamRole


def describe(person) -> list[transfers.Held]:
    patient = Patient.objects.filter(person=person, status=Status.IN_REGISTER).first()
    if patient is None:
        return []
    due = patient.tasks.filter(state=Task.State.DUE).count()
    return [transfers.Held(patient.pk, patient.org_path, {"diagnosis": patient.diagnosis, "tasks": due,
                                                          "classification": patient.classification})]


def move(actor, object_id: int, to_unit, receiver) -> None:
    """The register entry and its pending tasks now belong to ``to_unit``; the responsible doctor becomes the accepting
    doctor (or none when they do not follow up patients there); the case team's doctor slot follows. The move-in
    day starts T12's interval."""
    patient = Patient.objects.select_for_update().get(pk=object_id)
    doctor = receiver if receiver is not None and path_in_scope(receiver, SMD_FOLLOWUP, to_unit.path) else None
    previous = patient.doctor_id
    patient.place_under(to_unit)
    Patient.objects.filter(pk=patient.pk).update(org_path=patient.org_path, county_code=patient.county_code, doctor=doctor,
                                                 moved_in_on=timezone.localdate())
    Task.objects.filter(patient=patient, state=Task.State.DUE).update(org_path=patient.org_path, county_code=patient.county_code,
                                                                      reminded=[])
    TeamMember.objects.filter(patient=patient).update(county_code=patient.county_code)
    TeamMember.objects.filter(patient=patient, role=TeamRole.DOCTOR).update(user=doctor)
    audit.record(actor, audit.Action.UPDATE, obj=patient, person=patient.person, org_path=patient.org_path,
                 detail={"transferred_to": to_unit.pk, "doctor": getattr(doctor, "pk", None), "previous": previous})


def label(detail: dict) -> str:
    diagnosis = detail.get("diagnosis")
    name = str(Diagnosis(diagnosis).label) if diagnosis in Diagnosis.values else ""
    text = (_("Severe mental disorder register entry (%(diagnosis)s)") % {"diagnosis": name} if name
            else _("Severe mental disorder register entry"))
    if detail.get("tasks"):
        text += _(", with %(n)s pending follow-up") % {"n": detail["tasks"]}
    return text


transfers.register(transfers.Holder("smd.patient", SMD_FOLLOWUP, describe, move, label, order=10,
                                    name=gettext_lazy("Severe mental disorder register entry"),
                                    pack=citytransfer.pack, unpack=citytransfer.unpack, close=citytransfer.close))
