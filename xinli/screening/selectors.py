"""Reads of assessments, scoped: person-linked results follow the person's org path."""

from __future__ import annotations

from django.db.models import QuerySet

from xinli.core import audit
from xinli.core.policy import ARCHIVES_VIEW, SCREENING_ADMINISTER
from xinli.core.scoping import scope_q

from .models import Assessment


def visible_assessments(user) -> QuerySet[Assessment]:
    """Assessments of persons in the user's area (screening staff or archive readers), and those the user
    administered themselves."""
    q = scope_q(user, SCREENING_ADMINISTER) | scope_q(user, ARCHIVES_VIEW)
    return Assessment.objects.filter(q, person__isnull=False).select_related("person")


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


def person_history(person) -> QuerySet[Assessment]:
    """Assessments of a person already fetched through an audited selector."""
    return Assessment.objects.filter(person=person).order_by("taken_at")
