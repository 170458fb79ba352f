"""A bulk import (issue 17 part 1): the job with its checkpoint and counts, the problems of its rows, and the link
from a source system's id to the record it became."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Kind(models.TextChoices):
    RESIDENTS = "residents", _("residents")
    SMD_PATIENTS = "smd_patients", _("SMD patients with follow-ups")
    PLANS = "plans", _("personalised plans")
    EMERGENCIES = "emergencies", _("SMD emergencies with case-team members")
    CASES = "cases", _("closed counselling cases")
    WORK_ORDERS = "work_orders", _("12345 citizen-hotline work orders")


class Strategy(models.TextChoices):
    CREATE = "create", _("create only")
    UPDATE = "update", _("update only")
    UPSERT = "upsert", _("create and update")


class ImportJob(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", pgettext_lazy("import job", "running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    strategy = models.CharField(max_length=10, choices=Strategy.choices, default=Strategy.UPSERT)
    dry_run = models.BooleanField(default=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    file_name = models.CharField(max_length=200)
    file_path = models.CharField(max_length=500)
    digest = models.CharField(max_length=64, db_index=True)  # SHA-256 of the uploaded file
    org_unit = models.ForeignKey("regions.OrgUnit", on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(default=timezone.now)  # last committed batch (a stuck job is resumed)
    # Checkpoint: data rows handled so far (saved in the transaction of the batch that handled them).
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    # Persons this import created (for the duplicate review list), appended batch by batch.
    created_person_ids = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def rate(self) -> float | None:
        """Rows per second since the start."""
        if not self.started_at or not self.rows_done:
            return None
        seconds = ((self.finished_at or timezone.now()) - self.started_at).total_seconds()
        return self.rows_done / seconds if seconds > 0 else None

    def seconds_left(self) -> int | None:
        rate = self.rate()
        if rate is None or self.rows_total is None or self.state != self.State.RUNNING:
            return None
        return int(max(self.rows_total - self.rows_done, 0) / rate)

    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, int(100 * self.rows_done / self.rows_total))


class ImportRow(models.Model):
    """One problem of one row: the line in the file, the column, the problem and its fix (``"中文 / English"``)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="problems")
    line = models.PositiveIntegerField()
    column = models.CharField(max_length=40, blank=True)
    message = models.TextField()

    class Meta:
        ordering = ["line", "pk"]


class SourceLink(models.Model):
    """The source system's id of an imported row and the record it became: a re-import matches on it."""

    kind = models.CharField(max_length=20, choices=Kind.choices)
    source_id = models.CharField(max_length=64)
    object_id = models.BigIntegerField()
    org_path = models.CharField(max_length=255, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "source_id"], name="imports_source_unique")]
