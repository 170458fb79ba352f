"""Scoped reads of counselling. Case metadata: counselling staff of the area; session notes: only the counsellor,
the supervisor or an active break-the-glass grant. Every read of a case is audited."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from xinli.core import audit
from xinli.core.policy import COUNSELLING_WORK, SMD_FOLLOWUP, SMD_VIEW
from xinli.core.scoping import scope_q

from .models import Case, Referral
from .services import can_read_notes


def visible_cases(user) -> QuerySet[Case]:
    return Case.objects.filter(scope_q(user, COUNSELLING_WORK) | Q(supervisor=user)).select_related("person", "counsellor")


def get_case(user, pk) -> tuple[Case, list]:
    """The case and its sessions; each session's notes are replaced by None unless the user may read them."""
    case = visible_cases(user).get(pk=pk)
    readable = can_read_notes(user, case)
    audit.record(user, audit.Action.READ, obj=case, person=case.person, purpose="counselling" if readable else "counselling (no notes)")
    sessions = list(case.sessions.all())
    if not readable:
        for s in sessions:
            s.notes = None
    return case, sessions


def visible_referrals(user) -> QuerySet[Referral]:
    sent = scope_q(user, COUNSELLING_WORK) | scope_q(user, SMD_FOLLOWUP)
    received = scope_q(user, SMD_VIEW, "to_path") | scope_q(user, COUNSELLING_WORK, "to_path")
    return Referral.objects.filter(sent | received).select_related("person", "to_institution")
