from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Report(models.Model):
    """A generated document, kept for download. Generation runs as a background task; ``progress`` goes 0 → 100."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(max_length=20, default="annual_summary")
    org_unit = models.ForeignKey("regions.OrgUnit", on_delete=models.CASCADE, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)
    year = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    content = models.BinaryField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    # When the build running now was claimed: the re-queue sweep takes a report back only if this is long past.
    started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
