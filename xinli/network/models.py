"""Institutions (the denominators of the targets), service sites with their status history, and the workforce."""

from __future__ import annotations

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinli.core.fields import EncryptedTextField


class InstitutionKind(models.TextChoices):
    UNIVERSITY = "university", _("university")
    PRIMARY_SCHOOL = "primary_school", _("primary school")
    SECONDARY_SCHOOL = "secondary_school", _("secondary school")
    PRESCHOOL = "preschool", _("preschool")
    SPECIAL_SCHOOL = "special_school", _("special-education school")
    ORGAN = "organ", _("party or government organ")
    PUBLIC_INSTITUTION = "public_institution", _("public institution")
    ENTERPRISE = "enterprise", _("enterprise")
    FACTORY_MINE = "factory_mine", _("factory or mine")
    NEW_ECONOMY = "new_economy_org", _("new economic organisation")
    PSYCHIATRIC_HOSPITAL = "psychiatric_hospital", _("psychiatric hospital")
    GENERAL_HOSPITAL = "general_hospital", _("general hospital")
    MATERNAL_CHILD = "maternal_child", _("maternal and child health hospital")
    TCM_HOSPITAL = "tcm_hospital", _("TCM hospital")
    SOCIAL_ORG = "social_org", _("social psychological service organisation")
    JUSTICE = "justice", _("police, justice or petition unit")


SCHOOLS = (InstitutionKind.PRIMARY_SCHOOL, InstitutionKind.SECONDARY_SCHOOL)
# The units of T05 (试点方案 二.3: 党政机关和厂矿、企事业单位、新经济组织).
WORKPLACES = (InstitutionKind.ORGAN, InstitutionKind.PUBLIC_INSTITUTION, InstitutionKind.ENTERPRISE, InstitutionKind.FACTORY_MINE,
              InstitutionKind.NEW_ECONOMY)


class Institution(models.Model):
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=22, choices=InstitutionKind.choices, db_index=True)
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    hospital_level = models.CharField(_("hospital level"), max_length=2, blank=True, choices=[("1", _("level 1")), ("2", _("level 2")), ("3", _("level 3"))])
    # A general hospital with a psychiatric department or clinic is a mental-health institution (精神卫生医疗机构, T18).
    psychiatric_department = models.BooleanField(_("psychiatric department or clinic"), default=False)
    students = models.PositiveIntegerField(_("students"), null=True, blank=True)
    psychology_teachers = models.PositiveIntegerField(_("full-time psychology teachers"), null=True, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    above_size = models.BooleanField(_("above designated size"), default=False)  # recorded; T05 uses ``employees`` for a cut
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["org_path", "name"]
        constraints = [models.UniqueConstraint(fields=["org_unit", "name"], name="institution_unique_name")]

    def __str__(self):
        return self.name


class SiteKind(models.TextChoices):
    VILLAGE_ROOM = "village_room", _("village/community counselling room")
    SOCIAL_WORK_ROOM = "social_work_room", _("village/community social-work room")
    TOWNSHIP_ROOM = "township_room", _("township health centre psychological service room")
    UNIVERSITY_CENTRE = "university_centre", _("university mental-health education and counselling centre")
    SCHOOL_ROOM = "school_room", _("school counselling room")
    PRESCHOOL_STAFF = "preschool_staff", _("preschool/special-education psychological staff")
    MINORS_CENTRE = "minors_centre", _("minors' mental-health growth centre")
    WORKPLACE_ROOM = "workplace_room", _("workplace counselling room")
    SOCIAL_ORG = "social_org", _("social psychological service organisation")
    PSYCHIATRIC_CLINIC = "psychiatric_clinic", _("psychology clinic of a psychiatric hospital")
    GENERAL_CLINIC = "general_clinic", _("psychiatry/psychology clinic of a general hospital")
    MATERNAL_TCM = "maternal_tcm", _("maternal-child or TCM psychological service")
    FAMILY_SCHOOL = "family_school", _("family school of a mental-health institution")
    HOTLINE = "hotline", _("psychological assistance hotline")
    JUSTICE_SITE = "justice_site", _("psychological service of a police, justice or petition unit")


class Site(models.Model):
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=SiteKind.choices, db_index=True)
    institution = models.ForeignKey(Institution, verbose_name=_("institution"), null=True, blank=True, on_delete=models.PROTECT, related_name="sites")
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    hours = models.CharField(_("opening hours"), max_length=100, blank=True)
    phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    capacity = models.PositiveIntegerField(_("capacity (people per week)"), null=True, blank=True)
    services = models.JSONField(_("services offered"), default=list, blank=True)
    purchased = models.BooleanField(_("purchased service"), default=False)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        ordering = ["org_path", "name"]

    def __str__(self):
        return self.name

    def within_hours(self, start: datetime.datetime, minutes: int) -> bool:
        """Whether an appointment from ``start`` lasting ``minutes`` lies within the site's opening hours (the free-text
        rule of ``xinli.network.hours``; hours that say nothing recognisable restrict nothing)."""
        from django.utils import timezone

        from .hours import parse

        hours = parse(self.hours)
        return hours is None or hours.covers(timezone.localtime(start), minutes)

    def status_on(self, day: datetime.date) -> str | None:
        for s in self.statuses.all():
            if s.start <= day and (s.end is None or day <= s.end):
                return s.status
        return None


class SiteStatus(models.Model):
    """One period of a site's status. Periods do not overlap; the open one (no end) is the current status."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        CLOSED = "closed", _("closed")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="statuses")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    start = models.DateField(_("from"))
    end = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["start", "id"]


class Profession(models.TextChoices):
    COUNSELLOR = "counsellor", _("psychological counsellor")
    SOCIAL_WORKER = "social_worker", _("social worker")
    PSYCHIATRIST = "psychiatrist", _("psychiatrist")
    PSYCHOTHERAPIST = "psychotherapist", _("psychotherapist")
    TEACHER_FULL = "teacher_full", _("full-time mental-health teacher")
    TEACHER_PART = "teacher_part", _("part-time mental-health teacher")
    SMD_DOCTOR = "smd_doctor", _("community mental-health doctor")
    GRID_WORKER = "grid_worker", _("grid worker")


class Education(models.TextChoices):
    BELOW = "below", _("below bachelor's")
    BACHELOR = "bachelor", _("bachelor's")
    MASTER = "master", _("master's")
    DOCTOR = "doctor", _("doctorate")


class Staff(models.Model):
    name = EncryptedTextField(_("name"))
    phone = EncryptedTextField(_("phone"))
    profession = models.CharField(_("profession"), max_length=16, choices=Profession.choices, db_index=True)
    employer = models.ForeignKey(Institution, verbose_name=_("employer"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
    sites = models.ManyToManyField(Site, verbose_name=_("sites"), blank=True, related_name="staff")
    full_time = models.BooleanField(_("full-time"), default=True)
    education = models.CharField(_("education"), max_length=10, choices=Education.choices)
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("staff member")


class Certificate(models.Model):
    class Kind(models.TextChoices):
        COUNSELLOR = "counsellor", _("psychological counsellor certificate")
        SOCIAL_WORKER = "social_worker", _("social worker qualification")
        PHYSICIAN = "physician", _("physician licence")
        PSYCHOTHERAPIST = "psychotherapist", _("psychotherapist qualification")
        TEACHER = "teacher", _("teacher qualification")
        OTHER = "other", _("other")

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="certificates")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    number = models.CharField(_("certificate number"), max_length=40)
    issuer = models.CharField(_("issued by"), max_length=100)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "number"], name="certificate_unique_number")]

    def valid_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


# --- training, volunteers ---------------------------------------------------------------------------------------

class Course(models.Model):
    title = models.CharField(_("title"), max_length=120)
    provider = models.CharField(_("provider"), max_length=100)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)


class Attendance(models.Model):
    """A staff member's completed (or missed) attendance of a course session."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="attendances")
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="trainings")
    date = models.DateField(_("date"))
    completed = models.BooleanField(_("completed"), default=True)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    certificate = models.CharField(_("certificate number"), max_length=40, blank=True)
    org_path = models.CharField(max_length=255, editable=False, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "staff", "date"], name="attendance_unique")]


class Volunteer(models.Model):
    name = EncryptedTextField(_("name"))
    phone = EncryptedTextField(_("phone"))
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    recruited_on = models.DateField(_("recruited on"))
    trained = models.BooleanField(_("trained"), default=False)
    commendations = models.JSONField(_("commendations"), default=list, blank=True)  # [{"date", "title"}]
    active = models.BooleanField(_("active"), default=True)


class VolunteerService(models.Model):
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="services")
    date = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    activity = models.CharField(_("activity"), max_length=120)


# --- supervision and inspection (督导检查), satisfaction --------------------------------------------------------

class Checklist(models.Model):
    """An inspection checklist: items [{"code", "area", "text"}] (configurable; one is seeded from the pilot plan)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    items = models.JSONField(_("items"), default=list)


class InspectionPlan(models.Model):
    name = models.CharField(_("name"), max_length=100)
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("scope"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    checklist = models.ForeignKey(Checklist, on_delete=models.PROTECT, related_name="+")
    start = models.DateField(_("from"))
    end = models.DateField(_("until"))
    inspectors = models.ManyToManyField("accounts.User", verbose_name=_("inspectors"), related_name="+")


class Inspection(models.Model):
    """An inspection of one institution against the plan's checklist: each item passed, failed or not applicable;
    the score is passed ÷ applicable × 100."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.PROTECT, related_name="inspections")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="inspections")
    date = models.DateField(_("date"))
    inspector = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    results = models.JSONField(_("results"), default=dict)  # item code -> pass / fail / na
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1)
    org_path = models.CharField(max_length=255, editable=False, db_index=True)


class Finding(models.Model):
    class Severity(models.TextChoices):
        MINOR = "minor", _("minor")
        MAJOR = "major", _("major")
        CRITICAL = "critical", _("critical")

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    item = models.CharField(_("checklist item"), max_length=20)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    description = models.CharField(_("description"), max_length=500)


class Rectification(models.Model):
    """The rectification of a finding: due by a deadline, closed with evidence. Overdue = open after the deadline."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    finding = models.OneToOneField(Finding, on_delete=models.CASCADE, related_name="rectification")
    deadline = models.DateField(_("deadline"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN, db_index=True)
    evidence = models.CharField(_("evidence"), max_length=1000, blank=True)
    closed_at = models.DateField(_("closed on"), null=True, blank=True)
    org_path = models.CharField(max_length=255, editable=False, db_index=True)

    def overdue_on(self, day: datetime.date) -> bool:
        return self.state == self.State.OPEN and day > self.deadline


class SatisfactionResponse(models.Model):
    """A short survey answer after a service (anonymous). Satisfied = 4 or 5 on a 1–5 scale (T21)."""

    class Service(models.TextChoices):
        SITE = "site", _("site visit")
        COUNSELLING = "counselling", _("counselling")
        HOTLINE = "hotline", _("hotline follow-up")

    service = models.CharField(_("service"), max_length=12, choices=Service.choices)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    score = models.PositiveSmallIntegerField(_("satisfaction (1–5)"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    date = models.DateField(_("date"))
    org_path = models.CharField(max_length=255, editable=False, db_index=True)


class ManagementGroup(models.Model):
    """A township's mental-health comprehensive management group (精神卫生综合管理小组, T19)."""

    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("township"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    established_on = models.DateField(_("established on"))
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    members = models.JSONField(_("member roles"), default=list, blank=True)  # e.g. ["综治", "卫健", "公安", "民政", "残联"]


class Supervision(models.Model):
    """Clinical supervision received by a staff member (督导): date, hours, supervisor."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="supervisions")
    date = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1)
    supervisor = models.CharField(_("supervisor"), max_length=60)
