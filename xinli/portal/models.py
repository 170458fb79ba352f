from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.archives.normalize import normalize_phone
from xinli.core.fields import BlindIndexField, EncryptedTextField


class ResidentAccount(models.Model):
    """A resident's optional portal account: their bookings and kept self-tests, nothing else. The phone is the
    login name, stored encrypted with a blind index; the account holds no staff role."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resident_account")
    phone = EncryptedTextField(_("phone"))
    phone_bidx = BlindIndexField(source="phone", domain="phone", normalizer=normalize_phone, unique=True)
    consent_at = models.DateTimeField(_("consent given"), default=timezone.now)
