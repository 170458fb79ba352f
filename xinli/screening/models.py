"""Assessments: one administration of one instrument, with every item answer."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core.fields import EncryptedTextField


class Mode(models.TextChoices):
    SELF = "self", _("self-assessment")
    STAFF = "staff", _("administered by staff")
    CAMPAIGN = "campaign", _("screening campaign")


class Assessment(models.Model):
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
    org_path = models.CharField(max_length=255, blank=True, editable=False)
    county_code = models.CharField(max_length=6, blank=True, editable=False, db_index=True)

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
