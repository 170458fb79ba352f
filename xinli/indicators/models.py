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


class Signal(models.Model):
    """An early-warning alarm (社会心态预警) on a county's daily series, for analysts to review."""

    class State(models.TextChoices):
        NEW = "new", _("new")
        CONFIRMED = "confirmed", _("confirmed")
        DISMISSED = "dismissed", _("dismissed")

    org_unit = models.ForeignKey("regions.OrgUnit", on_delete=models.CASCADE, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)
    series = models.CharField(_("series"), max_length=30)
    method = models.CharField(_("method"), max_length=8)
    day = models.DateField(_("day"))
    observed = models.DecimalField(max_digits=12, decimal_places=3)
    expected = models.DecimalField(max_digits=12, decimal_places=3)
    threshold = models.DecimalField(max_digits=12, decimal_places=3)
    statistic = models.DecimalField(max_digits=12, decimal_places=3)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.NEW)
    reason = models.CharField(_("review note"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "org_path"]
        constraints = [models.UniqueConstraint(fields=["org_unit", "series", "method", "day"], name="signal_unique")]
