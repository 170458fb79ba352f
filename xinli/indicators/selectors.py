"""Reads of indicator values: only rollups, only within the user's ``indicators.view`` scope."""

from __future__ import annotations

from django.db.models import QuerySet

from xinli.accounts.policy import INDICATORS_VIEW
from xinli.core.scoping import scope_q

from .models import Rollup


def visible_rollups(user) -> QuerySet[Rollup]:
    return Rollup.objects.filter(scope_q(user, INDICATORS_VIEW)).select_related("org_unit")
