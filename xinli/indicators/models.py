from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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
    period = models.CharField(max_length=10)  # "2026" (year) or "2026-03" (month: the year to the end of that month)
    # No database foreign-key constraint (issue 16 item 6): a full rebuild writes ~35,000 rows per period, and the
    # constraint's check fired once per row at commit. Integrity is kept by the writers instead: ``rebuild`` and the
    # federation import take ``org_unit_id`` from the OrgUnit rows they have just read, org units are never deleted
    # (a unit that changes gets a successor and keeps its history, ``valid_to``), and deleting one through the ORM
    # still cascades here (Django's collector, not the database, does that for ``on_delete``).
    org_unit = models.ForeignKey("regions.OrgUnit", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    org_path = models.CharField(max_length=255)  # indexed below (prefix pattern index only)
    # A disaggregation ("" = all; "sex=F", "age=14-17", "area=rural"): one row per category of the indicator's
    # declared breakdowns.
    breakdown = models.CharField(max_length=30, default="", blank=True)
    # "" = computed here; otherwise the name of the instance the value was imported from (federation).
    source = models.CharField(max_length=60, default="", blank=True)
    numerator = models.DecimalField(max_digits=14, decimal_places=4, null=True)
    denominator = models.DecimalField(max_digits=14, decimal_places=4, null=True)
    value = models.DecimalField(max_digits=14, decimal_places=6, null=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["indicator", "period", "org_unit", "breakdown"], name="rollup_unique_breakdown")]
        indexes = [
            # One index on org_path, for equality and prefix (``org_path__startswith``: LIKE 'path%') reads; the plain
            # one ``db_index=True`` added beside it served nothing these do not (the rollups are never ordered or
            # range-filtered by path in SQL), and every rebuild paid for both.
            models.Index(fields=["org_path"], name="rollup_org_path_like", opclasses=["varchar_pattern_ops"]),
        ]


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


class RiskAssessment(models.Model):
    """A periodic written risk assessment (分析研判) of a unit's social mentality: what the signals and figures show,
    the judged level and the measures decided. Aggregate only: never names a person."""

    class Level(models.TextChoices):
        LOW = "low", _("low")
        MODERATE = "moderate", _("moderate")
        HIGH = "high", _("high")

    org_unit = models.ForeignKey("regions.OrgUnit", on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    level = models.CharField(_("risk level"), max_length=10, choices=Level.choices)
    findings = models.TextField(_("findings"))
    measures = models.TextField(_("measures"), blank=True)
    signals = models.ManyToManyField(Signal, blank=True, related_name="assessments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_end", "-id"]


class ExtremeIncident(models.Model):
    """An extreme incident caused by psychological problems (因心理问题导致的极端案(事)件, T20), counted per unit and
    year. Aggregate register: kind, date and place only; the people involved are in their own archives, not here."""

    class Kind(models.TextChoices):
        SUICIDE = "suicide", _("suicide")
        SUICIDE_ATTEMPT = "suicide_attempt", _("suicide attempt")
        HOMICIDE = "homicide", _("homicide or injury of others")
        SMD_INCIDENT = "smd_incident", _("incident by a patient with a severe mental disorder (肇事肇祸)")
        OTHER = "other", _("other")

    org_unit = models.ForeignKey("regions.OrgUnit", on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    deaths = models.PositiveSmallIntegerField(_("deaths"), default=0)
    injured = models.PositiveSmallIntegerField(_("injured"), default=0)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date", "-id"]


class AppraisalScheme(models.Model):
    """An appraisal (考核) of a region — or of one department in it — for a year (issue 19 part 4): a weighted score
    built from chosen indicators and the completion of the leading group's tasks. The weights are data
    (:class:`AppraisalItem`); the score is worked out by ``xinli.indicators.appraisal`` for the scheme's region and
    each region directly below it."""

    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    year = models.PositiveSmallIntegerField(_("year"))
    department = models.ForeignKey("regions.Department", verbose_name=pgettext_lazy("leading group", "department"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("appraisal scheme")
        verbose_name_plural = _("appraisal schemes")
        ordering = ["-year", "org_path", "id"]


class AppraisalItem(models.Model):
    """One part of a scheme: an indicator (scored against its target) or the leading group's tasks (done on time ÷
    due), with its weight."""

    TASKS = "tasks"
    scheme = models.ForeignKey(AppraisalScheme, on_delete=models.CASCADE, related_name="items")
    indicator = models.CharField(_("indicator"), max_length=10)  # a registry code, or "tasks"
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("appraisal item")
        verbose_name_plural = _("appraisal items")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["scheme", "indicator"], name="appraisal_item_unique")]
