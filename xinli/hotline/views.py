"""Hotline pages: the call form (with the repeat-caller panel), call records, the shift handover list, and the
line's KPIs with the call-detail-record upload."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from xinli.core.forms import BilingualForm, form_pk
from xinli.core.i18n import bilingual
from xinli.core.listing import list_rows
from xinli.core.policy import HOTLINE_OPERATE, HOTLINE_SUPERVISE
from xinli.core.scoping import has_capability, path_in_scope
from xinli.core.uploads import upload_problem
from xinli.regions import selectors as unit_selectors
from xinli.regions.models import OrgUnit

from . import selectors, services
from .models import PROBLEM_TYPES, Action, Call, Category, Kind, Transfer


class CallForm(BilingualForm):
    line = forms.TypedChoiceField(label=_("hotline"), coerce=int)
    caller_phone = forms.CharField(label=_("caller's number"), max_length=20, required=False,
                                   widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    recording_notice = forms.BooleanField(label=_("caller told the call is recorded"), required=False)
    kind = forms.ChoiceField(label=_("kind"), choices=Kind.choices, initial=Kind.NORMAL)
    category = forms.ChoiceField(label=_("category"), choices=Category.choices, initial=Category.GENERAL)
    problem_types = forms.MultipleChoiceField(label=_("problem types"), choices=list(PROBLEM_TYPES.items()),
                                              required=False, widget=forms.CheckboxSelectMultiple)
    ideation = forms.IntegerField(label=_("suicidal ideation (0–10)"), min_value=0, max_value=10, initial=0)
    hopelessness = forms.IntegerField(label=_("hopelessness (0–10)"), min_value=0, max_value=10, initial=0)
    has_plan = forms.BooleanField(label=_("has a plan"), required=False)
    has_means = forms.BooleanField(label=_("has access to means"), required=False)
    prior_attempt = forms.BooleanField(label=_("prior attempt"), required=False)
    intoxicated = forms.BooleanField(label=_("intoxicated now"), required=False)
    action = forms.ChoiceField(label=_("action"), choices=Action.choices, initial=Action.COUNSELLING)
    transfer_to = forms.ChoiceField(label=_("transferred to"), choices=[("", "—"), *Transfer.choices], required=False)
    transfer_reference = forms.CharField(label=_("transfer reference number"), max_length=40, required=False)
    notes = forms.CharField(label=_("notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4}))
    follow_up_plan = forms.CharField(label=_("follow-up plan"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    ended = forms.BooleanField(label=_("the call has ended"), required=False, initial=True)

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [(ln.pk, str(ln)) for ln in lines]
        self.fields["caller_phone"].widget.attrs.update({
            "hx-get": "/hotline/previous/", "hx-trigger": "change, keyup changed delay:600ms", "hx-target": "#previous"})


def _lines(user):
    return [ln for ln in selectors.visible_lines(user) if path_in_scope(user, HOTLINE_OPERATE, ln.org_path)]


@login_required
def call_new(request):
    user = request.user
    if not has_capability(user, HOTLINE_OPERATE):
        raise Http404
    lines = _lines(user)
    form = CallForm(request.POST if request.method == "POST" else None, lines=lines)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        line = next(ln for ln in lines if ln.pk == d.pop("line"))
        now = timezone.now()
        ended = d.pop("ended")
        data = d | {"started_at": now, "answered_at": now, "ended_at": now if ended else None}
        try:
            call = services.record_call(user, line, data)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, bilingual(_("Call recorded; risk level: {risk}."), risk=call.get_risk_display()))
            return redirect("hotline:call_detail", pk=call.pk)
    return render(request, "hotline/call_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def previous(request):
    """htmx panel: earlier calls from the number being typed."""
    if not has_capability(request.user, HOTLINE_OPERATE):
        raise Http404
    phone = request.GET.get("caller_phone", "")
    calls = selectors.previous_calls(request.user, phone) if len(phone.strip()) >= 7 else []
    return render(request, "hotline/_previous.html", {"calls": calls, "asked": bool(phone.strip())})


@login_required
def call_list(request):
    user = request.user
    if not (has_capability(user, HOTLINE_OPERATE) or has_capability(user, HOTLINE_SUPERVISE)):
        raise Http404
    page = list_rows(request, selectors.visible_calls(user), per_page=50)
    selectors.record_call_listing(user, page.object_list)

    units = [u for u in unit_selectors.top_units(user) if path_in_scope(user, HOTLINE_SUPERVISE, u.path)]
    return render(request, "hotline/call_list.html", {"page": page, "handover": list(selectors.open_high_risk(user)),
                                                      "lines": selectors.visible_lines(user), "today": timezone.localdate(),
                                                      "line_units": units})


@login_required
def call_detail(request, pk):
    try:
        call = selectors.get_call(request.user, pk)
    except Call.DoesNotExist:
        raise Http404 from None
    return render(request, "hotline/call_detail.html", {"call": call})


@login_required
@require_POST
def follow_up(request, pk):
    call = selectors.visible_calls(request.user).filter(pk=pk).first()
    if call is None:
        raise Http404
    try:
        services.complete_follow_up(request.user, call, request.POST.get("note", "")[:2000])
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("hotline:call_detail", pk=pk)


@login_required
@require_POST
def handover(request):
    user = request.user
    if not has_capability(user, HOTLINE_OPERATE):
        raise Http404
    calls = list(selectors.open_high_risk(user))
    by_line = {}
    for c in calls:
        by_line.setdefault(c.line, []).append(c)
    done = 0
    for line, items in by_line.items():
        if path_in_scope(user, HOTLINE_OPERATE, line.org_path):
            done += services.hand_over(user, line, items)
    messages.success(request, bilingual(_("{count} open high-risk callers handed over to the next shift."), count=done))
    return redirect("hotline:call_list")


@login_required
@require_POST
def line_new(request):
    """A hotline supervisor adds a line for a unit of their region (from the hotline page)."""

    unit = OrgUnit.objects.filter(pk=form_pk(request.POST.get("org_unit"))).first()
    if unit is None or not path_in_scope(request.user, HOTLINE_SUPERVISE, unit.path):
        raise Http404
    try:
        line = services.create_line(request.user, org_unit=unit, name=request.POST.get("name", ""),
                                    number=request.POST.get("number", "12356"),
                                    hours_per_day=request.POST.get("hours_per_day") or 24,
                                    days_per_week=request.POST.get("days_per_week") or 7,
                                    seats=request.POST.get("seats") or 2)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect("hotline:call_list")
    return redirect("hotline:line_kpis", pk=line.pk)


@login_required
@require_POST
def line_service_time(request, pk):
    """A hotline supervisor changes the line's service hours a day and days a week (on the line's page)."""
    line = selectors.visible_lines(request.user).filter(pk=pk).first()
    if line is None or not path_in_scope(request.user, HOTLINE_SUPERVISE, line.org_path):
        raise Http404
    try:
        services.set_service_time(request.user, line, hours_per_day=request.POST.get("hours_per_day", ""),
                                  days_per_week=request.POST.get("days_per_week", ""))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, bilingual(_("Service time saved.")))
    return redirect("hotline:line_kpis", pk=pk)


@login_required
def line_kpis(request, pk):
    line = selectors.visible_lines(request.user).filter(pk=pk).first()
    if line is None:
        raise Http404
    today = timezone.localdate()
    try:
        date_from, date_to = services.kpi_range(request.GET.get("from"), request.GET.get("to"), today)
    except ValidationError as exc:
        # A bad period shows the last 7 days with the reason, as before (the page stays usable).
        date_from, date_to = today - datetime.timedelta(days=6), today
        for text in exc.messages:
            messages.error(request, text)
    errors = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors = [bilingual(_("File: choose the CSV exported by the telephone system."))]
        elif upload_problem(upload):
            errors = [upload_problem(upload)]
        else:
            try:
                report = services.import_cdr(request.user, line, upload.read().decode("utf-8-sig", errors="replace"))
            except PermissionDenied:
                raise Http404 from None
            if report.ok:
                messages.success(request, bilingual(_("Imported {created} call records ({unchanged} already there)."),
                                                    created=report.created, unchanged=report.unchanged))
                return redirect(request.get_full_path())
            errors = [f"{n}: {m}" for n, m in report.errors]
    return render(request, "hotline/line_kpis.html", {
        "line": line, "days": services.kpis(line, date_from, date_to), "date_from": date_from, "date_to": date_to,
        "errors": errors, "can_import": path_in_scope(request.user, HOTLINE_SUPERVISE, line.org_path),
    }, status=400 if errors else 200)
