"""Hotline lines, seats, call records (registration, handling and risk assessment) and imported call-detail records.

Retention: call records are kept at least 3 years (DOMAIN.md §6); nothing in the platform deletes them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.archives.normalize import normalize_phone
from xinli.core.fields import BlindIndexField, EncryptedTextField
from xinli.core.listing import ListedPersons
from xinli.core.models import PersonScopedModel


class Line(models.Model):
    """One hotline (e.g. the city's 12356) run for a region. Its service time is hours a day × days a week: the pilot
    plan's 24-hour line (indicator T08) is open 24 hours every day (``open_24_7``)."""

    name = models.CharField(_("name"), max_length=60)
    number = models.CharField(_("number"), max_length=20, default="12356")
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+")
    hours_per_day = models.PositiveSmallIntegerField(_("service hours per day"), default=24,
                                                     validators=[MinValueValidator(1), MaxValueValidator(24)])
    days_per_week = models.PositiveSmallIntegerField(_("service days per week"), default=7,
                                                     validators=[MinValueValidator(1), MaxValueValidator(7)])
    records_calls = models.BooleanField(_("calls are recorded"), default=True)
    org_path = models.CharField(max_length=255, editable=False)

    class Meta:
        verbose_name = _("hotline")
        constraints = [
            models.CheckConstraint(condition=Q(hours_per_day__gte=1, hours_per_day__lte=24), name="line_hours_1_24"),
            models.CheckConstraint(condition=Q(days_per_week__gte=1, days_per_week__lte=7), name="line_days_1_7"),
        ]

    def __str__(self):
        return f"{self.name} ({self.number})"

    @property
    def open_24_7(self) -> bool:
        """Open 24 hours a day, every day of the week: the pilot plan's 24-hour line."""
        return self.hours_per_day >= 24 and self.days_per_week >= 7

    def save(self, *args, **kwargs):
        self.org_path = self.org_unit.path
        super().save(*args, **kwargs)


class Seat(models.Model):
    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="seats")
    label = models.CharField(_("seat"), max_length=20)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["line", "label"], name="seat_unique")]

    def __str__(self):
        return self.label


class Category(models.TextChoices):
    GENERAL = "general", _("general psychological support")
    CRISIS = "crisis", _("crisis")
    SUICIDE_RISK = "suicide_risk", _("suicide risk")
    INFORMATION = "information", _("information")


class Kind(models.TextChoices):
    NORMAL = "normal", _("ordinary call")
    SILENT = "silent", _("silent call")
    REPEATED = "repeated", _("repeated call")


class Risk(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")
    IMMINENT = "imminent", _("imminent")


HIGH_RISKS = (Risk.HIGH, Risk.IMMINENT)


class Action(models.TextChoices):
    COUNSELLING = "counselling", _("counselling on the call")
    REFERRAL = "referral", _("referral")
    TRANSFER = "transfer", _("transfer to emergency services")
    INFORMATION = "information", _("information given")


class Transfer(models.TextChoices):
    POLICE = "110", _("110 police")
    FIRE = "119", _("119 fire and rescue")
    AMBULANCE = "120", _("120 ambulance")


PROBLEM_TYPES = {
    "emotion": _("emotions"), "relationship": _("relationships"), "family": _("family"), "study_work": _("study or work"),
    "health": _("health"), "addiction": _("addiction"), "trauma": _("trauma or loss"), "other": _("other"),
}


class Call(PersonScopedModel):
    """One call: registration, handling and risk assessment. The caller's number is encrypted; its HMAC-SM3 index
    (same domain as the archive's phone index) recognises repeat callers without storing the number in clear."""

    line = models.ForeignKey(Line, verbose_name=_("hotline"), on_delete=models.PROTECT, related_name="calls")
    seat = models.ForeignKey(Seat, verbose_name=_("seat"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    counsellor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("counsellor"), null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(_("call started"), default=timezone.now, db_index=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    caller_phone = EncryptedTextField(_("caller's number"))
    caller_phone_bidx = BlindIndexField(source="caller_phone", domain="phone", normalizer=normalize_phone, db_index=True)
    person = models.ForeignKey("archives.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recording_notice = models.BooleanField(_("caller told the call is recorded"), default=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.NORMAL)
    category = models.CharField(_("category"), max_length=14, choices=Category.choices, default=Category.GENERAL)
    problem_types = models.JSONField(_("problem types"), default=list, blank=True)
    # Suicide-risk triage: asked on every call (DOMAIN.md §6); quantified on a suicide-risk call.
    ideation = models.PositiveSmallIntegerField(_("suicidal ideation (0–10)"), default=0)
    hopelessness = models.PositiveSmallIntegerField(_("hopelessness (0–10)"), default=0)
    has_plan = models.BooleanField(_("has a plan"), default=False)
    has_means = models.BooleanField(_("has access to means"), default=False)
    prior_attempt = models.BooleanField(_("prior attempt"), default=False)
    intoxicated = models.BooleanField(_("intoxicated now"), default=False)
    risk = models.CharField(_("risk level"), max_length=10, choices=Risk.choices, default=Risk.LOW, db_index=True)
    action = models.CharField(_("action"), max_length=12, choices=Action.choices, default=Action.COUNSELLING)
    transfer_to = models.CharField(_("transferred to"), max_length=3, choices=Transfer.choices, blank=True)
    transfer_at = models.DateTimeField(_("transfer time"), null=True, blank=True)
    transfer_reference = models.CharField(_("transfer reference number"), max_length=40, blank=True)
    notes = EncryptedTextField(_("notes"))
    follow_up_plan = EncryptedTextField(_("follow-up plan"))
    follow_up_due = models.DateField(_("follow up by"), null=True, blank=True)
    follow_up_done_at = models.DateTimeField(_("followed up"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("last handed over"), null=True, blank=True)
    alert = models.ForeignKey("alerts.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    listed_persons = ListedPersons("person", purpose="hotline")  # lists of these rows audit the persons shown

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")

    def __str__(self):
        return f"#{self.pk} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def high_risk(self) -> bool:
        return self.risk in HIGH_RISKS

    @property
    def follow_up_open(self) -> bool:
        return self.high_risk and self.follow_up_done_at is None


class CallDetailRecord(models.Model):
    """One call as the telephone system saw it (imported CSV): the basis of answer and abandonment rates."""

    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="cdrs")
    external_id = models.CharField(_("call id"), max_length=64)
    offered_at = models.DateTimeField(_("offered"), db_index=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    org_path = models.CharField(max_length=255, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["line", "external_id"], name="cdr_unique")]

    @property
    def abandoned(self) -> bool:
        return self.answered_at is None
