from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Target(models.Model):
    """A target for an indicator, per org unit (or platform-wide when empty) and year. Changes add rows: the latest
    row is the target, the earlier ones are its history."""

    indicator = models.CharField(_("indicator"), max_length=10, db_index=True)
    org_unit = models.ForeignKey("regions.OrgUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("target"), max_digits=10, decimal_places=4)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-set_at", "-id"]


class Rollup(models.Model):
    """The value of an indicator for an org unit and period, rebuilt by ``rebuild_indicators``; dashboards, the API
    and reports read only these rows."""

    indicator = models.CharField(max_length=10)
    period = models.CharField(max_length=10)  # "2026"
    org_unit = models.ForeignKey("regions.OrgUnit", on_delete=models.CASCADE, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)
    numerator = models.DecimalField(max_digits=14, decimal_places=4, null=True)
    denominator = models.DecimalField(max_digits=14, decimal_places=4, null=True)
    value = models.DecimalField(max_digits=14, decimal_places=6, null=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["indicator", "period", "org_unit"], name="rollup_unique")]
