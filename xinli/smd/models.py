"""The register of patients with a severe mental disorder, their follow-ups (the national follow-up record), the
follow-up schedule, emergency handling, case-management teams, rehabilitation and family work."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xinli.core.fields import EncryptedTextField
from xinli.core.listing import ListedPersons
from xinli.core.models import PersonScopedModel


class Diagnosis(models.TextChoices):
    SCHIZOPHRENIA = "F20", _("schizophrenia")
    SCHIZOAFFECTIVE = "F25", _("schizoaffective disorder")
    PARANOID = "F22", _("paranoid psychosis")
    BIPOLAR = "F31", _("bipolar disorder")
    EPILEPSY = "F06", _("mental disorder due to epilepsy")
    RETARDATION = "F7x", _("intellectual disability with mental disorder")


class Source(models.TextChoices):
    HOSPITAL = "hospital", _("hospital report")
    COMMUNITY = "community", _("found in the community")
    TRANSFER = "transfer", _("transferred in")


class Status(models.TextChoices):
    # "in register" alone is also the indicators' denominator ("在册患者数"); the status reads "在册".
    IN_REGISTER = "in_register", pgettext_lazy("smd status", "in register")
    MOVED_OUT = "moved_out", _("moved out")
    DIED = "died", _("died")
    REMOVED = "removed", _("removed")


class Classification(models.TextChoices):
    UNSTABLE = "unstable", _("unstable")
    BASICALLY_STABLE = "basically_stable", _("basically stable")
    STABLE = "stable", _("stable")


class Residence(models.TextChoices):
    HOME = "home", _("living at home")
    INSTITUTION = "institution", _("in an institution")


class Patient(PersonScopedModel):
    person = models.OneToOneField("archives.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="smd_patient")
    diagnosis = models.CharField(_("diagnosis"), max_length=3, choices=Diagnosis.choices)
    diagnosed_by = models.CharField(_("diagnosing institution"), max_length=100)
    diagnosed_on = models.DateField(_("diagnosed on"))
    source = models.CharField(_("registration source"), max_length=10, choices=Source.choices)
    registered_on = models.DateField(_("registered on"), default=timezone.localdate)
    # The day the patient's last transfer was accepted here (or their re-registration): T12's interval starts there.
    moved_in_on = models.DateField(_("moved in on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.IN_REGISTER, db_index=True)
    status_reason = models.CharField(_("reason"), max_length=200, blank=True)
    status_on = models.DateField(_("status since"), null=True, blank=True)
    residence = models.CharField(_("residence"), max_length=12, choices=Residence.choices, default=Residence.HOME)
    guardian_name = EncryptedTextField(_("guardian"))
    guardian_phone = EncryptedTextField(_("guardian's phone"))
    consent_community = models.BooleanField(_("consents to community management"), default=False)
    consent_on = models.DateField(_("consent date"), null=True, blank=True)
    poor = models.BooleanField(_("registered as poor"), default=False)
    insured = models.BooleanField(_("medical insurance"), default=True)
    management_level = models.PositiveSmallIntegerField(_("case-management level"), default=1)
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("responsible doctor"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    classification = models.CharField(_("classification"), max_length=16, choices=Classification.choices, blank=True)
    risk = models.PositiveSmallIntegerField(_("risk level"), null=True, blank=True)
    last_follow_up = models.DateField(_("last follow-up"), null=True, blank=True)
    listed_persons = ListedPersons("person", purpose="smd")  # lists of these rows audit the persons shown

    class Meta:
        verbose_name = _("patient")

    def __str__(self):
        return f"#{self.pk}"


class Mode(models.TextChoices):
    CLINIC = "clinic", _("clinic")
    HOME = "home", _("home visit")
    PHONE = "phone", pgettext_lazy("smd mode", "phone")


class Adherence(models.TextChoices):
    REGULAR = "regular", _("regular")
    INTERMITTENT = "intermittent", _("intermittent")
    NONE = "none", _("not taking")
    NOT_NEEDED = "not_needed", _("not needed per doctor")


LOST_REASONS = {"migrant_work": _("working away"), "moved": _("moved elsewhere"), "missing": _("missing"),
                "three_misses": _("not found 3 times in a row"), "other": _("other")}
SYMPTOMS = {"hallucination": _("hallucinations"), "communication": _("communication difficulty"), "suspicion": _("suspicion"),
            "moody": _("moodiness"), "odd_behaviour": _("odd behaviour"), "excited": _("excited and talkative"),
            "violence": _("hurting people or breaking things"), "pessimism": _("pessimism, wish to die"),
            "wandering": _("wandering off"), "self_talk": _("talking or laughing to oneself"),
            "withdrawn": _("withdrawn and inactive"), "other": _("other")}
LEVEL3 = {"good": _("good"), "fair": _("fair"), "poor": _("poor")}
SOCIAL = {"self_care": _("personal care"), "housework": _("housework"), "work": _("productive work"),
          "study": _("learning"), "social_contact": _("social contact")}
INCIDENTS = ("minor_trouble", "trouble", "disaster", "other_harm", "self_harm", "suicide_attempt")


class FollowUp(PersonScopedModel):
    """One follow-up on the national record's fields. ``classification`` and ``next_due`` are computed by
    ``xinli.smd.rules`` when a service saves it."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="follow_ups")
    date = models.DateField(_("date"), db_index=True)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices)
    lost_reason = models.CharField(_("lost to follow-up"), max_length=14, blank=True)
    death_date = models.DateField(_("date of death"), null=True, blank=True)
    death_cause = models.CharField(_("cause of death"), max_length=100, blank=True)
    risk = models.PositiveSmallIntegerField(_("risk level (0–5)"), null=True, blank=True)
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    psychotic_symptoms_obvious = models.BooleanField(_("obvious psychotic symptoms"), default=False)
    insight = models.CharField(_("insight"), max_length=8, blank=True)  # complete / partial / absent
    sleep = models.CharField(_("sleep"), max_length=4, blank=True)
    diet = models.CharField(_("diet"), max_length=4, blank=True)
    social_function = models.JSONField(_("social function"), default=dict, blank=True)
    incidents = models.JSONField(_("incidents since last visit"), default=dict, blank=True)
    locked = models.CharField(_("locked up"), max_length=8, blank=True)  # none / locked / released
    hospitalised = models.CharField(_("hospitalisation"), max_length=10, blank=True)  # none / past / current
    labs = EncryptedTextField(_("laboratory tests"))
    adherence = models.CharField(_("medication adherence"), max_length=12, choices=Adherence.choices, blank=True)
    acute_adverse_reaction = models.BooleanField(_("acute adverse drug reaction"), default=False)
    adverse_reaction = EncryptedTextField(_("adverse reactions"))
    serious_physical_illness = models.BooleanField(_("serious physical illness"), default=False)
    effect = models.CharField(_("treatment effect"), max_length=10, blank=True)  # cured / improved / unchanged / worse
    referral_reason = EncryptedTextField(_("referral reason"))
    referral_institution = models.CharField(_("referred to"), max_length=100, blank=True)
    referral_department = models.CharField(_("department"), max_length=60, blank=True)
    medications = EncryptedTextField(_("medications"))  # JSON list of {name, dose, usage}
    rehabilitation = models.JSONField(_("rehabilitation measures"), default=list, blank=True)
    classification = models.CharField(_("classification"), max_length=16, choices=Classification.choices, blank=True)
    next_due = models.DateField(_("next follow-up"), null=True, blank=True)
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    listed_persons = ListedPersons("patient.person", purpose="smd")  # lists of these rows audit the persons shown

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["patient", "date"], name="smd_followup_patient_date")]

    @property
    def lost_reason_label(self) -> str:
        return str(LOST_REASONS.get(self.lost_reason, self.lost_reason)) if self.lost_reason else ""

    @property
    def complete(self) -> bool:
        """A completed follow-up (the patient was seen or reached), as counted by the management indicators."""
        return not self.lost_reason and self.death_date is None


class Task(PersonScopedModel):
    """A scheduled follow-up. Overdue = still due after its date."""

    class State(models.TextChoices):
        DUE = "due", _("due")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="tasks")
    due = models.DateField(_("due"), db_index=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DUE, db_index=True)
    done_by = models.ForeignKey(FollowUp, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    done_on = models.DateField(null=True, blank=True)
    reminded = models.JSONField(default=list, blank=True)  # reminder kinds sent: before / after
    listed_persons = ListedPersons("patient.person", purpose="smd")  # lists of these rows audit the persons shown

    class Meta:
        ordering = ["due", "id"]


class Trigger(models.TextChoices):
    SELF_HARM = "self_harm", _("danger of self-harm")
    DANGER_OTHERS = "danger_others", _("danger to others or public safety")
    RELAPSE = "relapse", _("relapse or marked deterioration")
    ADVERSE_REACTION = "adverse_reaction", _("acute adverse drug reaction")


class Emergency(PersonScopedModel):
    """Emergency handling (应急处置); the record must be completed within 24 hours."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="emergencies")
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    occurred_at = models.DateTimeField(_("occurred"))
    actions = EncryptedTextField(_("actions taken"))
    police = models.BooleanField(_("police involved"), default=False)
    ambulance = models.BooleanField(_("120 involved"), default=False)
    outcome = EncryptedTextField(_("outcome"))
    completed_at = models.DateTimeField(_("record completed"), null=True, blank=True)
    alert = models.ForeignKey("alerts.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    listed_persons = ListedPersons("patient.person", purpose="smd")  # lists of these rows audit the persons shown

    @property
    def overdue(self) -> bool:
        return self.completed_at is None and timezone.now() > self.occurred_at + timezone.timedelta(hours=24)


class TeamRole(models.TextChoices):
    VILLAGE = "village_committee", _("village committee member")
    GRID = "grid_worker", _("grid worker")
    DOCTOR = "doctor", _("community mental-health doctor")
    POLICE = "police", _("police officer")
    CIVIL = "civil_affairs", _("civil-affairs officer")
    DISABILITY = "disability", _("disability officer")
    VOLUNTEER = "volunteer", _("volunteer")


class TeamMember(models.Model):
    """A member of an unstable patient's case-management team (a platform user or an outside person)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="team")
    role = models.CharField(_("role"), max_length=18, choices=TeamRole.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = EncryptedTextField(_("name"))
    phone = EncryptedTextField(_("phone"))
    county_code = models.CharField(max_length=6, editable=False, db_index=True)


class Support(PersonScopedModel):
    """Rehabilitation and family work: community rehabilitation, family counselling or education (家属学校),
    medication support, the annual health check (with consent), referrals to hospital and back (green channel)."""

    class Kind(models.TextChoices):
        # Contexts: the bare msgids are the names of the indicators (participation rates).
        REHAB = "rehab", pgettext_lazy("smd support", "community rehabilitation")
        COUNSELLING = "counselling", pgettext_lazy("smd support", "psychological counselling of the patient")
        FAMILY_COUNSELLING = "family_counselling", pgettext_lazy("smd support", "family counselling")
        FAMILY_SCHOOL = "family_school", _("family school session")
        MEDICATION = "medication", _("medication support")
        HEALTH_CHECK = "health_check", _("annual health check")
        REFERRAL_OUT = "referral_out", _("referral to hospital")
        REFERRAL_BACK = "referral_back", _("back from hospital (green channel)")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="support")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    start = models.DateField(_("date"))
    end = models.DateField(_("until"), null=True, blank=True)
    institution = models.CharField(_("institution"), max_length=100, blank=True)
    # Provided by a primary-care institution (基层医疗卫生机构: community health service centre or station, township
    # health centre, village clinic) — what T17 counts (docs/smd.md).
    primary_care = models.BooleanField(_("by a primary-care institution"), default=False)
    note = EncryptedTextField(_("note"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-start", "-id"]


class ReminderPolicy(models.Model):
    """A region's reminder timing for follow-ups (the nearest ancestor's applies; default 3 days before and after)."""

    org_unit = models.OneToOneField("regions.OrgUnit", on_delete=models.CASCADE, related_name="+")
    days_before = models.PositiveSmallIntegerField(_("remind days before due"), default=3)
    days_after = models.PositiveSmallIntegerField(_("remind days after due"), default=3)


class BreakGlass(models.Model):
    """Emergency access to a patient's clinical details for a case-team member (``smd.basic``): a reason, four hours,
    an audit entry (``xinli.core.breakglass``)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="break_glass")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    county_code = models.CharField(max_length=6, editable=False, db_index=True)
