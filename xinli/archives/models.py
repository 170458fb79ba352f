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
    phone_bidx = BlindIndexField(source="phone", domain="phone", normalizer=normalize_phone, db_index=True)
    name_bidx = BlindIndexField(source="name", domain="name", normalizer=normalize_name, db_index=True)
    name_initials_bidx = BlindIndexField(source="name", domain="name_initials", normalizer=pinyin_initials, db_index=True)
    name_pinyin_bidx = BlindIndexField(source="name", domain="name_pinyin", normalizer=pinyin_full, db_index=True)

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
            # Covers the indicator counts of tagged persons by (org_path, sex) (T09, CA1: ``counselling.indicators``):
            # an index-only scan of about 100 MB instead of the person table, whose encrypted columns make it 1.4 GB
            # for 2,000,000 residents. Plain key columns, so SQLite builds the same index.
            models.Index(fields=["id", "org_path", "sex"], name="person_id_path_sex"),
        ]

    def __str__(self):
        return f"Person #{self.pk}"

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

    class Meta:
        verbose_name = _("population tag")
        verbose_name_plural = _("population tags")
        constraints = [
            models.UniqueConstraint(fields=["person", "tag"], condition=Q(until__isnull=True), name="tag_active_unique"),
        ]


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
