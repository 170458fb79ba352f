"""Every write of the field app (docs/field.md): registering and revoking devices, and the sync — each form a device
queued offline is applied in order, in its own transaction, through the owning app's service (SMD follow-up,
assessment, concern → alert) or a field note (home-visit note, photo of a signed paper form). The same client id
from the same device is applied once: its stored outcome is returned again and nothing is written.

The server decides conflicts (the task done meanwhile, the patient dead, moved away or out of the register, the
record changed since the pack): the worker's entry is then kept as a note on the person (``FieldNote`` of kind
``conflict``) and shown in the answer. A refused item (invalid input) writes nothing; the client may fix it and send
it again with the same client id."""

from __future__ import annotations

import base64
import binascii
import datetime
import json

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.archives.models import Person, PersonStatus, Transfer
from xinli.core import audit
from xinli.core.i18n import bilingual, field_error, generic_message
from xinli.core.policy import ALERTS_WORK, FIELD_SYNC, SCREENING_ADMINISTER, SECURITY_MANAGE, SMD_FOLLOWUP
from xinli.core.scoping import has_capability, path_in_scope, scope_paths
from xinli.core.uploads import size_problem
from xinli.smd.models import FollowUp, Patient, Status, Task

from . import selectors
from .models import Device, FieldNote, ScheduledVisit, SyncItem

KINDS = ("smd_follow_up", "assessment", "home_visit_note", "concern", "attachment_photo", "schedule_visit",
         "emergency_complete", "crisis_contact", "transfer_decision", "plan_review")
MAX_ITEMS = 100
MAX_VISIT_AHEAD_DAYS = 366  # a visit is scheduled at most a year ahead
PHOTO_TYPES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
ABOUT_TYPES = {"smd.followup": FollowUp, "smd.patient": Patient}


class DeviceRevoked(Exception):
    """The device was revoked or its account disabled: the client must wipe its store."""


# --- devices -----------------------------------------------------------------------------------------------------

def register_device(actor, *, label: str) -> Device:
    if not has_capability(actor, FIELD_SYNC):
        raise PermissionDenied
    label = (label or "").strip()
    if not label or len(label) > 60:
        raise field_error("label", _("Device name: 1 to 60 characters, e.g. the phone's model."))
    with transaction.atomic():
        device = Device.objects.create(user=actor, label=label)
        audit.record(actor, audit.Action.SECURITY, obj=device, detail={"device": str(device.public_id), "registered": True})
    return device


def revoke_device(actor, device: Device) -> Device:
    """The security administrator (over the device owner's units) revokes a device; its next call is told to wipe."""
    from xinli.accounts.selectors import managed_user

    if not has_capability(actor, SECURITY_MANAGE) or managed_user(actor, device.user.username) is None:
        raise PermissionDenied
    with transaction.atomic():
        if Device.objects.filter(pk=device.pk, revoked_at__isnull=True).update(revoked_at=timezone.now(), revoked_by=actor) != 1:
            raise field_error("device", _("Device: already revoked."))
        device.refresh_from_db()
        audit.record(actor, audit.Action.SECURITY, obj=device, detail={"device": str(device.public_id), "revoked": True,
                                                                       "user": device.user_id})
    return device


def check_device(device: Device | None, actor) -> Device:
    """The caller's own active device, or ``DeviceRevoked`` (recorded once as the wipe order given)."""
    if device is None or actor is None or device.user_id != actor.pk:  # another user's device is unknown to the caller
        raise field_error("device", _("Device: unknown device id; register the device first (POST /api/v1/field/devices/)."))
    if device.revoked_at is not None or not device.user.is_active:
        tell_wipe(device)
        raise DeviceRevoked
    return device


def tell_wipe(device: Device) -> None:
    if device.wipe_sent_at is None:
        with transaction.atomic():
            if Device.objects.filter(pk=device.pk, wipe_sent_at__isnull=True).update(wipe_sent_at=timezone.now()):
                audit.record(None, audit.Action.SECURITY, obj=device, detail={"device": str(device.public_id), "wipe": True,
                                                                              "user": device.user_id})


# --- field notes ---------------------------------------------------------------------------------------------------

def add_home_visit_note(actor, person: Person, *, text: str, visited_on: datetime.date, device_time=None) -> FieldNote:
    """A worker's note of a home visit, on a person of their area (``field.sync`` there)."""
    if not path_in_scope(actor, FIELD_SYNC, person.org_path):
        raise PermissionDenied
    text = (text or "").strip()
    if not text or len(text) > 5000:
        raise field_error("text", _("Note: describe the visit (1 to 5000 characters)."))
    if visited_on is None or visited_on > timezone.localdate():
        raise field_error("date", _("Date: the day of the visit, not in the future."))
    with transaction.atomic():
        note = FieldNote(person=person, kind=FieldNote.Kind.HOME_VISIT, text=text, visited_on=visited_on, author=actor,
                         device_time=device_time).place_under(person)
        note.save()
        audit.record(actor, audit.Action.CREATE, obj=note, person=person, detail={"kind": note.kind})
    return note


def keep_conflict(actor, person: Person, *, reason: str, message: str, entry: dict, about_type: str = "", about_id=None,
                  device_time=None) -> FieldNote:
    """Keep a worker's entry the server did not apply as a note on the person (nothing they entered is lost)."""
    with transaction.atomic():
        note = FieldNote(person=person, kind=FieldNote.Kind.CONFLICT, text=message,
                         entry=json.dumps(entry, ensure_ascii=False, default=str), about_type=about_type, about_id=about_id,
                         author=actor, device_time=device_time).place_under(person)
        note.save()
        audit.record(actor, audit.Action.CREATE, obj=note, person=person, detail={"kind": note.kind, "reason": reason})
    return note


def attach_photo(actor, person: Person, *, content_type: str, data: str, about_type: str = "", about_id=None,
                 text: str = "", device_time=None) -> FieldNote:
    """A photo of a signed paper form (JPEG or PNG, at most ``XINLI_FIELD_MAX_PHOTO_BYTES``) attached to the person,
    and to one of their records when ``about_type``/``about_id`` name it."""
    if not path_in_scope(actor, FIELD_SYNC, person.org_path):
        raise PermissionDenied
    if content_type not in PHOTO_TYPES:
        raise field_error("content_type", _("Photo type: JPEG or PNG (image/jpeg, image/png)."))
    try:
        raw = base64.b64decode(data or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise field_error("data", _("Photo: not valid base64; send the image bytes base64-encoded.")) from None
    if not raw:
        raise field_error("data", _("Photo: empty; take the photo again."))
    limit = settings.XINLI_FIELD_MAX_PHOTO_BYTES
    problem = size_problem(len(raw))
    if problem or len(raw) > limit:
        raise field_error("data", _("Photo: larger than {limit} KB; take it again at a lower resolution."), limit=limit // 1024)
    if not raw.startswith(PHOTO_TYPES[content_type]):
        raise field_error("data", _("Photo: the file is not the declared type (JPEG or PNG); take the photo again."))
    if about_type:
        model = ABOUT_TYPES.get(about_type)
        if model is None:
            raise field_error("about", _("Record: one of {choices}."), choices=", ".join(ABOUT_TYPES))
        owner = "patient__person" if model is FollowUp else "person"
        if not model.objects.filter(pk=about_id, **{owner: person}).exists():
            raise field_error("about", _("Record: not a record of this person; check the record id."))
    with transaction.atomic():
        note = FieldNote(person=person, kind=FieldNote.Kind.PHOTO, photo=base64.b64encode(raw).decode(), content_type=content_type,
                         text=(text or "").strip()[:500], about_type=about_type, about_id=about_id, author=actor,
                         device_time=device_time).place_under(person)
        note.save()
        audit.record(actor, audit.Action.CREATE, obj=note, person=person,
                     detail={"kind": note.kind, "bytes": len(raw), "about": f"{about_type}:{about_id}" if about_type else ""})
    return note


# --- scheduled home visits ---------------------------------------------------------------------------------------

class VisitClosed(Exception):
    """The scheduled visit is no longer open (done by a colleague, or cancelled)."""

    def __init__(self, visit: ScheduledVisit):
        super().__init__(visit.state)
        self.visit = visit


def _visit_day(value) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def schedule_visit(actor, person: Person, *, visit_on: datetime.date, purpose: str = "", device_time=None,
                   field: str = "date") -> ScheduledVisit:
    """Schedule a home visit to ``person`` (in the actor's area for ``field.sync``) on ``visit_on`` (today up to a
    year ahead), assigned to the actor. ``purpose`` is kept encrypted."""
    if not path_in_scope(actor, FIELD_SYNC, person.org_path):
        raise PermissionDenied
    today = timezone.localdate()
    if visit_on is None or not today <= visit_on <= today + datetime.timedelta(days=MAX_VISIT_AHEAD_DAYS):
        raise field_error(field, _("Visit date: a day from today to one year ahead, as YYYY-MM-DD."))
    purpose = (purpose or "").strip() if isinstance(purpose, str) else None
    if purpose is None or len(purpose) > 1000:
        raise field_error("purpose", _("Purpose: text of at most 1000 characters."))
    if person.status == PersonStatus.DECEASED:
        raise field_error("person", _("Person: the person has died; no visit can be scheduled."))
    with transaction.atomic():
        visit = ScheduledVisit(person=person, visit_on=visit_on, purpose=purpose, scheduled_by=actor, assigned_to=actor,
                               ).place_under(person)
        visit.save()
        audit.record(actor, audit.Action.CREATE, obj=visit, person=person,
                     detail={"visit_on": visit_on.isoformat(), "device_time": device_time.isoformat() if device_time else None})
    return visit


def _open_visit_for(actor, visit: ScheduledVisit) -> None:
    if not path_in_scope(actor, FIELD_SYNC, visit.org_path):
        raise PermissionDenied


def complete_visit(actor, visit: ScheduledVisit, *, note: FieldNote | None = None) -> ScheduledVisit:
    """Mark an open scheduled visit done (by the actor, in whose area it is), with the home-visit note that closed it.
    ``VisitClosed`` when it was done or cancelled meanwhile (the conditional update decides a race)."""
    _open_visit_for(actor, visit)
    now = timezone.now()
    with transaction.atomic():
        if ScheduledVisit.objects.filter(pk=visit.pk, state=ScheduledVisit.State.OPEN).update(
                state=ScheduledVisit.State.DONE, done_by=actor, done_at=now, done_note=note) != 1:
            visit.refresh_from_db()
            raise VisitClosed(visit)
        visit.refresh_from_db()
        audit.record(actor, audit.Action.UPDATE, obj=visit, person=visit.person,
                     detail={"state": visit.state, "note": note.pk if note else None})
    return visit


def cancel_visit(actor, visit: ScheduledVisit) -> ScheduledVisit:
    """Cancel an open scheduled visit (the actor holds ``field.sync`` over it)."""
    _open_visit_for(actor, visit)
    with transaction.atomic():
        if ScheduledVisit.objects.filter(pk=visit.pk, state=ScheduledVisit.State.OPEN).update(
                state=ScheduledVisit.State.CANCELLED, done_by=actor, done_at=timezone.now()) != 1:
            raise field_error("visit", _("Visit: no longer open (done or cancelled already)."))
        visit.refresh_from_db()
        audit.record(actor, audit.Action.UPDATE, obj=visit, person=visit.person, detail={"state": visit.state})
    return visit


# --- sync ----------------------------------------------------------------------------------------------------------

class Conflict(Exception):
    def __init__(self, person, reason: str, message: str, about_type: str = "", about_id=None, **detail):
        super().__init__(reason)
        self.person, self.reason, self.message = person, reason, message
        self.about_type, self.about_id, self.detail = about_type, about_id, detail


def _serializer_problem(serializer_class, data) -> dict:
    """Validated data of ``serializer_class``, or a bilingual ValidationError naming each wrong field."""
    serializer = serializer_class(data=data)
    if serializer.is_valid():
        return serializer.validated_data
    errors = {}
    for name, messages in serializer.errors.items():
        field = serializer.fields.get(name)
        label = field.label if field is not None and field.label else name
        errors[name] = [generic_message(getattr(m, "code", "invalid"), label) or f"{name}: {m}" for m in messages]
    raise ValidationError(errors)


def _moved_away(actor, person: Person, capability: str) -> bool:
    """``person`` left the actor's area: a transfer from a unit where the actor holds ``capability`` (so the pack
    could have held them)."""
    paths = scope_paths(actor, capability)
    return any(t.from_path.startswith(p) for t in Transfer.objects.filter(person=person).only("from_path") for p in paths)


def _person(actor, pk, capability: str, field: str = "person") -> Person:
    """The person a form is about: in the actor's area for ``capability``, or a conflict when they moved away or
    died; someone the actor never had is "not found" (the same answer as an unknown id)."""
    person = Person.objects.filter(pk=pk).select_related("org_unit").first() if _is_id(pk) else None
    if person is None:
        raise field_error(field, _("Person: not found in your area; check the person id."))
    in_area = path_in_scope(actor, capability, person.org_path)
    if person.status == PersonStatus.DECEASED and (in_area or _moved_away(actor, person, capability)):
        raise Conflict(person, "deceased", bilingual(_("The person has died; your entry is kept as a note on the record.")))
    if not in_area:
        if _moved_away(actor, person, capability):
            raise Conflict(person, "transferred", bilingual(_("The person moved to another area; your entry is kept as a note "
                                                              "on the record for the receiving unit.")))
        raise field_error(field, _("Person: not found in your area; check the person id."))
    return person


def _is_id(value) -> bool:
    """A record id in a form: a positive whole number (not a bool, not a string)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _require_dict(payload, name: str = "payload") -> dict:
    if not isinstance(payload, dict):
        raise field_error(name, _("{name}: expected an object."), name=name)
    return payload


def _smd_follow_up(actor, item):
    from xinli.smd import selectors as smd_selectors
    from xinli.smd.api import FollowUpInputSerializer
    from xinli.smd.services import record_follow_up

    payload = _require_dict(item["payload"])
    patient_id, task_id = payload.get("patient"), payload.get("task")
    patient = Patient.objects.filter(pk=patient_id).select_related("person").first() if _is_id(patient_id) else None
    if patient is None:
        raise field_error("patient", _("Patient: not found in your area; check the patient id."))
    person = patient.person
    treating = smd_selectors.may_follow_up(actor, patient)
    if not treating and not _moved_away(actor, person, SMD_FOLLOWUP):
        raise field_error("patient", _("Patient: not found in your area; check the patient id."))
    data = _serializer_problem(FollowUpInputSerializer, _require_dict(payload.get("follow_up"), "follow_up"))
    task = None
    if task_id is not None:
        task = Task.objects.filter(pk=task_id, patient=patient).select_related("patient").first() if _is_id(task_id) else None
        if task is None:
            raise field_error("task", _("Task: not a follow-up task of this patient; check the task id."))
    about = ("smd.task", task.pk) if task else ("smd.patient", patient.pk)
    if patient.status == Status.DIED:
        raise Conflict(person, "deceased", bilingual(_("The patient has died; your entry is kept as a note on the record.")), *about)
    if patient.status != Status.IN_REGISTER:
        raise Conflict(person, "left_register", bilingual(_("The patient is no longer in the register ({status}); your entry "
                                                            "is kept as a note on the record."), status=patient.get_status_display()), *about)
    if not treating:
        raise Conflict(person, "transferred", bilingual(_("The patient moved to another area; your entry is kept as a note on "
                                                          "the record for the receiving unit.")), *about)
    if task is not None and task.state != Task.State.DUE:
        done = FollowUp.objects.filter(pk=task.done_by_id).select_related("doctor").first() if task.done_by_id else None
        by = str(done.doctor.display_name or done.doctor.username) if done and done.doctor else ""
        raise Conflict(person, "task_done", bilingual(_("This follow-up was already recorded on {day} by {by}; your entry is "
                                                        "kept as a note on the record."),
                                                      day=task.done_on.isoformat() if task.done_on else "-", by=by or "-"),
                       *about, done_on=task.done_on.isoformat() if task.done_on else None, follow_up=task.done_by_id)
    base = item.get("base_version") or ""
    if task is not None and base and base != selectors.smd_task_version(task):
        raise Conflict(person, "changed", bilingual(_("The record changed since your task pack was downloaded; your entry "
                                                      "is kept as a note on the record. Download a new pack.")), *about)
    fu = record_follow_up(actor, patient, dict(data))
    return person, fu, {"follow_up": fu.pk, "classification": fu.classification, "next_due": fu.next_due.isoformat() if fu.next_due else None,
                        "task_closed": task.pk if task else None}


def _assessment(actor, item):
    from xinli.screening.services import administer

    payload = _require_dict(item["payload"])
    scale = payload.get("scale")
    if not isinstance(scale, str) or not scale:
        raise field_error("scale", _("Instrument: give its code, e.g. phq9."))
    person = _person(actor, payload.get("person"), SCREENING_ADMINISTER)
    sex = payload.get("sex") if payload.get("sex") in ("male", "female") else None
    assessment, _created = administer(actor, scale=scale, answers=payload.get("answers"), person=person, sex=sex,
                                      idempotency_key=f"field:{item['client_id']}")
    from xinli.screening.services import band_label

    return person, assessment, {"assessment": assessment.pk, "scale": assessment.scale, "total": str(assessment.total),
                                "band": assessment.band, "band_label": band_label(assessment), "severity": assessment.severity}


def _home_visit_note(actor, item):
    payload = _require_dict(item["payload"])
    person = _person(actor, payload.get("person"), FIELD_SYNC)
    day = payload.get("date")
    try:
        visited_on = datetime.date.fromisoformat(day) if isinstance(day, str) else None
    except ValueError:
        visited_on = None
    if visited_on is None:
        raise field_error("date", _("Date: the day of the visit as YYYY-MM-DD."))
    visit = None
    if payload.get("visit") is not None:
        visit_id = payload.get("visit")
        visit = ScheduledVisit.objects.filter(pk=visit_id, person=person).first() if _is_id(visit_id) else None
        if visit is None or not path_in_scope(actor, FIELD_SYNC, visit.org_path):
            raise field_error("visit", _("Visit: not a scheduled visit of this person in your area; check the visit id."))
    next_visit = payload.get("next_visit")
    if next_visit is not None:
        next_visit = _require_dict(next_visit, "next_visit")
    about = ("field.scheduledvisit", visit.pk) if visit else ("", None)
    if visit is not None:
        _visit_conflicts(visit, item, about)
    try:
        with transaction.atomic():  # the note, the visit done and the next one scheduled: all three or none
            note = add_home_visit_note(actor, person, text=payload.get("text") if isinstance(payload.get("text"), str) else "",
                                       visited_on=visited_on, device_time=item["device_time"])
            result = {"note": note.pk}
            if visit is not None:
                complete_visit(actor, visit, note=note)
                result["visit_done"] = visit.pk
            if next_visit is not None:
                nxt = schedule_visit(actor, person, visit_on=_visit_day(next_visit.get("date")),
                                     purpose=next_visit.get("purpose", ""), device_time=item["device_time"], field="next_visit.date")
                result["next_visit"] = {"visit": nxt.pk, "date": nxt.visit_on.isoformat()}
    except VisitClosed:  # closed between the check above and now (a colleague's sync): the same conflict
        raise _closed_conflict(visit, about) from None
    return person, note, result


def _closed_conflict(visit: ScheduledVisit, about) -> Conflict:
    if visit.state == ScheduledVisit.State.CANCELLED:
        return Conflict(visit.person, "cancelled", bilingual(_("This scheduled visit was cancelled; your entry is kept as a note "
                                                               "on the record.")), *about)
    by = visit.done_by.display_name or visit.done_by.username if visit.done_by else ""
    day = timezone.localtime(visit.done_at).date().isoformat() if visit.done_at else "-"
    return Conflict(visit.person, "task_done", bilingual(_("This visit was already recorded on {day} by {by}; your entry is "
                                                           "kept as a note on the record."), day=day, by=by or "-"),
                    *about, done_on=day, note=visit.done_note_id)


def _visit_conflicts(visit: ScheduledVisit, item, about) -> None:
    """The conflict rules of a form completing a scheduled visit: done or cancelled meanwhile, or changed since the pack
    (e.g. moved to another day)."""
    if visit.state != ScheduledVisit.State.OPEN:
        raise _closed_conflict(visit, about)
    base = item.get("base_version") or ""
    if base and base != selectors.visit_version(visit):
        raise Conflict(visit.person, "changed", bilingual(_("The record changed since your task pack was downloaded; your entry "
                                                            "is kept as a note on the record. Download a new pack.")), *about)


def _schedule_visit(actor, item):
    payload = _require_dict(item["payload"])
    person = _person(actor, payload.get("person"), FIELD_SYNC)
    visit = schedule_visit(actor, person, visit_on=_visit_day(payload.get("date")), purpose=payload.get("purpose", ""),
                           device_time=item["device_time"])
    return person, visit, {"visit": visit.pk, "date": visit.visit_on.isoformat()}


def _concern(actor, item):
    from xinli.alerts.models import Level
    from xinli.alerts.services import report
    from xinli.regions.models import OrgUnit

    payload = _require_dict(item["payload"])
    level = payload.get("level", Level.YELLOW)
    if level not in Level.values:
        raise field_error("level", _("Level: red, orange or yellow."))
    summary = payload.get("summary") if isinstance(payload.get("summary"), str) else ""
    if len(summary) > 2000:
        raise field_error("summary", _("Summary: at most 2000 characters."))
    person = unit = None
    if payload.get("person") is not None:
        person = _person(actor, payload.get("person"), FIELD_SYNC)
    elif _is_id(payload.get("org_unit")):
        unit = OrgUnit.objects.filter(pk=payload["org_unit"]).first()
        if unit is None:
            raise field_error("org_unit", _("Org unit: not found in your area; check the org unit id."))
    alert = report(actor, level=level, summary=summary, person=person, org_unit=unit, emergency=payload.get("emergency") is True)
    return person or unit, alert, {"alert": alert.pk, "level": alert.level}


def _attachment_photo(actor, item):
    payload = _require_dict(item["payload"])
    person = _person(actor, payload.get("person"), FIELD_SYNC)
    about = payload.get("about") or {}
    about = _require_dict(about, "about")
    note = attach_photo(actor, person, content_type=payload.get("content_type") or "", data=payload.get("data") or "",
                        about_type=about.get("type") or "", about_id=about.get("id") if _is_id(about.get("id")) else None,
                        text=payload.get("text") if isinstance(payload.get("text"), str) else "", device_time=item["device_time"])
    return person, note, {"note": note.pk}


def _text(payload: dict, name: str, limit: int = 2000) -> str:
    value = payload.get(name)
    if value is not None and not isinstance(value, str):
        raise field_error(name, _("{name}: text."), name=name)
    if value and len(value) > limit:
        raise field_error(name, _("{name}: at most {n} characters."), name=name, n=limit)
    return (value or "").strip()


def _emergency_complete(actor, item):
    """The emergency record completed on the phone (within 24 h of the emergency): ``smd.services.complete_emergency``."""
    from xinli.smd import selectors as smd_selectors
    from xinli.smd.models import Emergency
    from xinli.smd.services import complete_emergency

    payload = _require_dict(item["payload"])
    em_id = payload.get("emergency")
    em = Emergency.objects.filter(pk=em_id).select_related("patient__person").first() if _is_id(em_id) else None
    if em is None or not smd_selectors.may_follow_up(actor, em.patient):
        raise field_error("emergency", _("Emergency: not an emergency record of a patient you follow up; check the id."))
    about = ("smd.emergency", em.pk)
    if em.completed_at is not None:
        raise Conflict(em.patient.person, "task_done", bilingual(_("This emergency record was already completed on {day}; your "
                                                                   "entry is kept as a note on the record."),
                                                                 day=timezone.localtime(em.completed_at).date().isoformat()), *about)
    base = item.get("base_version") or ""
    if base and base != selectors.emergency_version(em):
        raise Conflict(em.patient.person, "changed", bilingual(_("The record changed since your task pack was downloaded; your "
                                                                 "entry is kept as a note on the record. Download a new pack.")), *about)
    flags = {k: payload[k] for k in ("police", "ambulance") if isinstance(payload.get(k), bool)}
    em = complete_emergency(actor, em, actions=_text(payload, "actions"), outcome=_text(payload, "outcome"), **flags)
    return em.patient.person, em, {"emergency": em.pk, "completed_at": em.completed_at.isoformat()}


def _crisis_contact(actor, item):
    """A post-crisis follow-up contact made (7/30/90 days after a high-risk case, or with a person affected by a group
    crisis): ``alerts.crisis.complete_follow_up`` with the worker's note."""
    from xinli.alerts import crisis
    from xinli.alerts.models import FollowUp as CrisisFollowUp

    payload = _require_dict(item["payload"])
    fu_id = payload.get("follow_up")
    fu = CrisisFollowUp.objects.filter(pk=fu_id).select_related("case__person", "affected__person").first() if _is_id(fu_id) else None
    if fu is None or not path_in_scope(actor, ALERTS_WORK, fu.org_path):
        raise field_error("follow_up", _("Follow-up: not a crisis follow-up of your area; check the id."))
    person = fu.case.person if fu.case_id else (fu.affected.person if fu.affected_id else None)
    if person is None:  # someone affected by a group crisis who is not in the archive: recorded on the staff pages
        raise field_error("follow_up", _("Follow-up: of someone not in the archive; record it on the crisis event's page."))
    about = ("alerts.followup", fu.pk)
    if fu.done_at is not None:
        by = fu.done_by.display_name or fu.done_by.username if fu.done_by else "-"
        raise Conflict(person, "task_done", bilingual(_("This follow-up was already recorded on {day} by {by}; your entry is "
                                                        "kept as a note on the record."),
                                                      day=timezone.localtime(fu.done_at).date().isoformat(), by=by), *about)
    base = item.get("base_version") or ""
    if base and base != selectors.crisis_follow_up_version(fu):
        raise Conflict(person, "changed", bilingual(_("The record changed since your task pack was downloaded; your entry "
                                                      "is kept as a note on the record. Download a new pack.")), *about)
    note = _text(payload, "note")
    if not note:
        raise field_error("note", _("Note: say how the person is and what was done."))
    fu = crisis.complete_follow_up(actor, fu, note=note)
    return person, fu, {"follow_up": fu.pk}


def _transfer_decision(actor, item):
    """A resident who moved here: accepted, or returned with a reason (e.g. not found at the address) —
    ``archives.transfers.accept`` / ``return_transfer`` on the items the worker may decide."""
    from xinli.archives import transfers

    payload = _require_dict(item["payload"])
    t_id = payload.get("transfer")
    transfer = Transfer.objects.filter(pk=t_id).select_related("person").first() if _is_id(t_id) else None
    if transfer is None or not any(transfers.may_decide(actor, i) for i in transfer.items.all()):
        raise field_error("transfer", _("Transfer: not one waiting for your acceptance; check the id."))
    decision = payload.get("decision")
    if decision not in ("accept", "return"):
        raise field_error("decision", _("Decision: accept or return."))
    about = ("archives.transfer", transfer.pk)
    if transfer.status != Transfer.Status.PENDING:
        raise Conflict(transfer.person, "task_done", bilingual(_("This transfer was already decided ({status}); your entry is "
                                                                 "kept as a note on the record."), status=transfer.get_status_display()),
                       *about)
    base = item.get("base_version") or ""
    if base and base != selectors.transfer_version(transfer):
        raise Conflict(transfer.person, "changed", bilingual(_("The record changed since your task pack was downloaded; your "
                                                               "entry is kept as a note on the record. Download a new pack.")), *about)
    if decision == "accept":
        transfer = transfers.accept(actor, transfer)
    else:
        transfer = transfers.return_transfer(actor, transfer, reason=_text(payload, "reason"))
    return transfer.person, transfer, {"transfer": transfer.pk, "status": transfer.status}


def _plan_review(actor, item):
    """A personalised plan reviewed on a visit: the next review day, or the plan closed (``counselling.services.review_plan``)."""
    from xinli.counselling.models import Plan
    from xinli.counselling.services import review_plan

    payload = _require_dict(item["payload"])
    plan_id = payload.get("plan")
    plan = Plan.objects.filter(pk=plan_id).select_related("person").first() if _is_id(plan_id) else None
    if plan is None or plan.worker_id != actor.pk:
        raise field_error("plan", _("Plan: not a plan you are responsible for; check the id."))
    about = ("counselling.plan", plan.pk)
    if plan.state != Plan.State.ACTIVE:
        raise Conflict(plan.person, "task_done", bilingual(_("This plan is already closed; your entry is kept as a note on the "
                                                             "record.")), *about)
    base = item.get("base_version") or ""
    if base and base != selectors.plan_version(plan):
        raise Conflict(plan.person, "changed", bilingual(_("The record changed since your task pack was downloaded; your entry "
                                                           "is kept as a note on the record. Download a new pack.")), *about)
    close = payload.get("close") is True
    next_review = None
    if not close:
        day = payload.get("next_review")
        try:
            next_review = datetime.date.fromisoformat(day) if isinstance(day, str) else None
        except ValueError:
            next_review = None
    plan = review_plan(actor, plan, next_review=next_review, close=close, note=_text(payload, "note"))
    return plan.person, plan, {"plan": plan.pk, "state": plan.state, "review_on": plan.review_on.isoformat() if plan.review_on else None}


HANDLERS = {"transfer_decision": _transfer_decision, "plan_review": _plan_review, "emergency_complete": _emergency_complete, "crisis_contact": _crisis_contact,
            "smd_follow_up": _smd_follow_up, "assessment": _assessment, "home_visit_note": _home_visit_note,
            "concern": _concern, "attachment_photo": _attachment_photo, "schedule_visit": _schedule_visit}


def _messages(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


def sync_item(actor, device: Device, item: dict) -> dict:
    """Apply one queued form (validated envelope: client_id, kind, device_time, base_version, payload)."""
    head = {"client_id": str(item["client_id"]), "kind": item["kind"]}
    stored = SyncItem.objects.filter(device=device, client_id=item["client_id"]).first()
    if stored is not None:
        return _replay(stored)
    server_time = timezone.now()
    try:
        with transaction.atomic():
            # One device's items are applied one at a time: the same form sent twice at once (a retry racing the
            # first send) waits here, then finds the first one's outcome.
            Device.objects.select_for_update().filter(pk=device.pk).first()
            stored = SyncItem.objects.filter(device=device, client_id=item["client_id"]).first()
            if stored is not None:
                return _replay(stored)
            try:
                where, obj, result = HANDLERS[item["kind"]](actor, item)
                outcome = SyncItem.Outcome.STORED
                body = head | {"outcome": outcome, "result": result}
                record = {"type": obj._meta.label_lower, "id": obj.pk}
            except Conflict as conflict:
                note = keep_conflict(actor, conflict.person, reason=conflict.reason, message=conflict.message,
                                     entry=item["payload"], about_type=conflict.about_type, about_id=conflict.about_id,
                                     device_time=item["device_time"])
                where, outcome = conflict.person, SyncItem.Outcome.CONFLICT
                body = head | {"outcome": outcome, "reason": conflict.reason, "message": conflict.message,
                               "note": {"id": note.pk, "kind": note.kind, "about": {"type": conflict.about_type, "id": conflict.about_id}}}
                body |= {"detail": conflict.detail} if conflict.detail else {}
                record = {"type": "field.fieldnote", "id": note.pk}
            row = SyncItem.objects.create(device=device, client_id=item["client_id"], kind=item["kind"],
                                          device_time=item["device_time"], received_at=server_time, outcome=outcome, result=body)
            person = where if isinstance(where, Person) else None
            org_path = getattr(where, "org_path", None) or getattr(where, "path", "")
            audit.record(actor, audit.Action.CREATE, obj=row, person=person, org_path=org_path, purpose="field_sync",
                         detail={"kind": item["kind"], "outcome": outcome, "client_id": str(item["client_id"]),
                                 "device": str(device.public_id), "device_time": item["device_time"].isoformat(),
                                 "server_time": server_time.isoformat(), "record": record})
        if outcome == SyncItem.Outcome.CONFLICT:
            body["note"]["entry"] = item["payload"]
        return body
    except ValidationError as exc:
        return head | {"outcome": "refused", "errors": _messages(exc)}
    except (PermissionDenied, ObjectDoesNotExist):
        return head | {"outcome": "refused", "errors": {"non_field_errors": [bilingual(_("Not found in your area, or not allowed for your role."))]}}
    except IntegrityError:
        stored = SyncItem.objects.filter(device=device, client_id=item["client_id"]).first()
        if stored is None:
            raise
        return _replay(stored)


def _replay(stored: SyncItem) -> dict:
    """The answer given the first time for this client id (a conflict's kept entry read back from its note)."""
    body = dict(stored.result) | {"replayed": True}
    note = body.get("note")
    if note:
        kept = FieldNote.objects.filter(pk=note["id"]).first()
        body["note"] = dict(note) | {"entry": json.loads(kept.entry) if kept and kept.entry else None}
    return body


def record_offline_reads(actor, device: Device, reads: list[dict]) -> int:
    """The persons the worker's phone showed while it held them (``{"person", "device_time", "view"}`` each, as the
    app records them in its encrypted store and sends at the next sync): one ``read`` entry per person and time,
    purpose ``field_offline``, with the device's time and the server's. Ids that name no person are skipped (the phone
    reports its own reads; nothing is disclosed by the answer). Returns the entries written."""
    if not reads:
        return 0
    persons = {p.pk: p for p in Person.objects.filter(pk__in={r["person"] for r in reads})}
    server_time = timezone.now().isoformat()
    entries = [{"obj": persons[r["person"]], "person": persons[r["person"]], "purpose": "field_offline",
                "detail": {"device": str(device.public_id), "device_time": r["device_time"].isoformat(), "server_time": server_time,
                           "view": r.get("view", "")}}
               for r in reads if r["person"] in persons]
    audit.record_many(actor, audit.Action.READ, entries)
    return len(entries)


def sync(actor, device: Device, items: list[dict], reads: list[dict] = ()) -> list[dict]:
    """Apply ``items`` in the order given; each in its own transaction. Returns one outcome per item. ``reads``: the
    phone's record of what it showed offline (``record_offline_reads``)."""
    record_offline_reads(actor, device, list(reads))
    results = [sync_item(actor, device, item) for item in items]
    Device.objects.filter(pk=device.pk).update(last_sync_at=timezone.now())
    return results
