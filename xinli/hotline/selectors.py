"""Scoped reads of hotline data: hotline staff see the lines of their region; reads of calls are audited."""

from __future__ import annotations

from django.db.models import Case, QuerySet, Value, When

from xinli.archives.normalize import normalize_phone
from xinli.core import audit
from xinli.core.fields import blind_index
from xinli.core.policy import HOTLINE_OPERATE, HOTLINE_SUPERVISE
from xinli.core.scoping import scope_q

from .models import HIGH_RISKS, Call, Line


def visible_lines(user) -> QuerySet[Line]:
    return Line.objects.filter(scope_q(user, HOTLINE_OPERATE) | scope_q(user, HOTLINE_SUPERVISE))


def visible_calls(user) -> QuerySet[Call]:
    return Call.objects.filter(scope_q(user, HOTLINE_OPERATE) | scope_q(user, HOTLINE_SUPERVISE)).select_related("line", "counsellor")


def get_call(user, pk) -> Call:
    call = visible_calls(user).get(pk=pk)
    audit.record(user, audit.Action.READ, obj=call, person=call.person, org_path=call.org_path)
    return call


def record_call_listing(user, calls) -> None:
    """A list of calls shows what callers said (notes): the listing itself is recorded with the call ids (most
    callers are anonymous). Each call linked to a resident is a read of that person: the list's hook writes those
    (``Call.listed_persons``, through the pagination or ``xinli.core.listing.list_rows``)."""
    calls = list(calls)
    if not calls:
        return
    audit.record(user, audit.Action.SEARCH, object_type="hotline.call", object_id="list",
                 detail={"calls": [c.pk for c in calls]})


def previous_calls(user, phone: str, *, limit: int = 20) -> list[Call]:
    """Earlier calls from the same number (matched by its HMAC-SM3 index), newest first, so that a repeat caller
    need not retell their story. The look-up is audited."""
    index = blind_index("phone", phone, normalize_phone)
    if not index:
        return []
    calls = list(visible_calls(user).filter(caller_phone_bidx=index)[:limit])
    audit.record(user, audit.Action.SEARCH, object_type="hotline.call", object_id="previous",
                 detail={"matches": [c.pk for c in calls]})
    return calls


def open_high_risk(user, line: Line | None = None) -> QuerySet[Call]:
    """The shift handover list: high-risk callers whose follow-up is not done yet, oldest first."""
    qs = visible_calls(user).filter(risk__in=HIGH_RISKS, follow_up_done_at__isnull=True)
    if line is not None:
        qs = qs.filter(line=line)
    return qs.order_by("started_at")


def calls_in_progress(user) -> QuerySet[Call]:
    """Calls answered and not yet ended, high risk first (the duty console)."""
    high_first = Case(When(risk__in=HIGH_RISKS, then=Value(0)), default=Value(1))
    return visible_calls(user).filter(answered_at__isnull=False, ended_at__isnull=True).order_by(high_first, "started_at")
