"""Administering instruments: score, store every answer, hand critical results to the alert hook — one
transaction."""

from __future__ import annotations

import json
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from xinli import alerts
from xinli.core import audit
from xinli.core.i18n import field_error
from xinli.core.policy import SCREENING_ADMINISTER
from xinli.core.scoping import path_in_scope
from xinli.scales import ScoringError, definitions, score
from xinli.scales.engine import number

from .models import Assessment, Mode


def _sex_of(person) -> str | None:
    return {"M": "male", "F": "female"}.get(getattr(person, "sex", ""), None)


def scoring_error(exc: ScoringError) -> ValidationError:
    key = "answers" if exc.field not in ("scale", "sex") else exc.field
    return ValidationError({key: [str(exc)]})


def administer(actor, *, scale: str, answers, person=None, mode: str = Mode.STAFF, sex: str | None = None,
               idempotency_key: str | None = None) -> tuple[Assessment, bool]:
    """Score and store one assessment. Who may call: holders of ``screening.administer`` over the person (staff
    mode), or anyone for an anonymous self-assessment (``person`` None, mode ``self``).

    Returns (assessment, created). The same ``idempotency_key`` never creates two records: a retry returns the
    first one. Invalid answers raise a bilingual ValidationError naming the item; nothing is written."""
    if idempotency_key and (existing := _replayed(actor, idempotency_key, scale=scale, answers=answers, person=person,
                                                  sex=sex)) is not None:
        return existing, False
    if person is not None and not path_in_scope(actor, SCREENING_ADMINISTER, person.org_path):
        raise PermissionDenied
    if person is None and mode == Mode.STAFF:
        raise field_error("person", _("Person: required when staff administer an instrument; pick the person from the archive."))
    try:
        result = score(scale, answers, sex=sex or _sex_of(person))
    except ScoringError as exc:
        raise scoring_error(exc) from None
    try:
        return store_result(actor, result, person=person, mode=mode, sex=sex or _sex_of(person) or "",
                            idempotency_key=idempotency_key), True
    except IntegrityError:
        # A concurrent retry with the same key won the race: return its record (if it is this actor's same submission).
        existing = _replayed(actor, idempotency_key, scale=scale, answers=answers, person=person, sex=sex) if idempotency_key else None
        if existing is None:
            raise
        return existing, False


def same_answers(stored: Assessment, scale: str, answers, sex: str | None = None) -> bool:
    """Whether ``answers`` to ``scale`` are the answers ``stored`` holds (as scored: a list and a dict of the same
    answers are the same). Answers that cannot be scored are not."""
    if stored.scale != scale:
        return False
    try:
        result = score(scale, answers, sex=sex)
    except ScoringError:
        return False
    return json.loads(json.dumps(result.answers, ensure_ascii=False)) == stored.answers


def _replayed(actor, idempotency_key: str, *, scale: str, answers, person, sex) -> Assessment | None:
    """The assessment this actor stored earlier with ``idempotency_key`` for the same submission (same instrument,
    person and answers), or None if the key is new. The key used by someone else or for another submission is a
    400: a retry never returns another user's record, and a reused key never silently drops new answers."""
    existing = Assessment.objects.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        return None
    if (existing.administered_by_id != getattr(actor, "pk", None) or existing.person_id != getattr(person, "pk", None)
            or not same_answers(existing, scale, answers, sex=sex or _sex_of(person))):
        raise field_error("idempotency_key", _("Idempotency key: already used by another submission; send a new key."))
    return existing


def store_result(actor, result, *, person=None, mode: str, sex: str = "", idempotency_key: str | None = None,
                 campaign=None, participant=None) -> Assessment:
    """Store a scored result with every answer, audit it and hand it to the alert hook, in one transaction."""
    assessment = Assessment(
        scale=result.scale, scale_version=result.version, mode=mode, person=person, campaign=campaign, participant=participant,
        administered_by=actor if getattr(actor, "pk", None) else None,
        answers_json=json.dumps(result.answers, ensure_ascii=False), total=result.total, raw_total=result.raw_total,
        band=result.band, severity=result.severity, subscales={k: number(v) for k, v in result.subscales.items()},
        critical=[{k: c[k] for k in ("item", "level", "value")} for c in result.critical], flags=result.flags,
        prorated=result.prorated, sex=sex, idempotency_key=idempotency_key or None,
    )
    if person or campaign:  # an anonymous self-test sits nowhere in the tree
        assessment.place_under(person or campaign)
    org_path = assessment.org_path
    with transaction.atomic():
        assessment.save()
        audit.record(actor, audit.Action.CREATE, obj=assessment, person=person, org_path=org_path,
                     detail={"scale": assessment.scale, "band": assessment.band})
        alerts.raise_for_assessment(assessment, actor=actor)
    return assessment


def band_label(assessment: Assessment, lang: str = "zh-hans") -> str:
    return definitions.band_name(assessment.scale, assessment.band, lang)


def total_number(assessment: Assessment):
    return number(Decimal(assessment.total))


def import_fhir_response(actor, resource: dict, *, person=None, idempotency_key: str | None = None) -> tuple[Assessment, bool]:
    """Import a FHIR QuestionnaireResponse. A stated total that disagrees with the total computed from its item
    answers is rejected with a clear message and nothing is written."""
    from . import fhir

    code, answers, stated = fhir.parse_response(resource)
    try:
        result = score(code, answers, sex=_sex_of(person))
    except ScoringError as exc:
        raise scoring_error(exc) from None
    fhir.check_stated_total(stated, result.total)
    return administer(actor, scale=code, answers=answers, person=person, mode=Mode.STAFF if person else Mode.SELF,
                      idempotency_key=idempotency_key)
