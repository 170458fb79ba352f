"""Instrument definitions imported by the operator under their own licence (licence-restricted instruments)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportedScale(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    version = models.CharField(_("version"), max_length=20)
    definition = models.JSONField(_("definition"))
    licence_note = models.TextField(_("licence held"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("imported instrument")
        verbose_name_plural = _("imported instruments")

    def __str__(self):
        return f"{self.code} {self.version}"
