"""Every write of publicity and awareness: articles (sanitised, author → reviewer → published), events and
registrations, the awareness questionnaire (loaded as data), awareness responses through a village's open link or a
one-time invitation (the probability sample itself is drawn in ``sampling``)."""

from __future__ import annotations

import json
from pathlib import Path

import nh3
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core import audit
from xinli.core.i18n import choice_list, field_error
from xinli.core.policy import OUTREACH_PUBLISH
from xinli.core.scoping import path_in_scope

from .models import (
    Article,
    AwarenessLink,
    AwarenessResponse,
    AwarenessSurvey,
    Category,
    Event,
    Invitation,
    Registration,
    plain_text,
)

MAX_BODY = 100_000  # characters of HTML
ALLOWED_TAGS = {"p", "br", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "b", "i", "blockquote", "a", "img"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}}


def sanitise(html: str) -> str:
    """Keep only formatting tags; no script, style, event handler or javascript: URL survives."""
    return nh3.clean(html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https"})


def _require(actor, unit) -> None:
    if not path_in_scope(actor, OUTREACH_PUBLISH, unit.path):
        raise PermissionDenied


def write_article(actor, *, org_unit, title: str, body: str, category: str, summary: str = "", tags=(), article: Article | None = None) -> Article:
    _require(actor, org_unit)
    if not (title or "").strip():
        raise field_error("title", _("Title: required."))
    if category not in Category.values:
        raise field_error("category", _("Category: one of {choices}."), choices=choice_list(Category))
    if len(body or "") > MAX_BODY:
        raise field_error("body", _("Body: too long ({size} characters); at most {max}."), size=len(body), max=MAX_BODY)
    clean = sanitise(body)
    if not clean.strip():
        raise field_error("body", _("Body: empty after removing unsafe content; write the text of the article."))
    with transaction.atomic():
        if article is None:
            article = Article(author=actor)
        elif article.state not in (Article.State.DRAFT, Article.State.REJECTED) or article.author_id != actor.pk:
            raise field_error("state", _("Article: only its author can edit it, and only as a draft or when returned."))
        article.org_unit, article.org_path = org_unit, org_unit.path
        article.title, article.summary, article.body, article.category = title.strip(), plain_text(summary, 300), clean, category
        article.tags = [str(t)[:20] for t in tags][:10]
        article.state = Article.State.DRAFT
        article.save()
        audit.record(actor, audit.Action.UPDATE, obj=article, org_path=article.org_path, detail={"state": "draft"})
    return article


def submit(actor, article: Article) -> Article:
    if article.author_id != actor.pk or article.state not in (Article.State.DRAFT, Article.State.REJECTED):
        raise field_error("state", _("Article: only its author can submit a draft for review."))
    Article.objects.filter(pk=article.pk).update(state=Article.State.IN_REVIEW)
    article.refresh_from_db()
    audit.record(actor, audit.Action.UPDATE, obj=article, org_path=article.org_path, detail={"state": "in_review"})
    return article


def review(actor, article: Article, *, approve: bool, note: str = "") -> Article:
    """A second publisher reviews: approve publishes it, reject returns it to the author with a note."""
    _require(actor, article.org_unit)
    if article.author_id == actor.pk:
        raise field_error("reviewer", _("Reviewer: an article is reviewed by someone other than its author."))
    if not approve and not (note or "").strip():
        raise field_error("note", _("Review note: say what the author should change."))
    state = Article.State.PUBLISHED if approve else Article.State.REJECTED
    with transaction.atomic():
        if Article.objects.filter(pk=article.pk, state=Article.State.IN_REVIEW).update(
                state=state, reviewer=actor, review_note=(note or "").strip()[:500],
                published_at=timezone.now() if approve else None) != 1:
            raise field_error("state", _("Article: not waiting for review."))
        article.refresh_from_db()
        audit.record(actor, audit.Action.UPDATE, obj=article, org_path=article.org_path, detail={"state": state})
    return article


def count_view(article: Article) -> None:
    Article.objects.filter(pk=article.pk).update(views=F("views") + 1)


def create_event(actor, *, org_unit, title: str, kind: str, starts_at, place: str, capacity: int) -> Event:
    _require(actor, org_unit)
    if not (title or "").strip() or not (place or "").strip():
        raise field_error("title", _("Event: the title and the place are required."))
    if kind not in Event.Kind.values:
        raise field_error("kind", _("Kind: one of {choices}."), choices=choice_list(Event.Kind))
    if not isinstance(capacity, int) or not 1 <= capacity <= 10_000:
        raise field_error("capacity", _("Capacity: from 1 to 10000."))
    with transaction.atomic():
        event = Event.objects.create(org_unit=org_unit, org_path=org_unit.path, title=title.strip(), kind=kind, starts_at=starts_at,
                                     place=place.strip(), capacity=capacity, created_by=actor)
        audit.record(actor, audit.Action.CREATE, obj=event, org_path=event.org_path)
    return event


def register(event: Event, *, name: str, phone: str) -> Registration:
    """A resident registers (no account). Full or past events refuse."""
    if not (name or "").strip():
        raise field_error("name", _("Name: how should we call you?"))
    if event.starts_at <= timezone.now():
        raise field_error("event", _("Event: it has already started; registration is closed."))
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        if locked.registrations.count() >= locked.capacity:
            raise field_error("event", _("Event: full; no place left."))
        return Registration.objects.create(event=locked, name=name.strip()[:50], phone=(phone or "").strip()[:20])


def mark_attendance(actor, registration: Registration, attended: bool = True) -> Registration:
    _require(actor, registration.event.org_unit)
    registration.attended = attended
    registration.save(update_fields=["attended"])
    return registration


def sample_survey() -> AwarenessSurvey:
    """The built-in sample questionnaire (示例; ``awareness_sample.json``): used until the official one is loaded."""
    data = json.loads((Path(__file__).parent / "awareness_sample.json").read_text(encoding="utf-8"))
    survey, _created = AwarenessSurvey.objects.get_or_create(
        name=data["name"], sample=True,
        defaults={"questions": data["questions"], "pass_mark": data["pass_mark"], "source": data["source"]})
    return survey


def load_survey(data) -> tuple[AwarenessSurvey, str]:
    """Load a questionnaire (``questionnaire`` format) as data: a new version of its name, or — when nothing changed —
    the version already there. The latest version is changed in place only while nobody has answered it and no
    sample uses it; a version with answers is never edited. Returns the survey and "created", "new_version",
    "updated" or "unchanged". Raises ``ValidationError`` listing every problem (nothing written)."""
    from django.core.exceptions import ValidationError

    from .questionnaire import normalised, problems

    found = problems(data)
    if found:
        raise ValidationError(found)
    clean = normalised(data)
    content = {"source": clean["source"], "pass_mark": clean["pass_mark"], "questions": clean["questions"]}
    with transaction.atomic():
        latest = AwarenessSurvey.objects.select_for_update().filter(name=clean["name"], sample=False).order_by("-version").first()
        if latest is not None and all(getattr(latest, k) == v for k, v in content.items()):
            return latest, "unchanged"
        if latest is not None and not latest.responses.exists() and not latest.samples.exists():
            for k, v in content.items():
                setattr(latest, k, v)
            latest.loaded_at = timezone.now()
            latest.save()
            survey, status = latest, "updated"
        else:
            survey = AwarenessSurvey.objects.create(name=clean["name"], version=(latest.version + 1) if latest else 1, **content)
            status = "new_version" if latest else "created"
        audit.record(None, audit.Action.CREATE if status != "updated" else audit.Action.UPDATE, obj=survey,
                     detail={"version": survey.version, "questions": len(clean["questions"])})
    return survey, status


def awareness_link(actor, unit) -> AwarenessLink:
    """The survey link of a sampled village or community in ``actor``'s area for the questionnaire in use: made once
    (random token, audited), then the same link each time it is asked for."""
    from .questionnaire import current_survey

    if unit is None or unit.level != "village":
        raise field_error("code", _("Village code: the 12-digit code of a village or community in your area."))
    if not path_in_scope(actor, OUTREACH_PUBLISH, unit.path):
        raise PermissionDenied
    survey = current_survey()
    with transaction.atomic():
        link, created = AwarenessLink.objects.get_or_create(survey=survey, org_unit=unit,
                                                             defaults={"org_path": unit.path, "created_by": actor})
        if created:
            audit.record(actor, audit.Action.CREATE, obj=link, org_path=unit.path, detail={"awareness_link": unit.code})
    return link


def _check_answers(survey: AwarenessSurvey, answers) -> int:
    """The number of correct answers, or a ``ValidationError`` naming the unanswered questions or the answers that
    are not an option."""
    ids = [q["id"] for q in survey.questions]
    if not isinstance(answers, dict) or not set(answers) <= set(ids):
        raise field_error("answers", _("Answers: one for each of the {n} questions."), n=len(ids))
    missing = [str(i) for i in ids if answers.get(i) in (None, "")]
    if missing:
        raise field_error("answers", _("Answers: question {numbers} not answered; answer each of the {n} questions."),
                          numbers="、".join(missing), n=len(ids))
    wrong = [str(q["id"]) for q in survey.questions if q.get("options") and answers[q["id"]] not in q["options"]]
    if wrong:
        raise field_error("answers", _("Answers: question {numbers}: choose one of the options shown."), numbers="、".join(wrong))
    return sum(answers[q["id"]] == q["answer"] for q in survey.questions)


def record_awareness(survey: AwarenessSurvey, *, org_unit, answers: dict) -> AwarenessResponse:
    """One anonymous respondent through a village's open link: a convenience sample (便利样本). Urban or rural is
    read from the village when T10 is computed (``outreach.indicators``); ``rural`` keeps what it was on the day."""
    correct = _check_answers(survey, answers)
    return AwarenessResponse.objects.create(survey=survey, org_unit=org_unit, org_path=org_unit.path, rural=org_unit.is_rural,
                                            correct=correct, passed=correct >= survey.pass_mark)


def answer_invitation(code: str, answers: dict) -> AwarenessResponse:
    """One drawn resident answers with their one-time invitation code: the code is used up in the same transaction as
    the answer is stored (a second use, even at the same moment, is refused). The answer carries the sample and the
    stratum for the design weights, and does not point to the invitation or the person."""
    from .sampling import invitation_for_code

    invitation = invitation_for_code(code)
    sample = invitation.sample
    correct = _check_answers(sample.survey, answers)
    with transaction.atomic():
        if Invitation.objects.filter(pk=invitation.pk, used=False).update(used=True) != 1:
            raise field_error("code", _("Invitation code: already used; each code answers the survey once."))
        return AwarenessResponse.objects.create(survey=sample.survey, sample=sample, org_unit=invitation.org_unit,
                                                org_path=invitation.org_unit.path, rural=invitation.rural, correct=correct,
                                                passed=correct >= sample.survey.pass_mark)


def record_materials(actor, event: Event, count: int) -> Event:
    _require(actor, event.org_unit)
    if not isinstance(count, int) or not 0 <= count <= 100_000:
        raise field_error("materials", _("Materials: a number from 0 to 100000."))
    Event.objects.filter(pk=event.pk).update(materials=count)
    event.refresh_from_db()
    return event
