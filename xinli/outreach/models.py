from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core.fields import EncryptedTextField


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
    """A core-knowledge questionnaire: questions with the correct answer; a respondent passes with at least
    ``pass_mark`` correct answers (the sample ships 80 %)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    questions = models.JSONField(_("questions"), default=list)  # [{"id", "text", "options": [...], "answer"}]
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (correct answers)"))


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


class AwarenessResponse(models.Model):
    survey = models.ForeignKey(AwarenessSurvey, on_delete=models.PROTECT, related_name="responses")
    org_unit = models.ForeignKey("regions.OrgUnit", verbose_name=_("sampled org unit"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    rural = models.BooleanField(_("rural"))
    correct = models.PositiveSmallIntegerField(_("correct answers"))
    passed = models.BooleanField(_("passed"))
    answered_on = models.DateField(_("date"), default=timezone.localdate)
