"""Work orders between departments (工单流转, issue 19 part 3).

Anything that needs another department becomes a :class:`WorkOrder`: dispatched by a worker to a department office
(``regions.DepartmentUnit``) with deadlines from its :class:`OrderKind` (data), accepted or returned with a reason,
worked with progress notes, completed with a result fed back to the sender, and closed by the sender with their
satisfaction. Every step is an :class:`OrderEvent`. An order not accepted or not completed in time escalates once per
deadline to the 综治 office of the level above (``services.escalate_overdue``). Free text is encrypted; the person
an order is about is shown to the receiving office only through the fields its kind declares."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xinli.archives.models import Person, ScopedModel
from xinli.core.fields import EncryptedTextField
from xinli.core.listing import ListedPersons
from xinli.regions.models import NamedInTwoLanguages

# The person fields an order's kind may share with the receiving office (nothing else of the archive ever is).
PERSON_FIELDS = {
    "name": _("name"),
    "sex": _("sex"),
    "birth_date": _("date of birth"),
    "phone": _("phone"),
    "address": _("address"),
    "id_number": _("ID number"),
}


class OrderKind(NamedInTwoLanguages, models.Model):
    """What an order is for, as data: the department it goes to by default, its two deadlines, and which of the
    person's fields the receiving office sees."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80, blank=True, default="")
    department = models.ForeignKey("regions.Department", verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="+")
    accept_hours = models.PositiveSmallIntegerField(_("hours to accept"), default=48)
    complete_days = models.PositiveSmallIntegerField(_("days to complete"), default=15)
    person_fields = models.JSONField(_("person fields shared"), default=list, blank=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("work order kind")
        verbose_name_plural = _("work order kinds")
        ordering = ["sort", "code"]


class WorkOrder(models.Model):
    class State(models.TextChoices):
        DISPATCHED = "dispatched", _("waiting to be accepted")
        ACCEPTED = "accepted", _("in progress")
        RETURNED = "returned", _("returned to the sender")
        DONE = "done", _("completed, result sent back")
        CLOSED = "closed", pgettext_lazy("work order", "closed")
        CANCELLED = "cancelled", pgettext_lazy("work order", "cancelled")

    kind = models.ForeignKey(OrderKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("subject"), max_length=100)  # what is needed, without the person's identity
    description = EncryptedTextField(_("details"))
    person = models.ForeignKey(Person, verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    from_unit = models.ForeignKey("regions.OrgUnit", verbose_name=pgettext_lazy("work order", "sending unit"), on_delete=models.PROTECT, related_name="+")
    from_path = models.CharField(max_length=255, editable=False, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sent by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(pgettext_lazy("work order", "sent"), default=timezone.now)
    office = models.ForeignKey("regions.DepartmentUnit", verbose_name=_("department office"), on_delete=models.PROTECT,
                               related_name="+")
    department = models.ForeignKey("regions.Department", verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="+", editable=False)
    to_path = models.CharField(max_length=255, editable=False, db_index=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.DISPATCHED, db_index=True)
    dispatched_at = models.DateTimeField(_("dispatched"), default=timezone.now)
    accept_due = models.DateTimeField(pgettext_lazy("work order", "accept by"), db_index=True)
    complete_due = models.DateTimeField(_("complete by"), db_index=True)
    accept_escalated = models.BooleanField(default=False, editable=False)
    complete_escalated = models.BooleanField(default=False, editable=False)
    escalated_to = models.ForeignKey("regions.OrgUnit", verbose_name=_("escalated to"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    done_at = models.DateTimeField(_("completed"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    result = EncryptedTextField(_("result"))
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)  # 1 (very poor) – 5
    # The sender's id of an order received from an exchange partner ("<partner key id>:<their id>"): receiving it
    # twice gives the same order.
    external_id = models.CharField(max_length=110, null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"WorkOrder {self.pk}"

    OPEN = (State.DISPATCHED, State.ACCEPTED)

    @property
    def due(self):
        """The deadline that runs now: acceptance while dispatched, completion while in progress."""
        if self.state == self.State.DISPATCHED:
            return self.accept_due
        if self.state == self.State.ACCEPTED:
            return self.complete_due
        return None

    @property
    def overdue(self) -> bool:
        due = self.due
        return due is not None and due < timezone.now()


class OrderEvent(models.Model):
    class Kind(models.TextChoices):
        DISPATCHED = "dispatched", pgettext_lazy("work order", "dispatched")
        ACCEPTED = "accepted", pgettext_lazy("work order", "accepted")
        RETURNED = "returned", pgettext_lazy("work order", "returned")
        PROGRESS = "progress", _("progress note")
        TRANSFERRED = "transferred", _("passed to another office")
        COMPLETED = "completed", pgettext_lazy("work order", "completed")
        CLOSED = "closed", pgettext_lazy("work order", "closed")
        CANCELLED = "cancelled", pgettext_lazy("work order", "cancelled")
        ESCALATED = "escalated", pgettext_lazy("work order", "escalated")
        SUPERVISED = "supervised", _("supervision (督办)")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("when"), default=timezone.now)
    office = models.ForeignKey("regions.DepartmentUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("regions.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = EncryptedTextField(_("note"))

    class Meta:
        verbose_name = _("work-order step")
        verbose_name_plural = _("work-order steps")
        ordering = ["at", "id"]


class ExchangePartner(models.Model):
    """An external 综治/网格化 platform Xinli exchanges with (issue 19 part 5): it sends work orders (12345 citizen-hotline
    and grid orders) signed with a shared HMAC-SM3 secret, and receives the results of those orders at ``push_url``.
    ``org_unit``: the area it may send orders for; ``account``: the platform's user in Xinli, in whose name its orders
    are sent (a 综治 office account with ``orders.create`` over that area). Registered with
    ``manage.py exchange_partner``; the secret is shown once there and stored encrypted."""

    key_id = models.SlugField(_("partner key id"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    secret = EncryptedTextField(_("shared secret"))
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.PROTECT, related_name="+")
    push_url = models.URLField(_("push address"), blank=True, default="")
    # The person fields pushed with a persons-at-risk event or a dispute (keys of PERSON_FIELDS; default none: the
    # partner gets a pseudonymous reference only). Set by the operator with ``exchange_partner --person-fields``.
    person_fields = models.JSONField(_("person fields shared"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("exchange partner")
        verbose_name_plural = _("exchange partners")

    def __str__(self):
        return self.name


class ExchangeNonce(models.Model):
    """A request nonce already seen from a partner (replay protection); kept for twice the allowed clock skew."""

    partner = models.ForeignKey(ExchangePartner, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("exchange request nonce")
        verbose_name_plural = _("exchange request nonces")
        constraints = [models.UniqueConstraint(fields=["partner", "nonce"], name="exchange_nonce_unique")]


class ExchangeMessage(models.Model):
    """An outgoing message to a partner (the outbox): written in the transaction of the change it reports, sent by
    the queue with retries. ``payload`` is JSON text, encrypted (a result may describe the person)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    partner = models.ForeignKey(ExchangePartner, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=30)
    order = models.ForeignKey(WorkOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payload = EncryptedTextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("exchange message")
        verbose_name_plural = _("exchange messages")


# --- grids and household visits (网格与摸排, issue 19 part 2) ----------------------------------------------------------

class GridCell(models.Model):
    """A grid cell (网格) below a village or community: its code (the village's 12 digits, a dash, the cell number),
    name, households and grid worker. Imported with ``manage.py import_grids``."""

    code = models.CharField(_("grid code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("village or community"), on_delete=models.PROTECT,
                                 related_name="+")
    org_path = models.CharField(_("org path"), max_length=255, editable=False, db_index=True)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("grid worker"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("grid cell")
        verbose_name_plural = _("grid cells")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.org_path = self.org_unit.path
        super().save(*args, **kwargs)


class GridResident(ScopedModel):
    """A resident placed in a grid cell (one cell per resident — placing again moves them; after a merge of two
    records the latest placement counts, ``grids.grid_of``)."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="+")
    listed_persons = ListedPersons("person", purpose="grid")  # the grid page lists its residents by name: audited
    grid = models.ForeignKey(GridCell, verbose_name=_("grid cell"), on_delete=models.PROTECT, related_name="residents")
    since = models.DateField(_("since"), default=timezone.localdate)

    class Meta:
        verbose_name = _("grid placement")
        verbose_name_plural = _("grid placements")


class RiskSign(models.TextChoices):
    """The signs the pilot plan asks grid workers and mediators to find (三(三): 矛盾突出、生活失意、心态失衡、行为失常、性格偏执)."""

    CONFLICT = "conflict", _("acute conflicts (矛盾突出)")
    FRUSTRATION = "frustration", _("setbacks in life (生活失意)")
    IMBALANCE = "imbalance", _("mental imbalance (心态失衡)")
    ABNORMAL = "abnormal_behaviour", _("abnormal behaviour (行为失常)")
    PARANOID = "paranoid", _("paranoid personality (性格偏执)")


class Need(models.TextChoices):
    POVERTY = "poverty", _("hardship, poverty")
    EMPLOYMENT = "employment", _("employment")
    CAREGIVING = "caregiving", _("care of a sick, old or disabled family member")


class DisputeType(models.TextChoices):
    """Kinds of dispute as the people's mediation statistics count them (人民调解案件分类, as far as known; docs)."""

    FAMILY = "family", _("marriage and family")
    NEIGHBOUR = "neighbour", _("neighbours")
    HOUSING = "housing", _("housing and homestead land")
    CONTRACT = "contract", _("contracts and debts")
    DAMAGES = "damages", _("damages")
    LABOUR = "labour", _("labour and wages")
    VILLAGE = "village", _("village affairs")
    LAND = "land", _("land requisition and demolition")
    ENVIRONMENT = "environment", _("environment")
    OTHER = "other", _("other")


class Mediation(models.TextChoices):
    RESOLVED = "resolved", _("resolved on the spot")
    MEDIATING = "mediating", _("being mediated by the people's mediator")
    REFER = "refer", _("to be referred for mediation (work order to justice)")


class HouseholdVisit(ScopedModel):
    """A grid worker's household visit (入户摸排): who, the situation, the plan's risk signs, a dispute and needs.
    ``actions``: what the declared rules did (codes and ids: the tag set, the plan opened, the alert raised, the work
    orders sent)."""

    grid = models.ForeignKey(GridCell, verbose_name=_("grid cell"), on_delete=models.PROTECT, related_name="visits")
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    listed_persons = ListedPersons("person", purpose="grid")
    visited_on = models.DateField(_("visited on"))
    visited_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("visited by"), null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    situation = EncryptedTextField(_("situation"))
    risk_signs = models.JSONField(_("risk signs"), default=list, blank=True)
    needs = models.JSONField(_("needs"), default=list, blank=True)
    dispute_type = models.CharField(_("dispute"), max_length=12, choices=DisputeType.choices, blank=True, default="")
    dispute_parties = EncryptedTextField(_("parties to the dispute"))
    mediation = models.CharField(_("mediation"), max_length=10, choices=Mediation.choices, blank=True, default="")
    mediator = models.CharField(_("people's mediator"), max_length=50, blank=True, default="")
    actions = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    @property
    def sign_labels(self) -> list:
        return [RiskSign(s).label for s in self.risk_signs if s in RiskSign.values]

    @property
    def need_labels(self) -> list:
        return [Need(n).label for n in self.needs if n in Need.values]

    class Meta:
        verbose_name = _("household visit")
        verbose_name_plural = _("household visits")
        ordering = ["-visited_on", "-id"]


# --- the leading group (领导小组, issue 19 part 4) ------------------------------------------------------------------

class Meeting(models.Model):
    """A meeting of a region's leading group for the social psychological service system (led by the 综治 office):
    when, the departments that attended (and who), the minutes and the decisions. Tasks decided there are
    :class:`GroupTask` rows. No person data: minutes name departments and work, not residents."""

    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    held_on = models.DateField(_("held on"))
    title = models.CharField(pgettext_lazy("meeting", "title"), max_length=100)
    departments = models.ManyToManyField("regions.Department", verbose_name=_("departments present"), related_name="+", blank=True)
    attendees = models.TextField(_("attendees"), blank=True, default="")
    minutes = models.TextField(pgettext_lazy("meeting", "minutes"), blank=True, default="")
    decisions = models.TextField(_("decisions"), blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("leading-group meeting")
        verbose_name_plural = _("leading-group meetings")
        ordering = ["-held_on", "-id"]

    def __str__(self):
        return f"{self.held_on} {self.title}"


class GroupTask(models.Model):
    """A task the leading group gave a department (at a meeting or on its own), with a deadline; the department
    reports progress (:class:`TaskReport`) until it is done. On time = done no later than the deadline day."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("task", "in progress")
        DONE = "done", pgettext_lazy("task", "done")
        CANCELLED = "cancelled", pgettext_lazy("task", "cancelled")

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="tasks")
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    department = models.ForeignKey("regions.Department", verbose_name=pgettext_lazy("leading group", "department"),
                                   on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("task"), max_length=150)
    due_on = models.DateField(_("due on"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("leading-group task")
        verbose_name_plural = _("leading-group tasks")
        ordering = ["due_on", "id"]

    @property
    def on_time(self) -> bool:
        return self.state == self.State.DONE and self.done_on is not None and self.done_on <= self.due_on

    def overdue_on(self, day) -> bool:
        return self.state == self.State.OPEN and self.due_on < day


class TaskReport(models.Model):
    """A progress report on a task by its department (or the 综治 office)."""

    task = models.ForeignKey(GroupTask, on_delete=models.CASCADE, related_name="reports")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    progress = models.PositiveSmallIntegerField(_("progress (%)"))
    note = models.TextField(_("note"), blank=True, default="")

    class Meta:
        verbose_name = _("task progress report")
        verbose_name_plural = _("task progress reports")
        ordering = ["at", "id"]
