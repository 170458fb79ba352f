"""Alert pages: the list, one alert with its actions, the duty console (htmx polling) and the inbox."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from xinli.core import audit
from xinli.core.forms import form_pk
from xinli.core.listing import list_rows
from xinli.core.policy import ALERTS_REPORT, ALERTS_WORK, HOTLINE_SUPERVISE
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
    page = list_rows(request, qs.order_by("ack_due_at", "pk"), per_page=50)
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
    """acknowledge / start / close from the alert page; errors come back as a message on the same page. From the
    duty console (htmx), acknowledging answers with the refreshed panel and inbox badge."""
    if request.htmx and action == "acknowledge":
        try:
            services.acknowledge(request.user, pk)
        except Alert.DoesNotExist:
            raise Http404 from None
        except ValidationError as exc:
            return _console_panel(request, errors=exc.messages)
        return _console_panel(request)
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


def _console_context(request) -> dict:
    user = request.user
    alerts = list(selectors.console_alerts(user).select_related("person", "org_unit", "owner_unit")[:100])
    # Audited on the first view and when persons are newly listed, not on every 10-second refresh.
    selectors.record_console_listing(user, alerts, request.session, first_view=not request.htmx)
    from xinli.hotline import selectors as hotline_selectors

    workable = set(selectors.workable_alerts(user).filter(pk__in=[a.pk for a in alerts]).values_list("pk", flat=True))
    for a in alerts:
        a.can_acknowledge = a.waiting and a.pk in workable
    return {"alerts": alerts, "overdue": sum(1 for a in alerts if a.overdue),
            "failures": list(selectors.failed_deliveries(user)[:20]),
            "calls": list(hotline_selectors.calls_in_progress(user)[:50])}


def _console_panel(request, errors=()):
    """The console's panel for an htmx request, with the inbox link swapped out of band (the unread badge)."""
    return render(request, "alerts/_console_panel.html", {**_console_context(request), "oob": True, "errors": errors})


@login_required
def console(request):
    """The duty console: open red and orange alerts by deadline with their reason, overdue ones marked; refreshes
    itself every 10 seconds (the panel and the inbox badge)."""
    user = request.user
    if not (has_capability(user, ALERTS_WORK) or has_capability(user, HOTLINE_SUPERVISE)):
        raise Http404
    if request.htmx:
        return _console_panel(request)
    return render(request, "alerts/console.html", _console_context(request))


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


# --- crisis intervention pages ---------------------------------------------------------------------------------

def _service_call(request, fn, *args, **kwargs):
    """Run a service; a validation error becomes a message on the page, out of scope a 404."""
    from django.core.exceptions import PermissionDenied

    try:
        return fn(*args, **kwargs)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    return None


@login_required
@require_POST
def case_open(request, pk):
    """Open a crisis case from an alert about a known person."""
    from . import crisis

    alert = selectors.workable_alerts(request.user).filter(pk=pk, person__isnull=False).select_related("person").first()
    if alert is None:
        raise Http404
    case = _service_call(request, crisis.open_case, request.user, alert.person, alert=alert,
                         assessment=request.POST.get("assessment", ""), safety_plan=request.POST.get("safety_plan", ""))
    return redirect("alerts:case_detail", pk=case.pk) if case else redirect("alerts:alert_detail", pk=pk)


@login_required
def crisis_home(request):
    if not has_capability(request.user, ALERTS_WORK):
        raise Http404
    import datetime

    from django.utils import timezone

    from xinli.core.scoping import path_in_scope
    from xinli.regions import selectors as unit_selectors

    from . import crisis
    from .models import CrisisCase, CrisisEvent

    units = [u for u in unit_selectors.visible_units(request.user).exclude(level="village").order_by("path")
             if path_in_scope(request.user, ALERTS_WORK, u.path)]
    if request.method == "POST":
        unit = next((u for u in units if str(u.pk) == request.POST.get("org_unit")), None)
        try:
            occurred = timezone.make_aware(datetime.datetime.fromisoformat(request.POST.get("occurred_at", "")))
        except ValueError:
            occurred = None
        if unit is None or occurred is None:
            from xinli.core.i18n import bilingual

            messages.error(request, bilingual(_("Event: choose the org unit and give the date and time it occurred.")))
        else:
            event = _service_call(request, crisis.create_event, request.user, name=request.POST.get("name", ""),
                                  kind=request.POST.get("kind", ""), org_unit=unit, occurred_at=occurred,
                                  description=request.POST.get("description", ""))
            if event is not None:
                return redirect("alerts:event_detail", pk=event.pk)

    cases = list(selectors.visible_cases(request.user).filter(state=CrisisCase.State.OPEN)[:100])
    follow_ups = list(selectors.visible_follow_ups(request.user, due_only=True)[:100])
    # Every person named on the page: open cases, and follow-ups of closed cases and of affected people.
    selectors.record_reads(request.user, [c.person for c in cases] + [
        f.case.person if f.case_id else (f.affected.person if f.affected_id else None) for f in follow_ups], purpose="crisis")
    return render(request, "alerts/crisis_home.html", {
        "cases": cases, "follow_ups": follow_ups,
        "events": list(selectors.visible_events(request.user).exclude(state="closed")[:50]),
        "units": units, "event_kinds": CrisisEvent.Kind.choices, "today": timezone.localdate(),
    })


@login_required
def case_detail(request, pk):
    from . import crisis
    from .models import CrisisAction, CrisisCase

    try:
        case = selectors.get_case(request.user, pk)
    except CrisisCase.DoesNotExist:
        raise Http404 from None
    if request.method == "POST":
        what = request.POST.get("do")
        if what == "action":
            _service_call(request, crisis.add_action, request.user, case, kind=request.POST.get("kind", ""), note=request.POST.get("note", ""))
        elif what == "plan":
            _service_call(request, crisis.update_safety_plan, request.user, case, request.POST.get("safety_plan", ""))
        elif what == "close":
            _service_call(request, crisis.close_case, request.user, case, summary=request.POST.get("summary", ""),
                          high_risk=request.POST.get("high_risk") == "on")
        elif what == "follow_up":
            fu = case.follow_ups.filter(pk=form_pk(request.POST.get("follow_up"))).first()
            if fu is not None:
                _service_call(request, crisis.complete_follow_up, request.user, fu, request.POST.get("note", ""))
        return redirect("alerts:case_detail", pk=pk)
    return render(request, "alerts/case_detail.html", {"case": case, "kinds": CrisisAction.Kind.choices})


@login_required
def event_detail(request, pk):
    from . import crisis
    from .models import CrisisEvent

    event = selectors.visible_events(request.user).filter(pk=pk).first()
    if event is None:
        raise Http404
    if request.method == "POST":
        if request.POST.get("do") == "state":
            _service_call(request, crisis.set_event_state, request.user, event, request.POST.get("state", ""))
        else:
            _service_call(request, crisis.add_affected, request.user, event, label=request.POST.get("label", ""),
                          risk=request.POST.get("risk", "low"))
        return redirect("alerts:event_detail", pk=pk)
    affected = list(selectors.event_affected(event))
    selectors.record_reads(request.user, [a.person for a in affected], purpose="group crisis", action=audit.Action.READ)
    return render(request, "alerts/event_detail.html", {"event": event, "states": CrisisEvent.State.choices,
                                                        "affected": affected})


# --- the crisis team register (teams.py; indicator T08) --------------------------------------------------------------

def _team_call(request, fn, *args, **kwargs) -> bool:
    """Run a team service; a validation error becomes a message naming the field, out of scope a 404."""
    from django.core.exceptions import PermissionDenied

    try:
        fn(*args, **kwargs)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return False
    return True


def _form_datetime(value):
    """A ``datetime-local`` form value as an aware datetime (local time), or None."""
    import datetime

    from django.utils import timezone

    try:
        moment = datetime.datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _form_date(value):
    """A date form value, None when empty, the text itself when unreadable (the service names the field)."""
    import datetime

    text = (value or "").strip()
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return text


def _week_window(today):
    """Today and the next 7 days, as aware datetimes."""
    import datetime

    from .indicators import day_span

    return day_span(today)[0], day_span(today + datetime.timedelta(days=7))[1]


@login_required
def team_list(request):
    """The crisis teams in the user's area with each one's T08 readiness today (members against the minimum, leader,
    on call today, gaps in the rota over the next 7 days), T08 of the cities and counties, and — for health officers
    — the form that registers a team."""
    import datetime

    from django.utils import timezone

    from xinli.core.i18n import bilingual
    from xinli.core.policy import NETWORK_MANAGE
    from xinli.regions import selectors as unit_selectors

    from . import indicators, teams

    user = request.user
    manager = has_capability(user, NETWORK_MANAGE)
    if not (manager or has_capability(user, ALERTS_WORK) or selectors.is_team_member(user)):
        raise Http404
    units = []
    if manager:
        units = [u for u in unit_selectors.visible_units(user).filter(level__in=teams.TEAM_LEVELS).order_by("path")[:500]
                 if teams.may_manage(user, u)]
    if request.method == "POST":
        if not manager:
            raise Http404
        unit = next((u for u in units if str(u.pk) == request.POST.get("org_unit")), None)
        if unit is None:
            messages.error(request, bilingual(_("Org unit: choose a unit of your area from the list.")))
            return redirect("alerts:team_list")
        try:
            team = teams.create_team(user, org_unit=unit, name=request.POST.get("name", ""))
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
            return redirect("alerts:team_list")
        messages.success(request, bilingual(_("Crisis team registered; now add its members, leader and rota.")))
        return redirect("alerts:team_detail", pk=team.pk)

    today = timezone.localdate()
    start, end = _week_window(today)
    rows = []
    for team in selectors.visible_teams(user).order_by("org_path", "name")[:200]:
        rows.append({"team": team, "status": indicators.team_status(team, today), "gaps": selectors.rota_gaps(team, start, end),
                     "manage": teams.may_manage(user, team)})
    t08 = [indicators.t08_detail(u, today) for u in units if u.level in ("city", "county")][:50]
    return render(request, "alerts/team_list.html", {"rows": rows, "units": units, "t08": t08, "today": today,
                                                     "week_end": today + datetime.timedelta(days=7)})


@login_required
def team_detail(request, pk):
    """One team: readiness today, members (add, make leader, remove) and the on-call rota (add, remove) for the
    health officers over its unit; read-only for its members."""
    import datetime

    from django.utils import timezone

    from xinli.accounts.models import User
    from xinli.core.i18n import bilingual

    from . import indicators, teams
    from .models import CrisisTeam, Profession

    try:
        team = selectors.get_team(request.user, pk)
    except CrisisTeam.DoesNotExist:
        raise Http404 from None
    manage = teams.may_manage(request.user, team)
    if request.method == "POST":
        if not manage:
            raise Http404
        p, user, do = request.POST, request.user, request.POST.get("do")
        if do == "team":
            ok = _team_call(request, teams.update_team, user, team, name=p.get("name", ""), active=p.get("active") == "on")
        elif do == "member_user":
            member_user = User.objects.filter(pk=form_pk(p.get("user"))).first()
            if member_user is None:
                messages.error(request, bilingual(_("Platform user: choose one from the list.")))
                ok = False
            else:
                ok = _team_call(request, teams.add_member, user, team, user=member_user, profession=p.get("profession", ""),
                                leader=p.get("leader") == "on", since=_form_date(p.get("since")))
        elif do == "member_external":
            ok = _team_call(request, teams.add_member, user, team, name=p.get("name", ""), phone=p.get("phone", ""),
                            profession=p.get("profession", ""), leader=p.get("leader") == "on", since=_form_date(p.get("since")))
        elif do == "leader":
            ok = _team_call(request, teams.set_leader, user, team, form_pk(p.get("member")))
        elif do == "remove_member":
            ok = _team_call(request, teams.remove_member, user, team, form_pk(p.get("member")))
        elif do == "shift":
            ok = _team_call(request, teams.add_shift, user, team, member=form_pk(p.get("member")),
                            start=_form_datetime(p.get("start")), end=_form_datetime(p.get("end")))
        elif do == "remove_shift":
            ok = _team_call(request, teams.remove_shift, user, team, form_pk(p.get("shift")))
        else:
            raise Http404
        if ok:
            messages.success(request, bilingual(_("Saved.")))
        return redirect("alerts:team_detail", pk=pk)

    today = timezone.localdate()
    now = timezone.now()
    start, end = _week_window(today)
    members = selectors.current_members(team)
    return render(request, "alerts/team_detail.html", {
        "team": team, "manage": manage, "status": indicators.team_status(team, today), "members": members,
        "shifts": selectors.rota(team, now - datetime.timedelta(days=1), now + datetime.timedelta(days=30)),
        "gaps": selectors.rota_gaps(team, start, end), "today": today, "week_end": today + datetime.timedelta(days=7),
        "candidates": list(teams.candidate_users(team)[:300]) if manage else [], "professions": Profession.choices,
        "shift_start": f"{today:%Y-%m-%d}T08:00", "shift_end": f"{today + datetime.timedelta(days=1):%Y-%m-%d}T08:00",
    })

