"""The resident psychological service archive (社会心理服务电子档案): persons, consents, population tags.

Personal fields are SM4-GCM encrypted; exact look-ups go through HMAC-SM3 blind indexes. Every row carries
``org_path`` and ``county_code`` so that scoping never needs a join and tables can be distributed by county.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core.fields import BlindIndexField, EncryptedDateField, EncryptedTextField
from xinli.core.listing import ListedPersons
from xinli.core.models import PersonScopedModel

from .normalize import normalize_id_number, normalize_name, normalize_phone, pinyin_full, pinyin_initials


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")
    UNKNOWN = "U", _("unknown")


class PersonStatus(models.TextChoices):
    ACTIVE = "active", _("resident")
    MOVED_OUT = "moved_out", _("moved out")
    DECEASED = "deceased", _("deceased")
    MERGED = "merged", _("merged into another record")


# The statuses a person's record can be given by editing it; "merged" is set only by merging two records.
EDITABLE_STATUSES = [(v, label) for v, label in PersonStatus.choices if v != PersonStatus.MERGED]


class ScopedModel(PersonScopedModel):
    """The archive's person-scoped rows (``xinli.core.models.PersonScopedModel``), with the archive's historical field
    options kept (verbose names; no separate ``org_path`` index)."""

    org_path = models.CharField(_("org path"), max_length=255, editable=False)
    county_code = models.CharField(_("county code"), max_length=6, editable=False, db_index=True)

    class Meta:
        abstract = True


class Person(ScopedModel):
    name = EncryptedTextField(_("name"))
    id_number = EncryptedTextField(_("resident ID number"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = EncryptedDateField(_("birth date"))
    # Plain birth year: age-band statistics without decrypting (a documented choice, docs/security.md).
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True, db_index=True)
    phone = EncryptedTextField(_("phone"))
    address = EncryptedTextField(_("address"))
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("residence org unit"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=PersonStatus.choices, default=PersonStatus.ACTIVE)
    listed_persons = ListedPersons("", purpose="archives")  # lists of these rows audit the persons shown

    id_number_bidx = BlindIndexField(source="id_number", domain="id_number", normalizer=normalize_id_number)
    phone_bidx = BlindIndexField(source="phone", domain="phone", normalizer=normalize_phone)
    name_bidx = BlindIndexField(source="name", domain="name", normalizer=normalize_name)
    name_initials_bidx = BlindIndexField(source="name", domain="name_initials", normalizer=pinyin_initials)
    name_pinyin_bidx = BlindIndexField(source="name", domain="name_pinyin", normalizer=pinyin_full)
    # Name and birth date together (the possible-duplicates review list, docs/archive.md "Duplicate archives").
    name_birth_bidx = BlindIndexField(source="name_birth_key", domain="name_birth")
    # A record merged into another (status "merged") points to the record that survived; never deleted.
    merged_into = models.ForeignKey("self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", editable=False)

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["id_number_bidx"], condition=Q(id_number_bidx__isnull=False), name="person_id_number_unique"),
        ]
        indexes = [
            models.Index(fields=["org_path"], name="person_org_path_like", opclasses=["varchar_pattern_ops"]),
            # Blind indexes are compared for equality only: plain B-trees, declared here rather than with db_index
            # (which on PostgreSQL adds a second, varchar_pattern_ops index per column for LIKE, never used on a hash
            # and a fifth of a bulk import's index upkeep).
            *(models.Index(fields=[f], name=f"person_{f}") for f in ("phone_bidx", "name_bidx", "name_initials_bidx",
                                                                      "name_pinyin_bidx", "name_birth_bidx")),
        ]

    def __str__(self):
        return f"Person #{self.pk}"

    @property
    def name_birth_key(self) -> str | None:
        """The source of ``name_birth_bidx``: the normalised name and the ISO birth date; None without either."""
        return name_birth_key(self.name, self.birth_date)

    @property
    def masked_id_number(self) -> str:
        value = self.id_number or ""
        return value[:6] + "*" * 8 + value[-4:] if len(value) == 18 else ("*" * len(value))

    @property
    def masked_phone(self) -> str:
        value = self.phone or ""
        return value[:3] + "****" + value[-4:] if len(value) >= 11 else value

    def age_on(self, day) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


def name_birth_key(name, birth_date) -> str | None:
    name = normalize_name(name or "")
    if not name or not birth_date:
        return None
    day = birth_date.isoformat() if hasattr(birth_date, "isoformat") else str(birth_date)
    return f"{name}|{day}"


class ConsentPurpose(models.TextChoices):
    ARCHIVE = "archive", _("psychological service archive")
    SCREENING = "screening", _("screening and assessment")
    COUNSELLING = "counselling", _("counselling and follow-up")
    SMD = "smd", _("community management of severe mental disorder")
    RESEARCH = "research", _("de-identified research")
    CONTACT = "contact", _("contact by phone or SMS")


class LegalBasis(models.TextChoices):
    CONSENT = "consent", _("separate consent (PIPL art. 29)")
    STATUTORY = "statutory", _("statutory duty (PIPL art. 13(3))")
    EMERGENCY = "emergency", _("life or health emergency (PIPL art. 13(4))")


class ConsentGiver(models.TextChoices):
    SELF = "self", _("the person")
    GUARDIAN = "guardian", _("guardian")


class Consent(ScopedModel):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    listed_persons = ListedPersons("person", purpose="consent")  # lists of these rows audit the persons shown
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    legal_basis = models.CharField(_("legal basis"), max_length=20, choices=LegalBasis.choices, default=LegalBasis.CONSENT)
    given_by = models.CharField(_("given by"), max_length=10, choices=ConsentGiver.choices, default=ConsentGiver.SELF)
    guardian_name = EncryptedTextField(_("guardian name"))
    guardian_relation = models.CharField(_("guardian relation"), max_length=30, blank=True)
    given_at = models.DateField(_("date given"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at", "-id"]

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class Tag(models.TextChoices):
    """Special populations of the pilot plan §三(一) (DOMAIN.md §3)."""

    ELDERLY_EMPTY_NEST = "elderly_empty_nest", _("empty-nest elderly")
    ELDERLY_WIDOWED = "elderly_widowed", _("widowed elderly")
    ELDERLY_BEREAVED_PARENT = "elderly_bereaved_parent", _("elderly who lost their only child")
    ELDERLY_LEFT_BEHIND = "elderly_left_behind", _("left-behind elderly")
    WOMEN_PERINATAL = "women_perinatal", _("pregnant or postpartum woman")
    WOMEN_MENOPAUSE = "women_menopause", _("menopausal woman")
    WOMEN_INJURED = "women_injured", _("woman who suffered accidental harm")
    CHILD_MIGRANT = "child_migrant", _("migrant child")
    CHILD_LEFT_BEHIND = "child_left_behind", _("left-behind child")
    CHILD_IN_DIFFICULTY = "child_in_difficulty", _("child in difficulty")
    ORPHAN = "orphan", _("orphan")
    DISABLED = "disabled", _("person with disability")
    DISABLED_FAMILY = "disabled_family", _("family of a person with disability")
    VAGRANT = "vagrant", _("vagrant or beggar")
    DETAINEE = "detainee", _("detainee in police custody")
    PRISONER = "prisoner", _("prisoner")
    COMMUNITY_CORRECTION = "community_correction", _("person under community correction")
    RELEASED_PRISONER = "released_prisoner", _("released prisoner")
    DRUG_COMPULSORY = "drug_compulsory", _("compulsory drug rehabilitation")
    DRUG_COMMUNITY = "drug_community", _("community drug rehabilitation")
    DRUG_MAINTENANCE = "drug_maintenance", _("drug maintenance treatment")
    DRUG_VOLUNTARY = "drug_voluntary", _("voluntary drug rehabilitation")
    CONFLICT_DISTRESS = "conflict_distress", _("conflict, frustration, imbalance or abnormal behaviour")
    PARANOID_PERSONALITY = "paranoid_personality", _("paranoid personality")
    SMD_FAMILY = "smd_family", _("family of a severe-mental-disorder patient")
    STUDENT_VICTIM = "student_victim", _("student victim of bullying, violence or sexual assault")


class PopulationTag(ScopedModel):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="tags")
    listed_persons = ListedPersons("person", purpose="archives")  # lists of these rows audit the persons shown
    tag = models.CharField(_("population tag"), max_length=30, choices=Tag.choices, db_index=True)
    since = models.DateField(_("since"), default=timezone.localdate)
    until = models.DateField(_("until"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The person's sex, kept beside the person's unit (``org_path``) so that the indicator counts of tagged persons by
    # (unit, sex) — T09 and CA1, ``counselling.indicators`` — read this table alone (issue 16 item 6). Both are set by
    # ``place_under(person)`` and kept in step by the archive's services (a move or a sex correction in
    # ``update_person``, a merge); never set by hand.
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN, editable=False)

    class Meta:
        verbose_name = _("population tag")
        verbose_name_plural = _("population tags")
        constraints = [
            models.UniqueConstraint(fields=["person", "tag"], condition=Q(until__isnull=True), name="tag_active_unique"),
        ]
        indexes = [
            # The T09/CA1 count: distinct persons per (unit, sex) read in index order, no sort (PostgreSQL covers the
            # filter columns too; SQLite ignores ``include``).
            models.Index(fields=["org_path", "sex", "person"], include=["tag", "since", "until"], name="tag_path_sex_person"),
        ]

    def place_under(self, where):
        super().place_under(where)
        if isinstance(where, Person):
            self.sex = where.sex
        return self


class DuplicateRequest(models.Model):
    """An ID number someone tried to register or set that the archive already holds outside their area (issue 15,
    the existence oracle). The requester is told only a neutral refusal; the officers of the common ancestor unit
    (``org_path``: holders of ``archives.edit`` there or above) see the request and close it — the existing record
    transferred to the requesting unit, resolved (the number stays where it is), or rejected — with a note; the
    requester gets a neutral inbox message. No plaintext ID number is stored: only its blind index."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        TRANSFERRED = "transferred", _("record transferred to the requesting unit")
        RESOLVED = "resolved", _("resolved")
        REJECTED = "rejected", _("rejected")

    requester = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("requested by"))
    unit = models.ForeignKey("regions.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("requesting unit"))
    id_number_bidx = models.CharField(max_length=64, db_index=True, editable=False)
    org_path = models.CharField(_("org path"), max_length=255, editable=False, db_index=True)  # the common ancestor
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("resolved by"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    note = EncryptedTextField(_("resolution note"))  # the officer's reason; may mention the person, so encrypted

    class Meta:
        verbose_name = _("duplicate ID number request")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"DuplicateRequest {self.pk}"


class Transfer(models.Model):
    """A resident moved inside the instance (their residence org unit changed): everything other services manage for
    them by area (the SMD register entry, open plans, open counselling and crisis cases, pending follow-up tasks) is
    handed from the sending unit to the receiving one. The sending unit stays responsible until the receiving unit
    accepts; the receiving unit may return it with a reason. Nothing is copied: on acceptance the same rows change
    their responsible unit (``TransferItem`` keeps what moved, from where, to where and when). ``xinli.archives.transfers``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for acceptance")
        ACCEPTED = "accepted", _("accepted")
        RETURNED = "returned", _("returned")
        PARTLY = "partly", _("partly accepted, partly returned")
        CANCELLED = "cancelled", _("cancelled")

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="transfers")
    listed_persons = ListedPersons("person", purpose="transfer")  # lists of these rows audit the persons shown
    from_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("sending unit"), on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("receiving unit"), on_delete=models.PROTECT, related_name="+")
    from_path = models.CharField(max_length=255, editable=False, db_index=True)
    to_path = models.CharField(max_length=255, editable=False, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    accept_by = models.DateField(_("accept by"), db_index=True)
    escalations = models.PositiveSmallIntegerField(_("escalations"), default=0)
    escalated_to = models.ForeignKey("regions.OrgUnit", verbose_name=_("escalated to"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = EncryptedTextField(_("reason for returning"))  # may describe the person, so encrypted

    class Meta:
        verbose_name = _("resident transfer")
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return f"Transfer {self.pk}"

    @property
    def overdue(self) -> bool:
        return self.status == self.Status.PENDING and self.accept_by < timezone.localdate()


class TransferItem(models.Model):
    """One managed record in a transfer (``kind``: the registered holder, e.g. ``smd.patient``; ``object_id``: the
    row). ``detail`` holds codes only (no personal data) for the worklist's description. ``moved_on`` is the day the
    row changed its responsible unit (acceptance), empty while pending or when returned."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for acceptance")
        ACCEPTED = "accepted", _("accepted")
        RETURNED = "returned", _("returned")
        CANCELLED = "cancelled", _("cancelled")

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=40, db_index=True)
    object_id = models.BigIntegerField(db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    from_path = models.CharField(max_length=255, editable=False, db_index=True)
    to_path = models.CharField(max_length=255, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    moved_on = models.DateField(_("moved on"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("transferred record")
        ordering = ["id"]
class PossibleDuplicate(models.Model):
    """Two records that may be the same resident: the same name and birth date, or the same phone, with different
    (or missing) ID numbers (issue 17). Found through blind indexes only (``duplicates.flag_possible_duplicates``);
    never merged silently: an officer compares the two and merges them or dismisses the pair. ``person_a`` is the
    record with the smaller id; one row per pair. ``org_path`` is the common ancestor of the two records' units:
    the officers there (``archives.merge``) see the pair. The pair names no one: the list shows record numbers."""

    class State(models.TextChoices):
        OPEN = "open", _("to review")
        MERGED = "merged", _("merged")
        DISMISSED = "dismissed", _("not the same person")

    person_a = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("record"))
    person_b = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("other record"))
    same_name_birth = models.BooleanField(_("same name and birth date"), default=False)
    same_phone = models.BooleanField(_("same phone"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True)
    org_path = models.CharField(_("org path"), max_length=255, editable=False, db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("possible duplicate record")
        verbose_name_plural = _("possible duplicate records")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="possible_duplicate_pair_unique"),
            models.CheckConstraint(condition=Q(person_a__lt=models.F("person_b")), name="possible_duplicate_ordered"),
        ]

    def __str__(self) -> str:
        return f"PossibleDuplicate {self.pk}"


class PersonMerge(models.Model):
    """One merge of two records of the same resident (issue 17): ``merged`` (kept, status "merged") into
    ``survivor``. Every row moved is listed in the merge's audit entry (``audit_entry_id``, the hash-chained record
    the undo reads) and copied in ``moved`` for the page."""

    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("surviving record"))
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("merged record"))
    org_path = models.CharField(_("org path"), max_length=255, editable=False, db_index=True)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("merged by"))
    merged_at = models.DateTimeField(_("merged at"), default=timezone.now, editable=False)
    audit_entry_id = models.BigIntegerField(_("audit entry"), null=True, editable=False)
    moved = models.JSONField(_("rows moved"), default=list, editable=False)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("undone by"))
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("record merge")
        verbose_name_plural = _("record merges")
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"PersonMerge {self.pk}"
