"""The SMD register entry in a transfer to another city running the platform (issue 17; the package, its crypto and
the receipt: ``xinli.archives.citytransfer``). This module packs the patient's register entry with its whole
follow-up history and emergency records, creates them at the receiving instance, and closes the sender's entry as
moved out (迁出) on the receipt.

* At the receiving city the patient is registered (source "transferred in", registered and moved in today; a
  patient who left the register there before is re-opened with their history, see ``services.register_patient``)
  by the importing doctor, who becomes the responsible doctor; the follow-ups and emergencies are written as they
  were recorded (no alert, no team convened). A patient already in the register there is refused (the same package
  twice).
* :func:`export_package`, :func:`import_package` and :func:`close_with_receipt` are the patient-centred entry points
  the ``transfer_patient`` command uses; they call the archive's package, which carries every holder's records.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from xinli.archives import citytransfer
from xinli.core.archive.container import ArchiveError
from xinli.core.policy import SMD_FOLLOWUP
from xinli.core.scoping import path_in_scope

from . import services
from .models import Emergency, FollowUp, Patient, Status

KIND, RECEIPT = citytransfer.KIND, citytransfer.RECEIPT
PATIENT_FIELDS = ("diagnosis", "diagnosed_by", "diagnosed_on", "residence", "guardian_name", "guardian_phone",
                  "consent_community", "consent_on", "poor", "insured", "management_level")
FOLLOW_UP_FIELDS = sorted(services.FOLLOW_UP_FIELDS | {"classification", "next_due"})
EMERGENCY_FIELDS = ("trigger", "occurred_at", "actions", "police", "ambulance", "outcome", "completed_at")
_DATES = ("date", "death_date", "next_due", "diagnosed_on", "consent_on")
_TIMES = ("occurred_at", "completed_at")


def _value(key, value):
    if isinstance(value, str) and key in _DATES:
        return datetime.date.fromisoformat(value)
    if isinstance(value, str) and key in _TIMES:
        return datetime.datetime.fromisoformat(value)
    return value


def pack(person) -> list[dict]:
    patient = Patient.objects.filter(person=person, status=Status.IN_REGISTER).first()
    if patient is None:
        return []
    plain = citytransfer.plain
    return [{f: plain(getattr(patient, f)) for f in PATIENT_FIELDS}
            | {"registered_on": patient.registered_on.isoformat(), "org_path": patient.org_path,
               "follow_ups": [{f: plain(getattr(fu, f)) for f in FOLLOW_UP_FIELDS}
                              for fu in patient.follow_ups.order_by("date", "id")],
               "emergencies": [{f: plain(getattr(e, f)) for f in EMERGENCY_FIELDS}
                               for e in patient.emergencies.order_by("occurred_at", "id")]}]


def unpack(actor, person, unit, rows: list[dict]) -> int:
    if not path_in_scope(actor, SMD_FOLLOWUP, unit.path):
        raise PermissionDenied
    row = rows[0]
    data_in = {k: _value(k, v) for k, v in row.items() if k in PATIENT_FIELDS}
    today = timezone.localdate()
    patient = services.register_patient(actor, person, {**data_in, "source": "transfer", "registered_on": today})
    fus = [FollowUp(patient=patient, doctor=None, **{k: _value(k, v) for k, v in fu.items() if k in FOLLOW_UP_FIELDS})
           .place_under(patient) for fu in row.get("follow_ups", [])]
    FollowUp.objects.bulk_create(fus)
    ems = [Emergency(patient=patient, created_by=None, **{k: _value(k, v) for k, v in e.items() if k in EMERGENCY_FIELDS})
           .place_under(patient) for e in row.get("emergencies", [])]
    for e in ems:  # encrypted fields: saved one by one
        e.save()
    last = max(fus, key=lambda r: r.date, default=None)
    changes = {"moved_in_on": today}
    if last is not None:
        changes |= {"last_follow_up": last.date, "classification": last.classification, "risk": last.risk}
    Patient.objects.filter(pk=patient.pk).update(**changes)
    return 1 + len(fus) + len(ems)


def close(actor, person, reason: str, on) -> int:
    patient = Patient.objects.filter(person=person, status=Status.IN_REGISTER).first()
    if patient is None:
        return 0  # closed already
    services.change_status(actor, patient, status=Status.MOVED_OUT, reason=reason[:200], on=on)
    return 1


# --- the patient-centred entry points (the transfer_patient command) -----------------------------------------------

def export_package(actor, patient: Patient, key: bytes, *, to: str) -> tuple[bytes, str]:
    """The package of ``patient``'s person (every managed record). Who may call: ``smd.followup`` over the patient."""
    if not path_in_scope(actor, SMD_FOLLOWUP, patient.org_path):
        raise PermissionDenied
    if patient.status != Status.IN_REGISTER:
        raise ArchiveError("患者不在册，无需迁出 / the patient is not in the register: nothing to transfer")
    return citytransfer.export_package(actor, patient.person, key, to=to)


def import_package(actor, data: bytes, key: bytes, *, unit) -> tuple[Patient | None, bytes]:
    """The patient imported (None when the package held no SMD entry: its other records were imported) and the
    receipt."""
    person, receipt, _counts = citytransfer.import_package(actor, data, key, unit=unit)
    return Patient.objects.filter(person=person).first(), receipt


def close_with_receipt(actor, package: bytes, receipt: bytes, key: bytes) -> Patient:
    person, _counts = citytransfer.close_with_receipt(actor, package, receipt, key)
    patient = Patient.objects.filter(person=person).first()
    if patient is None:
        raise ArchiveError("本地找不到该患者 / the patient of this package is not in this instance")
    return patient


def _mac(key: bytes, body: dict) -> str:
    return citytransfer._mac(key, body)
