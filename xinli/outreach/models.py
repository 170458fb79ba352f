from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core.fields import EncryptedTextField
from xinli.core.listing import ListedPersons
from xinli.core.models import PersonScopedModel


class Category(models.TextChoices):
    KNOWLEDGE = "knowledge", _("mental-health knowledge")
    SELF_HELP = "self_help", _("self-help")
    YOUTH = "youth", _("children and adolescents")
    ELDERLY = "elderly", _("older people")
    WORKPLACE = "workplace", _("workplace")
    CRISIS = "crisis", _("crisis and where to get help")


SUMMARY_CHARS = 80  # a teaser of about two lines on a phone


def plain_text(html: str, limit: int | None = None) -> str:
    """Readable text of (sanitised) HTML: tags removed, entities decoded, whitespace collapsed, cut at ``limit``
    characters with an ellipsis — for summaries shown as text, never as markup."""
    import html as html_lib
    import re

    from django.utils.html import strip_tags

    text = re.sub(r"\s+", " ", html_lib.unescape(strip_tags(re.sub(r"<(?:br|/p|/li|/h[2-4])\s*/?>", " ", html or "")))).strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


class Article(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        IN_REVIEW = "in_review", _("in review")
        PUBLISHED = "published", _("published")
        REJECTED = "rejected", _("returned to the author")

    title = models.CharField(_("title"), max_length=120)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("body"))  # sanitised HTML (nh3 allowlist)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    review_note = models.CharField(_("review note"), max_length=500, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, db_index=True)
    views = models.PositiveIntegerField(_("views"), default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-published_at", "-id"]

    @property
    def teaser(self) -> str:
        """The summary as plain text, or the start of the body when no summary was written."""
        return plain_text(self.summary, SUMMARY_CHARS * 2) or plain_text(self.body, SUMMARY_CHARS)


class Event(models.Model):
    class Kind(models.TextChoices):
        SCHOOL = "school", _("lecture in a school")
        ENTERPRISE = "enterprise", _("lecture in an enterprise")
        COMMUNITY = "community", _("community event")
        ORGAN = "organ", _("lecture in a government organ")

    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    starts_at = models.DateTimeField(_("starts"))
    place = models.CharField(_("place"), max_length=120)
    capacity = models.PositiveIntegerField(_("capacity"))
    materials = models.PositiveIntegerField(_("materials distributed"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["starts_at"]


class Registration(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    name = EncryptedTextField(_("name"))
    phone = EncryptedTextField(_("phone"))
    attended = models.BooleanField(_("attended"), default=False)
    registered_at = models.DateTimeField(default=timezone.now)


class AwarenessSurvey(models.Model):
    """A core-knowledge questionnaire (心理健康核心知识知晓率调查问卷): questions with the correct answer; a respondent
    passes with at least ``pass_mark`` correct answers. The official questionnaire is loaded as data
    (``manage.py load_survey FILE``): each load of a changed questionnaire is a new ``version`` of its ``name``, and a
    version that has answers is never edited. The built-in sample (``sample``) is marked 示例 wherever it is shown."""

    name = models.CharField(_("name"), max_length=100)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    source = models.CharField(_("source"), max_length=300, blank=True)
    sample = models.BooleanField(_("sample questionnaire (示例)"), default=False)
    questions = models.JSONField(_("questions"), default=list)  # [{"id", "text", "options": [...], "answer"}]
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (correct answers)"))
    loaded_at = models.DateTimeField(_("loaded"), default=timezone.now)

    class Meta:
        verbose_name = _("awareness survey")
        verbose_name_plural = _("awareness surveys")
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="outreach_survey_version_unique")]

    def __str__(self):
        return f"{self.name} v{self.version}"


def new_link_token() -> str:
    """128 random bits, URL-safe (22 characters): a survey link cannot be found by counting or guessing."""
    return secrets.token_urlsafe(16)


class AwarenessLink(models.Model):
    """The unguessable link (and QR code) of the awareness survey for one sampled village or community, made on the
    publicity desk and handed out by the survey team; anonymous answers are accepted only through it."""

    survey = models.ForeignKey(AwarenessSurvey, on_delete=models.PROTECT, related_name="links")
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("sampled org unit"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    token = models.CharField(max_length=43, unique=True, default=new_link_token, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("awareness survey link")
        verbose_name_plural = _("awareness survey links")
        constraints = [models.UniqueConstraint(fields=["survey", "org_unit"], name="outreach_one_awareness_link_per_unit")]


def new_invitation_code() -> str:
    """10 characters from 32 (no 0/O, 1/I): 50 random bits, typed from a printed invitation; single use."""
    return "".join(secrets.choice(INVITATION_ALPHABET) for _ in range(10))


INVITATION_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class AwarenessSample(models.Model):
    """A probability sample for T10 (知晓率抽样调查) in one unit and year: residents drawn at random from the archive,
    separately in the unit's urban and rural villages/communities (two strata), each invited with a one-time code.
    The draw is reproducible: ``seed`` and, per stratum, the frame's size and digest are recorded."""

    survey = models.ForeignKey(AwarenessSurvey, on_delete=models.PROTECT, related_name="samples")
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    year = models.PositiveSmallIntegerField(_("year"))
    per_stratum = models.PositiveIntegerField(_("residents drawn per stratum"))
    min_age = models.PositiveSmallIntegerField(_("youngest age"))
    max_age = models.PositiveSmallIntegerField(_("oldest age"))
    seed = models.CharField(_("random seed"), max_length=64)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    drawn_at = models.DateTimeField(_("drawn"), default=timezone.now)

    class Meta:
        verbose_name = _("awareness sample")
        verbose_name_plural = _("awareness samples")
        ordering = ["-drawn_at", "-id"]


class SampleStratum(models.Model):
    """One stratum (urban or rural) of a sample: how many eligible residents the frame held (the stratum population
    of the design weights) and how many were invited."""

    sample = models.ForeignKey(AwarenessSample, on_delete=models.CASCADE, related_name="strata")
    rural = models.BooleanField(_("rural"))
    population = models.PositiveIntegerField(_("eligible residents (frame)"))
    frame_digest = models.CharField(max_length=64)  # SHA-256 of the frame's person ids in order: a redraw proves its frame
    invited = models.PositiveIntegerField(_("invited"))

    class Meta:
        verbose_name = _("sample stratum")
        verbose_name_plural = _("sample strata")
        constraints = [models.UniqueConstraint(fields=["sample", "rural"], name="outreach_one_stratum_per_area")]


class Invitation(PersonScopedModel):
    """The invitation of one drawn resident: a reference to the person (no copy of any personal field) and a
    one-time code. It records only that it was used — the answer does not point back to it."""

    sample = models.ForeignKey(AwarenessSample, on_delete=models.CASCADE, related_name="invitations")
    rural = models.BooleanField(_("rural"))
    person = models.ForeignKey("archives.Person", on_delete=models.PROTECT, related_name="+")
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("village or community"), on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("invitation code"), max_length=12, unique=True, default=new_invitation_code, editable=False)
    used = models.BooleanField(_("answered the survey"), default=False)
    listed_persons = ListedPersons("person", purpose="awareness sample")

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["org_path", "id"]


class AwarenessResponse(models.Model):
    """One anonymous answer. ``sample`` empty: through a village's open link — a convenience sample (便利样本);
    otherwise through a one-time invitation of that probability sample, in the stratum ``rural``."""

    survey = models.ForeignKey(AwarenessSurvey, on_delete=models.PROTECT, related_name="responses")
    sample = models.ForeignKey(AwarenessSample, null=True, blank=True, on_delete=models.PROTECT, related_name="responses")
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("sampled org unit"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    rural = models.BooleanField(_("rural"))
    correct = models.PositiveSmallIntegerField(_("correct answers"))
    passed = models.BooleanField(_("passed"))
    answered_on = models.DateField(_("date"), default=timezone.localdate)
