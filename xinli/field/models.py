"""The offline field app's server side (issue 18, docs/field.md): the devices a worker registered, what each sync item
came to (the idempotency record), and the notes a worker left on a person from the field (a home-visit note, an
entry kept after a sync conflict, a photo of a signed paper form)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core.fields import EncryptedTextField
from xinli.core.listing import ListedPersons
from xinli.core.models import PersonScopedModel


class Device(models.Model):
    """A phone or tablet a worker registered for the field app. Revoked by the security administrator (or wiped on
    the account's disabling): its next pack or sync call is answered "wipe" (``device_revoked``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="field_devices")
    public_id = models.UUIDField(_("device id"), default=uuid.uuid4, unique=True, editable=False)
    label = models.CharField(_("device name"), max_length=60)
    registered_at = models.DateTimeField(_("registered"), default=timezone.now)
    last_sync_at = models.DateTimeField(_("last sync"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    wipe_sent_at = models.DateTimeField(_("told to wipe"), null=True, blank=True)  # first "wipe" answer given

    class Meta:
        verbose_name = _("field device")
        ordering = ["-registered_at", "-id"]

    def __str__(self):
        return self.label

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.user.is_active


class SyncItem(models.Model):
    """One form a device sent, by its client id: the outcome given the first time, returned again (nothing written)
    when the same client id comes back. ``result`` holds ids, codes and dates only — no names and none of the form's
    text (a conflict's kept entry is read back from its encrypted ``FieldNote``)."""

    class Outcome(models.TextChoices):
        STORED = "stored", _("stored")
        CONFLICT = "conflict", _("conflict")

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="items")
    client_id = models.UUIDField()
    kind = models.CharField(max_length=20)
    device_time = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    result = models.JSONField(default=dict)  # the answer given for this item, without the kept entry

    class Meta:
        verbose_name = _("sync item")
        constraints = [models.UniqueConstraint(fields=["device", "client_id"], name="field_syncitem_once")]


class FieldNote(PersonScopedModel):
    """A worker's note on a person from the field: a home-visit note, an entry kept after a sync conflict (the form
    as the worker filled it, and why the server did not apply it), or a photo of a signed paper form attached to a
    record (``about_type``/``about_id``)."""

    class Kind(models.TextChoices):
        HOME_VISIT = "home_visit", _("home-visit note")
        CONFLICT = "conflict", _("entry kept after a sync conflict")
        PHOTO = "photo", _("photo of a signed paper form")

    person = models.ForeignKey("archives.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="field_notes")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    text = EncryptedTextField(_("note"))
    entry = EncryptedTextField(_("entry as sent"))  # JSON of the form kept after a conflict
    about_type = models.CharField(max_length=40, blank=True)  # e.g. smd.followup, smd.task
    about_id = models.BigIntegerField(null=True, blank=True)
    photo = EncryptedTextField(_("photo"))  # base64 of the image (checked JPEG or PNG, size-limited)
    content_type = models.CharField(max_length=20, blank=True)
    visited_on = models.DateField(_("date"), null=True, blank=True)
    device_time = models.DateTimeField(null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    listed_persons = ListedPersons("person", purpose="field note")

    class Meta:
        verbose_name = _("field note")
        ordering = ["-created_at", "-id"]


class ScheduledVisit(PersonScopedModel):
    """A home visit a field worker scheduled for a person of their area (e.g. "next visit on …" when writing a
    home-visit note). Open until a home-visit note completes it (``done_note``) or it is cancelled; an open visit
    follows the person when they move and the receiving worker accepts it (``field/transfers.py``). It is in the task
    pack of the worker who scheduled it and of the worker it is assigned to."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    person = models.ForeignKey("archives.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="scheduled_visits")
    visit_on = models.DateField(_("visit date"))
    purpose = EncryptedTextField(_("purpose"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    done_note = models.ForeignKey(FieldNote, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    listed_persons = ListedPersons("person", purpose="scheduled visit")

    class Meta:
        verbose_name = _("scheduled home visit")
        ordering = ["visit_on", "id"]
        indexes = [models.Index(fields=["assigned_to", "state", "visit_on"], name="field_visit_assigned")]
