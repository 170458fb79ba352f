"""The work-order indicators' rules (one home; ``xinli.indicators.registry`` points here). Platform indicators (the
pilot plan asks departments to act together but names no measure of it); each by the office's unit, with a breakdown
by department (``dept=<code>``), so a county's figure adds up its own offices and those below it:

* **WO1 工单按时受理率** (flow): orders dispatched to the office from 1 January to the period end and accepted no
  later than their acceptance deadline ÷ orders dispatched then. Orders returned (given back as not the office's
  business) or withdrawn are left out of both: the office that receives them next counts them.
* **WO2 工单按时办结率** (flow): orders whose completion deadline fell from 1 January to the period end, or that were
  completed then, and were completed no later than their deadline ÷ those orders (returned and withdrawn left out).
* **WO3 超期未办结工单数** (stock, count): orders open at the period end (dispatched or in progress) whose running
  deadline had passed.
* **WO4 工单群众满意率** (flow): orders closed from 1 January to the period end with the requester's satisfaction 4 or 5
  ÷ orders closed then with a satisfaction answer.

An order passed to another office counts for the office it is with (its dispatch time and deadlines start again
there). A state is the order's state now: for a past period, WO3 counts an order completed since as open only if
it was completed after the period end (``done_at``)."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone

from .models import WorkOrder

State = WorkOrder.State
LEFT_OUT = (State.RETURNED, State.CANCELLED)


def _span(year: int, as_of: datetime.date):
    lo = timezone.make_aware(datetime.datetime(year, 1, 1))
    hi = timezone.make_aware(datetime.datetime.combine(as_of + datetime.timedelta(days=1), datetime.time.min))
    return lo, hi


def _rows(queryset, *fields):
    return queryset.exclude(state__in=LEFT_OUT).values_list("to_path", "department__code", *fields)


def accepted_rows(root: str, year: int, as_of: datetime.date):
    lo, hi = _span(year, as_of)
    qs = WorkOrder.objects.filter(to_path__startswith=root, dispatched_at__gte=lo, dispatched_at__lt=hi)
    for path, dept, accepted, due in _rows(qs, "accepted_at", "accept_due"):
        yield path, int(accepted is not None and accepted <= due and accepted < hi), 1, (f"dept={dept}",)


def completed_rows(root: str, year: int, as_of: datetime.date):
    lo, hi = _span(year, as_of)
    qs = WorkOrder.objects.filter(Q(complete_due__gte=lo, complete_due__lt=hi) | Q(done_at__gte=lo, done_at__lt=hi),
                                  to_path__startswith=root)
    for path, dept, done, due in _rows(qs, "done_at", "complete_due"):
        yield path, int(done is not None and done <= due and done < hi), 1, (f"dept={dept}",)


def overdue_rows(root: str, year: int, as_of: datetime.date):
    _lo, hi = _span(year, as_of)
    end = min(hi, timezone.now())
    qs = WorkOrder.objects.filter(to_path__startswith=root, dispatched_at__lt=hi).exclude(state__in=LEFT_OUT).filter(
        Q(done_at__isnull=True) | Q(done_at__gte=hi))
    for path, dept, accepted, accept_due, complete_due in qs.values_list("to_path", "department__code", "accepted_at",
                                                                          "accept_due", "complete_due"):
        due = complete_due if accepted is not None and accepted < hi else accept_due
        if due < end:
            yield path, 1, None, (f"dept={dept}",)


def satisfaction_rows(root: str, year: int, as_of: datetime.date):
    lo, hi = _span(year, as_of)
    qs = WorkOrder.objects.filter(to_path__startswith=root, state=State.CLOSED, closed_at__gte=lo, closed_at__lt=hi,
                                  satisfaction__isnull=False)
    for path, dept, satisfaction in qs.values_list("to_path", "department__code", "satisfaction"):
        yield path, int(satisfaction >= 4), 1, (f"dept={dept}",)
