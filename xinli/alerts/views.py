"""Alert pages: the list, one alert with its actions, the duty console (htmx polling) and the inbox."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from xinli.accounts.policy import ALERTS_REPORT, ALERTS_WORK, HOTLINE_SUPERVISE
from xinli.core.scoping import has_capability

from . import selectors, services
from .models import Alert, Level, Outcome, State


def _may_see_alerts(user) -> bool:
    return has_capability(user, ALERTS_WORK) or has_capability(user, ALERTS_REPORT)


@login_required
def alert_list(request):
    if not _may_see_alerts(request.user):
        raise Http404
    g = request.GET
    qs = selectors.filter_alerts(selectors.visible_alerts(request.user), level=g.get("level", ""), state=g.get("state", ""),
                                 overdue=g.get("overdue") == "1", open_only=g.get("open", "1") == "1")
    page = Paginator(qs.order_by("ack_due_at", "pk"), 50).get_page(g.get("page"))
    selectors.record_alert_listing(request.user, page.object_list)
    return render(request, "alerts/alert_list.html", {"page": page, "f": g, "levels": Level.choices, "states": State.choices})


@login_required
def alert_detail(request, pk):
    try:
        alert = selectors.get_alert(request.user, pk)
    except Alert.DoesNotExist:
        raise Http404 from None
    workable = selectors.workable_alerts(request.user).filter(pk=pk).exists()
    return render(request, "alerts/alert_detail.html", {
        "alert": alert, "events": alert.events.select_related("actor", "from_unit", "to_unit"),
        "workable": workable, "outcomes": Outcome.choices,
    })


@login_required
@require_POST
def alert_action(request, pk, action):
    """acknowledge / start / close from the alert page; errors come back as a message on the same page."""
    try:
        if action == "acknowledge":
            services.acknowledge(request.user, pk)
        elif action == "start":
            services.start_intervention(request.user, pk)
        elif action == "close":
            services.close(request.user, pk, outcome=request.POST.get("outcome", ""), note=request.POST.get("note", ""))
        else:
            raise Http404
    except Alert.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    return redirect("alerts:alert_detail", pk=pk)


def _console_context(user) -> dict:
    alerts = list(selectors.console_alerts(user)[:100])
    selectors.record_alert_listing(user, alerts)
    from xinli.hotline import selectors as hotline_selectors

    return {"alerts": alerts, "overdue": sum(1 for a in alerts if a.overdue),
            "failures": list(selectors.failed_deliveries(user)[:20]),
            "calls": list(hotline_selectors.calls_in_progress(user)[:50])}


@login_required
def console(request):
    """The duty console: open red and orange alerts by deadline, overdue ones highlighted; refreshes itself."""
    user = request.user
    if not (has_capability(user, ALERTS_WORK) or has_capability(user, HOTLINE_SUPERVISE)):
        raise Http404
    template = "alerts/_console_panel.html" if request.htmx else "alerts/console.html"
    return render(request, template, _console_context(user))


@login_required
def inbox(request):
    notes = Paginator(selectors.inbox(request.user).select_related("alert"), 50).get_page(request.GET.get("page"))
    return render(request, "alerts/inbox.html", {"page": notes})


@login_required
@require_POST
def inbox_read_all(request):
    from django.utils import timezone

    selectors.inbox(request.user).filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("alerts:inbox")
