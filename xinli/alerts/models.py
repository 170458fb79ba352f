"""Risk alerts, their history, per-region deadlines, and the notifications that tell people about them."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core.fields import EncryptedTextField
from xinli.core.listing import ListedPersons
from xinli.core.models import PersonScopedModel


class Level(models.TextChoices):
    RED = "red", _("red")
    ORANGE = "orange", _("orange")
    YELLOW = "yellow", _("yellow")


LEVEL_RANK = {Level.RED: 0, Level.ORANGE: 1, Level.YELLOW: 2}  # lower is more urgent


class Source(models.TextChoices):
    CRITICAL_ITEM = "critical_item", _("critical item in a screening")
    SEVERE_BAND = "severe_band", _("severe screening result")
    CAMPAIGN_POSITIVE = "campaign_positive", _("positive screen in a campaign")
    SMD_RISK = "smd_risk", _("severe mental disorder risk level")
    EMERGENCY = "emergency", _("emergency")
    HOTLINE = "hotline", _("hotline risk triage")
    MANUAL = "manual", _("reported by a worker")


_CAUSE_SOURCES = {"smd:risk": "smd_risk", "smd:emergency": "emergency", "hotline:suicide_risk": "hotline",
                  "emergency": "emergency", "manual": "manual"}


def cause_label(cause: str) -> str:
    """A merging cause in words: "phq9:item9" → "PHQ-9 第9题", "phq9:severe_band" → "PHQ-9 筛查结果为重度",
    "smd:risk" → the source's name; an unknown cause as stored."""
    from xinli.scales.definitions import short_name

    if cause in _CAUSE_SOURCES:
        return str(Source(_CAUSE_SOURCES[cause]).label)
    head, _sep, tail = cause.partition(":")
    if tail.startswith("item"):
        return f"{short_name(head)} " + str(_("item %(n)s") % {"n": tail[4:]})
    if tail in Source.values:
        return f"{short_name(head)} {Source(tail).label}"
    return cause


class State(models.TextChoices):
    NEW = "new", _("new")
    ESCALATED = "escalated", _("escalated")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    IN_INTERVENTION = "in_intervention", _("in intervention")
    CLOSED = "closed", _("closed")


WAITING_STATES = (State.NEW, State.ESCALATED)  # nobody has acknowledged yet: the escalation clock runs
OPEN_STATES = (State.NEW, State.ESCALATED, State.ACKNOWLEDGED, State.IN_INTERVENTION)


class Outcome(models.TextChoices):
    CONTACTED_SAFE = "contacted_safe", _("contacted, safe for now")
    COUNSELLING = "counselling", _("taken into counselling")
    REFERRED = "referred", _("referred to a hospital or service")
    HOSPITALISED = "hospitalised", _("admitted to hospital")
    EMERGENCY_SERVICES = "emergency_services", _("handed to 110/119/120")
    FALSE_ALARM = "false_alarm", _("false alarm")
    UNREACHABLE = "unreachable", _("could not be reached")
    DECEASED = "deceased", _("deceased")
    MOVED_AWAY = "moved_away", _("moved to another city; handed over there")


class Alert(PersonScopedModel):
    """One risk signal that someone must act on. ``org_path`` is the subject's place in the tree (who may see the
    alert); ``owner_unit`` is the unit whose crisis team must acknowledge it now (moves up on escalation)."""

    level = models.CharField(_("level"), max_length=6, choices=Level.choices, db_index=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    cause = models.CharField(_("cause"), max_length=60, help_text=_("rule and detail, e.g. phq9:item9"))
    summary = EncryptedTextField(_("summary"))  # a worker's words, or a rule's summary in English (see summary_code)
    summary_code = models.CharField(max_length=30, blank=True, help_text="message code of a rule's summary (alerts.summaries)")
    summary_params = models.JSONField(default=dict, blank=True, help_text="its parameters: codes and numbers, no personal data")
    person = models.ForeignKey("archives.Person", verbose_name=_("person"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="alerts")
    assessment = models.ForeignKey("screening.Assessment", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    campaign = models.ForeignKey("screening.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    participant = models.ForeignKey("screening.Participant", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    subject_key = models.CharField(max_length=40, help_text="person:<id>, participant:<id> or alert:<uuid> (merging key)")
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+")
    listed_persons = ListedPersons("person", purpose="alerts")  # lists of these rows audit the persons shown
    owner_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("responsible team's unit"), on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.NEW, db_index=True)
    created_at = models.DateTimeField(_("raised at"), default=timezone.now, db_index=True)
    ack_due_at = models.DateTimeField(_("acknowledge by"), db_index=True)
    contact_due_at = models.DateTimeField(_("first contact by"))
    escalations = models.PositiveSmallIntegerField(_("escalations"), default=0)
    last_escalated_at = models.DateTimeField(null=True, blank=True)
    merged = models.PositiveIntegerField(_("merged signals"), default=0)
    last_signal_at = models.DateTimeField(default=timezone.now)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    intervention_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_note = EncryptedTextField(_("outcome note"))

    class Meta:
        ordering = ["ack_due_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            # One open alert per subject and cause: concurrent signals merge instead of multiplying.
            models.UniqueConstraint(fields=["subject_key", "cause"], condition=~Q(state="closed"), name="alert_one_open_per_cause"),
        ]
        indexes = [models.Index(fields=["state", "ack_due_at"], name="alert_waiting_idx")]

    def __str__(self):
        return f"#{self.pk} {self.get_level_display()} {self.cause}"

    def summary_text(self, lang: str | None = None) -> str:
        """The summary in ``lang`` (default: the reader's active language) — the one way pages, the API and
        messages show it (template: ``{{ alert.summary_text }}`` or ``{{ alert|alert_summary }}``)."""
        from .summaries import render

        return render(self.summary_code, self.summary_params, self.summary, lang)

    @property
    def waiting(self) -> bool:
        return self.state in WAITING_STATES

    @property
    def cause_label(self) -> str:
        return cause_label(self.cause)

    @property
    def overdue(self) -> bool:
        return self.waiting and self.ack_due_at <= timezone.now()


class AlertEvent(models.Model):
    """The alert's own history (the audit log has the same facts, chained)."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("raised")
        MERGED = "merged", _("merged signal")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        INTERVENTION = "intervention", _("intervention started")
        ESCALATED = "escalated", _("escalated")
        CLOSED = "closed", _("closed")
        TRANSFERRED = "transferred", _("moved with the resident")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_unit = models.ForeignKey("regions.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey("regions.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    county_code = models.CharField(max_length=6, editable=False, db_index=True)

    class Meta:
        ordering = ["at", "id"]

    @property
    def source_label(self) -> str:
        """The rule a merged signal came from, in the reader's language ("" when unknown)."""
        source = (self.detail or {}).get("source", "")
        return str(Source(source).label) if source in Source.values else ""


class DeadlinePolicy(models.Model):
    """A region's own deadlines for one level (DOMAIN.md §7 gives the defaults); the nearest ancestor's applies."""

    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("org unit"), on_delete=models.CASCADE, related_name="+")
    level = models.CharField(_("level"), max_length=6, choices=Level.choices)
    # At least one minute: an alert given a zero deadline would be overdue (and escalated) the moment it is owned.
    ack_minutes = models.PositiveIntegerField(_("acknowledge within (minutes)"), validators=[MinValueValidator(1)])
    contact_minutes = models.PositiveIntegerField(_("first contact within (minutes)"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "level"], name="deadline_policy_unique"),
            models.CheckConstraint(condition=Q(ack_minutes__gte=1), name="deadline_policy_ack_at_least_1"),
        ]


class Notification(models.Model):
    """An in-app message to one user. Text is rendered from ``kind`` and ``params`` in the reader's language and
    never carries a resident's name (SMS and e-mail leave the platform)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30)
    params = models.JSONField(default=dict, blank=True)
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class Delivery(models.Model):
    """One notification sent through one outside channel (e-mail, SMS); retried by a task, failures visible."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RETRYING = "retrying", _("retrying")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=10)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    org_path = models.CharField(max_length=255, blank=True, editable=False)


# --- crisis intervention (pilot plan §三(六)) ----------------------------------------------------------------------

class CrisisCase(PersonScopedModel):
    """Crisis intervention for one person: assessment, safety plan, actions, and follow-ups after closing."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    person = models.ForeignKey("archives.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="crisis_cases")
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="crisis_cases")
    listed_persons = ListedPersons("person", purpose="crisis")  # lists of these rows audit the persons shown
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    assessment = EncryptedTextField(_("risk assessment"))
    safety_plan = EncryptedTextField(_("safety plan"), help_text=_("warning signs, coping steps, people and services to call, means made safe"))
    high_risk = models.BooleanField(_("high risk"), default=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closing_summary = EncryptedTextField(_("closing summary"))

    class Meta:
        ordering = ["-opened_at"]


class CrisisAction(models.Model):
    class Kind(models.TextChoices):
        CONTACT = "contact", _("contact by phone")
        VISIT = "visit", _("home or site visit")
        SAFETY = "safety", _("safety measure")
        REFERRAL = "referral", _("referral")
        EMERGENCY = "emergency", _("emergency services")
        OTHER = "other", _("other")

    case = models.ForeignKey(CrisisCase, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = EncryptedTextField(_("note"))
    county_code = models.CharField(max_length=6, editable=False, db_index=True)

    class Meta:
        ordering = ["at", "id"]


class CrisisEvent(PersonScopedModel):
    """A group crisis (disaster, incident): the affected people, the team, and follow-ups during recovery."""

    class Kind(models.TextChoices):
        DISASTER = "disaster", _("natural disaster")
        ACCIDENT = "accident", _("accident")
        VIOLENCE = "violence", _("violent incident")
        PUBLIC_HEALTH = "public_health", _("public health emergency")
        OTHER = "other", _("other")

    class State(models.TextChoices):
        RESPONSE = "response", _("emergency response")
        RECOVERY = "recovery", _("recovery")
        CLOSED = "closed", _("closed")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+")
    listed_persons = ListedPersons("affected.person", purpose="group crisis")  # lists of these rows audit the persons shown
    occurred_at = models.DateTimeField(_("occurred"))
    description = EncryptedTextField(_("description"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RESPONSE)
    team = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("team"), related_name="crisis_events", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at"]


class AffectedPerson(PersonScopedModel):
    event = models.ForeignKey(CrisisEvent, on_delete=models.CASCADE, related_name="affected")
    person = models.ForeignKey("archives.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    label = EncryptedTextField(_("name or description"), help_text=_("for someone not (yet) in the archive"))
    risk = models.CharField(_("risk level"), max_length=6, choices=[("low", _("low")), ("medium", _("medium")), ("high", _("high"))], default="low")
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    org_path = models.CharField(max_length=255, editable=False)
    listed_persons = ListedPersons("person", purpose="group crisis")  # lists of these rows audit the persons shown


class FollowUp(PersonScopedModel):
    """A scheduled contact: after a high-risk crisis case closes, or with a person affected by a group crisis."""

    case = models.ForeignKey(CrisisCase, null=True, blank=True, on_delete=models.CASCADE, related_name="follow_ups")
    affected = models.ForeignKey(AffectedPerson, null=True, blank=True, on_delete=models.CASCADE, related_name="follow_ups")
    due = models.DateField(_("due"), db_index=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = EncryptedTextField(_("note"))
    listed_persons = ListedPersons("case.person", "affected.person", purpose="crisis follow-up")  # lists of these rows audit the persons shown

    class Meta:
        ordering = ["due", "id"]


# --- the registered crisis intervention team (心理危机干预队伍, pilot plan 二.4、三(六); indicator T08) ---------------

class Profession(models.TextChoices):
    PSYCHIATRIST = "psychiatrist", _("psychiatrist")
    PSYCHOTHERAPIST = "psychotherapist", _("psychotherapist")
    COUNSELLOR = "counsellor", _("psychological counsellor")
    SOCIAL_WORKER = "social_worker", _("social worker")
    NURSE = "nurse", _("psychiatric nurse")
    POLICE = "police", _("police officer")
    OTHER = "other", _("other")


class CrisisTeam(models.Model):
    """A crisis intervention team registered as a team for an org unit: named, with members (one of them the leader)
    and an on-call rota. Registered and kept by the unit's health officers (``network.manage``); its members see it.
    Alert routing does not read it: alerts still go to the holders of a crisis-team role (``deadlines.team_unit``)."""

    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    name = models.CharField(_("team name"), max_length=100)
    active = models.BooleanField(_("in service"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["org_path", "name"]
        verbose_name = _("crisis intervention team")
        constraints = [models.UniqueConstraint(fields=["org_unit", "name"], name="crisis_team_unique_name")]

    def __str__(self):
        return self.name


class CrisisTeamMember(models.Model):
    """One member of a team: a platform user, or an outside person with a name and a phone (both SM4-encrypted).
    A member counts from ``since`` to the day before ``until`` (removal sets ``until``, the row stays for the
    history). At most one current member is the leader."""

    team = models.ForeignKey(CrisisTeam, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("platform user"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="crisis_team_memberships")
    name = EncryptedTextField(_("name"))  # an outside person only; a platform user's name is the account's
    phone = EncryptedTextField(_("phone"))
    profession = models.CharField(_("profession"), max_length=16, choices=Profession.choices)
    leader = models.BooleanField(_("leader"), default=False)
    since = models.DateField(_("member since"), default=timezone.localdate)
    until = models.DateField(_("member until"), null=True, blank=True)

    class Meta:
        ordering = ["-leader", "since", "id"]
        verbose_name = _("crisis team member")
        constraints = [
            models.UniqueConstraint(fields=["team"], condition=Q(leader=True, until__isnull=True), name="crisis_team_one_leader"),
            models.UniqueConstraint(fields=["team", "user"], condition=Q(user__isnull=False, until__isnull=True),
                                    name="crisis_team_member_once"),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return str(self.user) if self.user_id else (self.name or "")

    @property
    def current(self) -> bool:
        return self.until is None

    def member_on(self, day) -> bool:
        return self.since <= day and (self.until is None or day < self.until)


class OnCallShift(models.Model):
    """A member on call from ``start`` to ``end`` (at most 7 days; one member's shifts never overlap)."""

    team = models.ForeignKey(CrisisTeam, on_delete=models.CASCADE, related_name="shifts")
    member = models.ForeignKey(CrisisTeamMember, verbose_name=_("member"), on_delete=models.CASCADE, related_name="shifts")
    start = models.DateTimeField(_("start"), db_index=True)
    end = models.DateTimeField(_("end"))

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("on-call shift")
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="on_call_shift_end_after_start")]
