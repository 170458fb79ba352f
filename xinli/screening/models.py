"""Assessments: one administration of one instrument, with every item answer."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core.fields import EncryptedTextField
from xinli.core.listing import ListedPersons
from xinli.core.models import PersonScopedModel


class Mode(models.TextChoices):
    SELF = "self", _("self-assessment")
    STAFF = "staff", _("administered by staff")
    CAMPAIGN = "campaign", _("screening campaign")


class Assessment(PersonScopedModel):
    scale = models.CharField(_("instrument"), max_length=32, db_index=True)
    scale_version = models.CharField(_("instrument version"), max_length=20)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices)
    person = models.ForeignKey("archives.Person", verbose_name=_("person"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="assessments")
    administered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Every item answer (as given, before reverse scoring), SM4-encrypted: answers are health data.
    answers_json = EncryptedTextField(_("answers"))
    total = models.DecimalField(_("score"), max_digits=7, decimal_places=2)
    raw_total = models.DecimalField(_("raw score"), max_digits=7, decimal_places=2)
    band = models.CharField(_("band"), max_length=40, db_index=True)
    severity = models.PositiveSmallIntegerField(_("severity"), default=0)
    subscales = models.JSONField(_("subscales"), default=dict, blank=True)
    critical = models.JSONField(_("critical items"), default=list, blank=True)
    flags = models.JSONField(_("flags"), default=dict, blank=True)
    prorated = models.BooleanField(_("prorated"), default=False)
    sex = models.CharField(_("sex used for scoring"), max_length=6, blank=True)
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now, db_index=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True)
    campaign = models.ForeignKey("Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="assessments")
    participant = models.ForeignKey("Participant", null=True, blank=True, on_delete=models.PROTECT, related_name="assessments")
    org_path = models.CharField(max_length=255, blank=True, editable=False)
    county_code = models.CharField(max_length=6, blank=True, editable=False, db_index=True)
    listed_persons = ListedPersons("person", purpose="screening")  # lists of these rows audit the persons shown

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-taken_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], condition=Q(idempotency_key__isnull=False), name="assessment_idempotency_unique"),
        ]
        indexes = [models.Index(fields=["org_path"], name="assessment_org_path_like", opclasses=["varchar_pattern_ops"])]

    @property
    def answers(self) -> dict:
        return json.loads(self.answers_json or "{}")

    @property
    def critical_items(self) -> list[str]:
        return [c["item"] for c in self.critical]


class Campaign(PersonScopedModel):
    """A group screening (心理普查) of a school or a workplace: an instrument set, a window, participants with
    one-time codes. Scoped by the org unit where the school or company sits."""

    class Kind(models.TextChoices):
        SCHOOL = "school", _("school")
        WORKPLACE = "workplace", _("workplace")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    institution = models.CharField(_("school or employer"), max_length=100)
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+")
    scales = models.JSONField(_("instruments"), default=list)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    responsible = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("responsible staff"), related_name="campaigns")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    org_path = models.CharField(max_length=255, editable=False)

    class Meta:
        verbose_name = _("screening campaign")
        verbose_name_plural = _("screening campaigns")
        ordering = ["-opens_at"]

    def __str__(self):
        return self.name

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.OPEN and self.opens_at <= now <= self.closes_at


class CampaignGroup(models.Model):
    """A class of a grade, or a department."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("class or department"), max_length=60)
    grade = models.CharField(_("grade"), max_length=30, blank=True)

    class Meta:
        ordering = ["grade", "name"]


class Participant(PersonScopedModel):
    """One participant with a one-time code (minors need no account). The code is shown on the printed sheet; it is
    stored encrypted and found through its blind index."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="participants")
    group = models.ForeignKey(CampaignGroup, on_delete=models.CASCADE, related_name="participants")
    label = EncryptedTextField(_("name or number"))
    code = EncryptedTextField(_("participant code"))
    code_bidx = models.CharField(max_length=64, unique=True)
    minor_under_14 = models.BooleanField(_("under 14"), default=False)
    guardian_consent_at = models.DateTimeField(_("guardian consent recorded"), null=True, blank=True)
    guardian_name = EncryptedTextField(_("guardian name"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    person = models.ForeignKey("archives.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    org_path = models.CharField(max_length=255, editable=False)
    county_code = models.CharField(max_length=6, editable=False)
    listed_persons = ListedPersons("person", purpose="campaign")  # lists of these rows audit the persons shown

    class Meta:
        ordering = ["group", "id"]
