"""Reads of assessments, scoped: person-linked results follow the person's org path."""

from __future__ import annotations

from django.db.models import QuerySet

from xinli.core import audit
from xinli.core.policy import ASSESSMENT_READ_CAPABILITIES
from xinli.core.scoping import path_in_scope, scope_q

from .models import Assessment


def visible_assessments(user) -> QuerySet[Assessment]:
    """Assessments of persons in the area where the user treats or follows people up
    (``policy.ASSESSMENT_READ_CAPABILITIES``); reading the archive alone does not show assessments."""
    q = None
    for capability in sorted(ASSESSMENT_READ_CAPABILITIES):
        q = scope_q(user, capability) if q is None else q | scope_q(user, capability)
    return Assessment.objects.filter(q, person__isnull=False).select_related("person")


def can_read_assessments(user, person) -> bool:
    """Whether the user treats or follows up ``person`` (see ``visible_assessments``)."""
    return any(path_in_scope(user, capability, person.org_path) for capability in ASSESSMENT_READ_CAPABILITIES)


def get_assessment(user, pk) -> Assessment:
    assessment = visible_assessments(user).get(pk=pk)
    audit.record(user, audit.Action.READ, obj=assessment, person=assessment.person)
    return assessment


def fhir_export(user, pk) -> dict:
    """The FHIR R4 Bundle of one assessment: de-identified (the subject is the archive's internal id, never a name
    or ID number), audited as an export of that person."""
    from . import fhir

    assessment = visible_assessments(user).get(pk=pk)
    bundle = fhir.bundle(assessment)
    audit.record(user, audit.Action.EXPORT, obj=assessment, person=assessment.person,
                 detail={"format": "fhir", "resources": len(bundle["entry"]), "identified": False})
    return bundle


def person_history(person, user=None) -> QuerySet[Assessment]:
    """Assessments of a person already fetched through an audited selector; none when ``user`` is given and does
    not treat or follow the person up."""
    if user is not None and not can_read_assessments(user, person):
        return Assessment.objects.none()
    return Assessment.objects.filter(person=person).order_by("taken_at")
