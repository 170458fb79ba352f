"""Every write of the service network: institutions, sites and their status periods, staff and certificates.
Writes need ``network.manage`` over the org unit."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc

from xinli.core import audit
from xinli.core.i18n import choice_list, field_error
from xinli.core.policy import NETWORK_MANAGE
from xinli.core.scoping import path_in_scope

from .models import (
    Attendance,
    Certificate,
    Course,
    Education,
    Institution,
    InstitutionKind,
    ManagementGroup,
    Profession,
    Site,
    SiteKind,
    SiteStatus,
    Staff,
    Supervision,
    Volunteer,
    VolunteerService,
)

HOSPITALS = (InstitutionKind.PSYCHIATRIC_HOSPITAL, InstitutionKind.GENERAL_HOSPITAL, InstitutionKind.MATERNAL_CHILD,
             InstitutionKind.TCM_HOSPITAL)


def _require(actor, unit) -> None:
    if not path_in_scope(actor, NETWORK_MANAGE, unit.path):
        raise PermissionDenied


def create_institution(actor, *, org_unit, name: str, kind: str, **fields) -> Institution:
    _require(actor, org_unit)
    if not (name or "").strip():
        raise field_error("name", _("Name: required."))
    if kind not in InstitutionKind.values:
        raise field_error("kind", _("Kind: one of {choices}."), choices=choice_list(InstitutionKind))
    if kind == InstitutionKind.UNIVERSITY and (fields.get("students") is None or fields.get("psychology_teachers") is None):
        raise field_error("students", _("Students and full-time psychology teachers: both are needed for a university (the 1:4000 rule)."))
    if kind == InstitutionKind.GENERAL_HOSPITAL and fields.get("hospital_level") not in ("1", "2", "3"):
        raise field_error("hospital_level", _("Hospital level: 1, 2 or 3 for a general hospital."))
    if fields.get("psychiatric_department") and kind != InstitutionKind.GENERAL_HOSPITAL:
        raise field_error("psychiatric_department", _("Psychiatric department or clinic: recorded for a general hospital only "
                                                      "(a psychiatric hospital is a mental-health institution by its kind)."))
    code = (fields.get("credit_code") or "").strip().upper()
    if kind == InstitutionKind.SOCIAL_ORG and not code:
        raise field_error("credit_code", _("Unified social credit code: required for a social psychological service organisation."))
    if code and not uscc.is_valid(code):
        raise field_error("credit_code", _("Unified social credit code: not valid (18 characters with a check character); check the code on the licence."))
    fields["credit_code"] = code
    try:
        with transaction.atomic():
            inst = Institution.objects.create(org_unit=org_unit, org_path=org_unit.path, name=name.strip(), kind=kind, **fields)
            audit.record(actor, audit.Action.CREATE, obj=inst, org_path=inst.org_path, detail={"kind": kind})
    except IntegrityError:
        raise field_error("name", _("Name: an institution with this name already exists in this org unit.")) from None
    return inst


def create_site(actor, *, org_unit, name: str, kind: str, opened_on: datetime.date, institution=None, **fields) -> Site:
    """A site, active from ``opened_on``."""
    _require(actor, org_unit)
    if not (name or "").strip():
        raise field_error("name", _("Name: required."))
    if kind not in SiteKind.values:
        raise field_error("kind", _("Kind: one of {choices}."), choices=choice_list(SiteKind))
    if institution is not None and not institution.org_path.startswith(org_unit.path) and not org_unit.path.startswith(institution.org_path):
        raise field_error("institution", _("Institution: must be in the same part of the tree as the site."))
    if opened_on is None or opened_on > timezone.localdate():
        raise field_error("opened_on", _("Opened on: a date not in the future."))
    with transaction.atomic():
        site = Site.objects.create(org_unit=org_unit, org_path=org_unit.path, name=name.strip(), kind=kind, institution=institution, **fields)
        SiteStatus.objects.create(site=site, status=SiteStatus.Status.ACTIVE, start=opened_on)
        audit.record(actor, audit.Action.CREATE, obj=site, org_path=site.org_path, detail={"kind": kind})
    return site


def set_site_status(actor, site: Site, *, status: str, on: datetime.date, note: str = "") -> SiteStatus:
    """Start a new status period on ``on``; the current period ends the day before. History is kept so that coverage
    on any past day can be recomputed."""
    _require(actor, site.org_unit)
    if status not in SiteStatus.Status.values:
        raise field_error("status", _("Status: active, suspended or closed."))
    current = site.statuses.filter(end__isnull=True).first()
    if on is None or on > timezone.localdate() + datetime.timedelta(days=365):
        raise field_error("on", _("Date: give the day the status starts."))
    if current is not None and on <= current.start:
        raise field_error("on", _("Date: must be after the start of the current status ({start})."), start=current.start.isoformat())
    if current is not None and current.status == status:
        raise field_error("status", _("Status: the site is already {status}."), status=current.get_status_display())
    with transaction.atomic():
        if current is not None:
            current.end = on - datetime.timedelta(days=1)
            current.save(update_fields=["end"])
        new = SiteStatus.objects.create(site=site, status=status, start=on, note=note[:200])
        audit.record(actor, audit.Action.UPDATE, obj=site, org_path=site.org_path, detail={"status": status, "on": on.isoformat()})
    return new


def create_staff(actor, *, org_unit, name: str, profession: str, education: str, employer=None, full_time: bool = True,
                 phone: str = "", certificates=(), sites=()) -> Staff:
    _require(actor, org_unit)
    if not (name or "").strip():
        raise field_error("name", _("Name: required."))
    if profession not in Profession.values:
        raise field_error("profession", _("Profession: one of {choices}."), choices=choice_list(Profession))
    if education not in Education.values:
        raise field_error("education", _("Education: below, bachelor, master or doctor."))
    with transaction.atomic():
        staff = Staff.objects.create(org_unit=org_unit, org_path=org_unit.path, name=name.strip(), phone=phone, profession=profession,
                                     education=education, employer=employer, full_time=full_time)
        if sites:
            staff.sites.set(sites)
        for cert in certificates:
            add_certificate(actor, staff, **cert)
        audit.record(actor, audit.Action.CREATE, obj=staff, org_path=staff.org_path, detail={"profession": profession})
    return staff


def add_certificate(actor, staff: Staff, *, kind: str, number: str, issuer: str, valid_from, valid_to=None) -> Certificate:
    _require(actor, staff.org_unit)
    if kind not in Certificate.Kind.values:
        raise field_error("certificates", _("Certificate kind: one of {choices}."), choices=choice_list(Certificate.Kind))
    if not (number or "").strip() or not (issuer or "").strip():
        raise field_error("certificates", _("Certificate: the number and the issuer are required."))
    if valid_from is None or valid_from > timezone.localdate():
        raise field_error("certificates", _("Certificate: valid from a date not in the future."))
    if valid_to is not None and valid_to < valid_from:
        raise field_error("certificates", _("Certificate: valid until is before valid from."))
    if valid_to is not None and valid_to < timezone.localdate():
        raise field_error("certificates", _("Certificate: already expired on {date}; record a valid certificate."), date=valid_to.isoformat())
    try:
        with transaction.atomic():
            return Certificate.objects.create(staff=staff, kind=kind, number=number.strip(), issuer=issuer.strip(),
                                              valid_from=valid_from, valid_to=valid_to)
    except IntegrityError:
        raise field_error("certificates", _("Certificate: this number is already registered.")) from None


# --- training and volunteers --------------------------------------------------------------------------------------

def create_course(actor, *, org_unit, title: str, provider: str, hours) -> Course:
    _require(actor, org_unit)
    if not (title or "").strip() or not (provider or "").strip():
        raise field_error("title", _("Course: the title and the provider are required."))
    if hours is None or not 0 < float(hours) <= 500:
        raise field_error("hours", _("Hours: more than 0 and at most 500."))
    with transaction.atomic():
        course = Course.objects.create(org_unit=org_unit, org_path=org_unit.path, title=title.strip(), provider=provider.strip(), hours=hours)
        audit.record(actor, audit.Action.CREATE, obj=course, org_path=course.org_path)
    return course


def record_attendance(actor, course, staff, *, date, completed: bool = True, hours=None, certificate: str = "") -> Attendance:
    _require(actor, staff.org_unit)
    if date is None or date > timezone.localdate():
        raise field_error("date", _("Date: the day of the session, not in the future."))
    try:
        with transaction.atomic():
            att = Attendance.objects.create(course=course, staff=staff, date=date, completed=completed,
                                            hours=course.hours if hours is None else hours, certificate=certificate, org_path=staff.org_path)
            audit.record(actor, audit.Action.UPDATE, obj=staff, org_path=staff.org_path, detail={"training": course.pk})
    except IntegrityError:
        raise field_error("date", _("Attendance: already recorded for this course on this day.")) from None
    return att


def training_coverage(unit, year: int) -> tuple[int, int]:
    """T22: active staff in the unit with at least one completed training in the year ÷ active staff."""
    staff = Staff.objects.filter(org_path__startswith=unit.path, active=True)
    trained = Attendance.objects.filter(staff__in=staff, completed=True, date__year=year).values("staff_id").distinct().count()
    return trained, staff.count()


def create_volunteer(actor, *, org_unit, name: str, phone: str = "", recruited_on, trained: bool = False) -> Volunteer:
    _require(actor, org_unit)
    if not (name or "").strip():
        raise field_error("name", _("Name: required."))
    if recruited_on is None or recruited_on > timezone.localdate():
        raise field_error("recruited_on", _("Recruited on: a date not in the future."))
    with transaction.atomic():
        v = Volunteer.objects.create(org_unit=org_unit, org_path=org_unit.path, name=name.strip(), phone=phone, recruited_on=recruited_on, trained=trained)
        audit.record(actor, audit.Action.CREATE, obj=v, org_path=v.org_path)
    return v


def log_volunteer_service(actor, volunteer, *, date, hours, activity: str) -> VolunteerService:
    _require(actor, volunteer.org_unit)
    if date is None or date > timezone.localdate() or date < volunteer.recruited_on:
        raise field_error("date", _("Date: between the recruitment date and today."))
    if hours is None or not 0 < float(hours) <= 24:
        raise field_error("hours", _("Hours: more than 0 and at most 24 for one day."))
    if not (activity or "").strip():
        raise field_error("activity", _("Activity: say what the volunteer did."))
    return VolunteerService.objects.create(volunteer=volunteer, date=date, hours=hours, activity=activity.strip())


def create_management_group(actor, *, org_unit, established_on, members=()) -> ManagementGroup:
    _require(actor, org_unit)
    if org_unit.level != "township":
        raise field_error("org_unit", _("Org unit: a management group belongs to a township (街道/乡镇)."))
    if established_on is None or established_on > timezone.localdate():
        raise field_error("established_on", _("Established on: a date not in the future."))
    if ManagementGroup.objects.filter(org_unit=org_unit, dissolved_on__isnull=True).exists():
        raise field_error("org_unit", _("Org unit: this township already has a management group."))
    with transaction.atomic():
        group = ManagementGroup.objects.create(org_unit=org_unit, org_path=org_unit.path, established_on=established_on, members=list(members))
        audit.record(actor, audit.Action.CREATE, obj=group, org_path=group.org_path)
    return group


def record_supervision(actor, staff, *, date, hours, supervisor: str) -> Supervision:
    _require(actor, staff.org_unit)
    if date is None or date > timezone.localdate():
        raise field_error("date", _("Date: the day of the supervision, not in the future."))
    if hours is None or not 0 < float(hours) <= 24:
        raise field_error("hours", _("Hours: more than 0 and at most 24 for one day."))
    if not (supervisor or "").strip():
        raise field_error("supervisor", _("Supervisor: give the supervisor's name."))
    with transaction.atomic():
        record = Supervision.objects.create(staff=staff, date=date, hours=hours, supervisor=supervisor.strip())
        audit.record(actor, audit.Action.UPDATE, obj=staff, org_path=staff.org_path, detail={"supervision": str(hours)})
    return record


def commend_volunteer(actor, volunteer, *, date, title: str) -> Volunteer:
    _require(actor, volunteer.org_unit)
    if date is None or date > timezone.localdate() or not (title or "").strip():
        raise field_error("title", _("Commendation: the title and a date not in the future are required."))
    with transaction.atomic():
        volunteer.commendations = [*volunteer.commendations, {"date": date.isoformat(), "title": title.strip()[:100]}]
        volunteer.save(update_fields=["commendations"])
        audit.record(actor, audit.Action.UPDATE, obj=volunteer, org_path=volunteer.org_path, detail={"commendation": title.strip()[:100]})
    return volunteer
