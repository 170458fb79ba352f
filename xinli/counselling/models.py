from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core.fields import EncryptedTextField
from xinli.core.listing import ListedPersons
from xinli.core.models import PersonScopedModel


class Case(PersonScopedModel):
    """A counselling case. Session notes are confidential: the counsellor and the case's supervisor read them; anyone
    else only through a time-limited, audited break-the-glass grant."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    person = models.ForeignKey("archives.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="counselling_cases")
    counsellor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("counsellor"), on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("supervisor"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    site = models.ForeignKey("network.Site", verbose_name=_("site"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = EncryptedTextField(_("reason for counselling"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closing_summary = EncryptedTextField(_("closing summary"))
    listed_persons = ListedPersons("person", purpose="counselling")  # lists of these rows audit the persons shown


class Session(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sessions")
    date = models.DateField(_("date"))
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    notes = EncryptedTextField(_("confidential notes"))
    assessment = models.ForeignKey("screening.Assessment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    signs_of_disorder = models.BooleanField(_("signs of a mental disorder"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    county_code = models.CharField(max_length=6, editable=False, db_index=True)

    class Meta:
        ordering = ["date", "id"]


class BreakGlass(models.Model):
    """Emergency access to a case's confidential notes: a reason, a limited time, an audit entry."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="break_glass")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    county_code = models.CharField(max_length=6, editable=False, db_index=True)


class Plan(PersonScopedModel):
    """A personalised counselling plan (个性化疏导方案) for a person with special-population tags."""

    class State(models.TextChoices):
        ACTIVE = "active", _("active")
        CLOSED = "closed", _("closed")

    person = models.ForeignKey("archives.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="plans")
    goals = EncryptedTextField(_("goals"))
    interventions = EncryptedTextField(_("interventions"))
    partners = models.JSONField(_("partners"), default=list, blank=True)  # government / social / family
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("responsible worker"), on_delete=models.PROTECT, related_name="+")
    review_on = models.DateField(_("review on"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.ACTIVE, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True)  # the day the worker was last reminded of the review
    listed_persons = ListedPersons("person", purpose="plans")  # lists of these rows audit the persons shown

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person"], condition=Q(state="active"), name="one_active_plan_per_person")]


class Referral(PersonScopedModel):
    class State(models.TextChoices):
        SENT = "sent", _("sent")
        RECEIVED = "received", _("received")
        REPLIED = "replied", _("replied")

    class Urgency(models.TextChoices):
        ROUTINE = "routine", _("routine")
        URGENT = "urgent", _("urgent")

    person = models.ForeignKey("archives.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="referrals")
    to_institution = models.ForeignKey("network.Institution", verbose_name=_("to"), on_delete=models.PROTECT, related_name="referrals_in")
    back = models.BooleanField(_("back-referral (green channel)"), default=False)
    reason = EncryptedTextField(_("reason"))
    documents = EncryptedTextField(_("documents"))
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.ROUTINE)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.SENT, db_index=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reply = EncryptedTextField(_("reply"))
    replied_at = models.DateTimeField(null=True, blank=True)
    listed_persons = ListedPersons("person", purpose="referrals")  # lists of these rows audit the persons shown
    to_path = models.CharField(max_length=255, editable=False, db_index=True)  # the receiving institution's

    @property
    def turnaround_hours(self) -> float | None:
        return turnaround_hours(self.sent_at, self.replied_at)


def turnaround_hours(sent_at, replied_at) -> float | None:
    """A referral's turnaround: hours from sending to the receiving institution's reply (None before the reply)."""
    return (replied_at - sent_at).total_seconds() / 3600 if replied_at else None


class Slot(models.Model):
    """A counsellor's appointment slot at a site."""

    site = models.ForeignKey("network.Site", verbose_name=_("site"), on_delete=models.PROTECT, related_name="slots")
    counsellor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("counsellor"), on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("starts"), db_index=True)
    minutes = models.PositiveSmallIntegerField(_("minutes"), default=50)
    org_path = models.CharField(max_length=255, editable=False, db_index=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [models.UniqueConstraint(fields=["counsellor", "starts_at"], name="slot_unique_per_counsellor")]


class Booking(PersonScopedModel):
    """A booking of a slot, by a resident from the portal (name and phone, encrypted) or by staff for a person."""

    class State(models.TextChoices):
        BOOKED = "booked", _("booked")
        CANCELLED = "cancelled", _("cancelled")
        ATTENDED = "attended", _("attended")
        NO_SHOW = "no_show", _("did not come")

    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    person = models.ForeignKey("archives.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="portal_bookings")
    name = EncryptedTextField(_("name"))
    phone = EncryptedTextField(_("phone"))
    reference = models.CharField(_("booking reference"), max_length=12, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.BOOKED, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    reminded = models.BooleanField(default=False)
    listed_persons = ListedPersons("person", purpose="appointment")  # lists of these rows audit the persons shown

    class Meta:
        # One live booking per slot: double booking is impossible even under concurrency.
        constraints = [models.UniqueConstraint(fields=["slot"], condition=Q(state="booked"), name="one_live_booking_per_slot")]


class WaitingListEntry(PersonScopedModel):
    site = models.ForeignKey("network.Site", on_delete=models.CASCADE, related_name="waiting_list")
    name = EncryptedTextField(_("name"))
    phone = EncryptedTextField(_("phone"))
    created_at = models.DateTimeField(default=timezone.now)
    offered = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
