"""Reads of indicator values: only rollups, only within the user's ``indicators.view`` scope."""

from __future__ import annotations

from django.db.models import QuerySet

from xinli.core.db import read_alias
from xinli.core.policy import INDICATORS_VIEW
from xinli.core.scoping import scope_q

from .models import AppraisalScheme, ExtremeIncident, RiskAssessment, Rollup, Signal


def visible_rollups(user) -> QuerySet[Rollup]:
    """Aggregates only, so read from the replica when one is configured (dashboards, values API, Excel exports)."""
    return rollups_in_scope(user, INDICATORS_VIEW)


def rollups_in_scope(user, *capabilities: str) -> QuerySet[Rollup]:
    """Rollups of the units under the user's assignments holding any of ``capabilities`` (e.g. the SMD indicator page:
    ``indicators.view`` or ``smd.view``)."""
    q = scope_q(user, capabilities[0])
    for capability in capabilities[1:]:
        q |= scope_q(user, capability)
    return Rollup.objects.using(read_alias()).filter(q).select_related("org_unit")


def visible_signals(user) -> QuerySet[Signal]:
    """Early-warning signals of the units under the user's ``indicators.view`` assignments."""
    return Signal.objects.filter(scope_q(user, INDICATORS_VIEW)).select_related("org_unit", "reviewed_by")


def visible_assessments(user) -> QuerySet[RiskAssessment]:
    """Written risk assessments (分析研判) of the units under the user's ``indicators.view`` assignments."""
    return RiskAssessment.objects.filter(scope_q(user, INDICATORS_VIEW)).select_related("org_unit", "author").prefetch_related("signals")


def visible_incidents(user) -> QuerySet[ExtremeIncident]:
    """Registered extreme incidents (aggregate rows, no person data) under the user's ``indicators.view`` assignments."""
    return ExtremeIncident.objects.filter(scope_q(user, INDICATORS_VIEW)).select_related("org_unit", "recorded_by")


def visible_schemes(user) -> QuerySet[AppraisalScheme]:
    """Appraisal schemes of regions inside the user's ``indicators.view`` scope (their scores are read from the rollups
    of the region and the regions below it, so never a scheme of a region above)."""
    return AppraisalScheme.objects.filter(scope_q(user, INDICATORS_VIEW)).select_related("org_unit", "department")
