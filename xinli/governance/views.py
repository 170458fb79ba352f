"""Work-order pages (``/orders/``): the office's inbox, the orders one sent, the 综治 office's supervision list; one
order with its history and the actions the reader may take; a new order (from a person's page or on its own)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xinli.core.forms import BilingualForm
from xinli.core.i18n import bilingual
from xinli.core.listing import list_rows
from xinli.core.policy import ARCHIVES_EDIT, LEADING_VIEW, ORDERS_CREATE, REGIONS_MANAGE
from xinli.core.scoping import has_capability, scope_paths
from xinli.core.widgets import DateInput
from xinli.regions.models import Department, DepartmentUnit, OrgUnit

from . import grids, kinds, leading, selectors, services
from .models import (
    PERSON_FIELDS,
    DisputeType,
    GridCell,
    GridResident,
    GroupTask,
    HouseholdVisit,
    Mediation,
    Meeting,
    Need,
    OrderKind,
    RiskSign,
    WorkOrder,
)

SATISFACTION = [("", _("not asked")), ("5", _("5 — very satisfied")), ("4", _("4 — satisfied")), ("3", _("3 — neutral")),
                ("2", _("2 — dissatisfied")), ("1", _("1 — very dissatisfied"))]


class OrderForm(BilingualForm):
    kind = forms.ModelChoiceField(label=_("kind"), queryset=OrderKind.objects.filter(active=True), empty_label=None)
    office = forms.ModelChoiceField(label=_("department office"), queryset=DepartmentUnit.objects.none(), required=False,
                                    empty_label=_("the kind's department, nearest office"),
                                    help_text=_("Leave it to send to the nearest office of the department the kind belongs to."))
    title = forms.CharField(label=_("subject"), max_length=services.TITLE_MAX,
                            help_text=_("What is needed, in a few words, without the person's name (it is shown in lists)."))
    description = forms.CharField(label=_("details"), required=False, max_length=services.TEXT_MAX,
                                  widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, offices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].label_from_instance = lambda k: f"{k.label}（{k.department.label}）"
        self.fields["office"].queryset = DepartmentUnit.objects.filter(pk__in=[o.pk for o in offices])


class TextForm(BilingualForm):
    text = forms.CharField(label=_("note"), max_length=services.TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}))


class PassForm(BilingualForm):
    office = forms.ModelChoiceField(label=_("department office"), queryset=DepartmentUnit.objects.none())
    text = forms.CharField(label=_("note"), required=False, max_length=services.TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, offices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = DepartmentUnit.objects.filter(pk__in=[o.pk for o in offices])


class CloseForm(BilingualForm):
    satisfaction = forms.TypedChoiceField(label=_("requester's satisfaction"), choices=SATISFACTION, coerce=int,
                                          empty_value=None, required=False)
    text = forms.CharField(label=_("note"), required=False, max_length=services.TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2}))


def _require_orders(user) -> None:
    if not selectors.may_see_orders(user):
        raise Http404


@login_required
def order_list(request):
    user = request.user
    _require_orders(user)
    tabs = []
    if selectors.department_scopes(user):
        tabs.append(("inbox", _("To do for my department")))
    if scope_paths(user, ORDERS_CREATE):
        tabs.append(("sent", _("Sent from my area")))
    if selectors.supervised_orders(user).exists() or scope_paths(user, "orders.supervise"):
        tabs.append(("supervise", _("Supervision (督办)")))
    shown = request.GET.get("show") or tabs[0][0]
    if shown not in {t for t, _l in tabs}:
        raise Http404
    qs = {"inbox": selectors.office_orders, "sent": selectors.sent_orders, "supervise": selectors.supervised_orders}[shown](user)
    status = request.GET.get("status", "open")
    if status == "open":
        qs = qs.filter(state__in=WorkOrder.OPEN + (WorkOrder.State.RETURNED, WorkOrder.State.DONE))
    elif status == "overdue":
        now = timezone.now()
        qs = qs.filter(state=WorkOrder.State.DISPATCHED, accept_due__lt=now) | qs.filter(state=WorkOrder.State.ACCEPTED, complete_due__lt=now)
    qs = qs.select_related("kind", "office", "from_unit").order_by("accept_due", "pk") if status != "all" else qs.select_related("kind", "office", "from_unit")
    page = list_rows(request, qs, per_page=30)
    return render(request, "governance/order_list.html", {"page": page, "tabs": tabs, "shown": shown, "status": status,
                                                          "may_send": bool(scope_paths(user, ORDERS_CREATE))})


def _sender_units(user) -> list[OrgUnit]:
    paths = scope_paths(user, ORDERS_CREATE)
    return list(OrgUnit.objects.filter(path__in=paths).order_by("path"))


@login_required
def order_new(request):
    from xinli.archives.selectors import visible_persons

    user = request.user
    units = _sender_units(user)
    if not units:
        raise Http404
    person = None
    if request.GET.get("person"):
        try:
            person = visible_persons(user).select_related("org_unit").get(pk=int(request.GET["person"]))
        except (ValueError, visible_persons(user).model.DoesNotExist):
            raise Http404 from None
    # The order is sent from the person's unit (in the sender's area), else from the sender's own unit.
    from_unit = person.org_unit if person is not None else units[0]
    offices = selectors.covering_offices(from_unit)
    form = OrderForm(request.POST or None, offices=offices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.dispatch(user, kind=data["kind"], office=data["office"], title=data["title"],
                                      description=data["description"], from_unit=from_unit, person=person)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, bilingual(_("Work order #{pk} sent to {office}."), pk=order.pk, office=order.office.name))
            return redirect("governance:order_detail", pk=order.pk)
    return render(request, "governance/order_form.html", {"form": form, "person": person, "from_unit": from_unit,
                                                          "offices": offices}, status=400 if form.errors else 200)


ACTIONS = {"accept", "return", "progress", "complete", "close", "cancel", "pass", "supervise"}


@login_required
def order_detail(request, pk):
    user = request.user
    _require_orders(user)
    try:
        order = selectors.get_order(user, pk)
    except WorkOrder.DoesNotExist:
        raise Http404 from None
    works, sends, supervises = selectors.may_work(user, order), selectors.may_send(user, order), selectors.may_supervise(user, order)
    offices = [o for o in selectors.covering_offices(order.from_unit) if o.pk != order.office_id or order.state == WorkOrder.State.RETURNED]
    action = request.POST.get("action") if request.method == "POST" else None
    if action is not None and action not in ACTIONS:
        raise Http404
    forms_ = {
        "return": TextForm(request.POST if action == "return" else None, prefix="return"),
        "progress": TextForm(request.POST if action == "progress" else None, prefix="progress"),
        "complete": TextForm(request.POST if action == "complete" else None, prefix="complete"),
        "cancel": TextForm(request.POST if action == "cancel" else None, prefix="cancel"),
        "supervise": TextForm(request.POST if action == "supervise" else None, prefix="supervise"),
        "pass": PassForm(request.POST if action == "pass" else None, prefix="pass", offices=offices),
        "close": CloseForm(request.POST if action == "close" else None, prefix="close"),
    }
    for key, label in (("return", _("reason for returning")), ("progress", _("progress note")), ("complete", _("result")),
                       ("cancel", _("reason for withdrawing")), ("supervise", _("supervision note"))):
        forms_[key].fields["text"].label = label
    if action is not None:
        form = forms_.get(action)
        try:
            if action == "accept":
                services.accept(user, order)
                done = _("Work order accepted: it is now in progress with your office.")
            elif form.is_valid():
                text = form.cleaned_data.get("text", "")
                if action == "return":
                    services.return_order(user, order, reason=text)
                    done = _("Work order returned to the sender with your reason.")
                elif action == "progress":
                    services.add_progress(user, order, note=text)
                    done = _("Progress note added.")
                elif action == "complete":
                    services.complete(user, order, result=text)
                    done = _("Work order completed: the result has gone back to the sender.")
                elif action == "cancel":
                    services.cancel(user, order, reason=text)
                    done = _("Work order withdrawn.")
                elif action == "supervise":
                    services.supervise(user, order, note=text)
                    done = _("Supervision note sent to the office.")
                elif action == "pass":
                    services.pass_to(user, order, office=form.cleaned_data["office"], note=text)
                    done = _("Work order passed to the other office; its deadlines start again.")
                else:
                    services.close(user, order, satisfaction=form.cleaned_data["satisfaction"], note=text)
                    done = _("Work order closed.")
            else:
                done = None
            if done is not None:
                messages.success(request, bilingual(done))
                return redirect("governance:order_detail", pk=order.pk)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            if form is None:
                messages.error(request, " ".join(exc.messages))
                return redirect("governance:order_detail", pk=order.pk)
            form.add_service_error(exc)
    state = order.state
    S = WorkOrder.State
    may = {
        "accept": works and state == S.DISPATCHED,
        "return": works and state == S.DISPATCHED,
        "progress": works and state == S.ACCEPTED,
        "complete": works and state == S.ACCEPTED,
        "close": sends and state == S.DONE,
        "cancel": sends and state in (S.DISPATCHED, S.RETURNED),
        "pass": bool(offices) and ((sends and state == S.RETURNED) or ((works or supervises) and state in WorkOrder.OPEN)),
        "supervise": supervises and state in WorkOrder.OPEN,
    }
    events = list(order.events.select_related("actor", "office", "unit"))
    return render(request, "governance/order_detail.html", {
        "order": order, "facts": selectors.person_facts(user, order), "events": events, "may": may, "forms": forms_,
        "shows_text": selectors.may_read_text(user, order), "bad": action,
    }, status=400 if action and any(f.errors for f in forms_.values()) else 200)


# --- grids and household visits (网格与摸排) ---------------------------------------------------------------------

class VisitForm(BilingualForm):
    grid = forms.ModelChoiceField(label=_("grid cell"), queryset=GridCell.objects.none(), empty_label=None)
    visited_on = forms.DateField(label=_("visited on"), widget=DateInput())
    situation = forms.CharField(label=_("situation"), required=False, max_length=grids.TEXT_MAX,
                                widget=forms.Textarea(attrs={"rows": 3}), help_text=_("What you saw and heard: the household, how they live, what worries them."))
    risk_signs = forms.MultipleChoiceField(label=_("risk signs"), choices=RiskSign.choices, required=False,
                                           widget=forms.CheckboxSelectMultiple,
                                           help_text=_("Each sign adds the person to the special populations; imbalance, abnormal behaviour and paranoia also open a personalised plan; abnormal behaviour raises an orange alert."))
    dispute_type = forms.ChoiceField(label=_("dispute"), choices=[("", _("none"))] + list(DisputeType.choices), required=False)
    dispute_parties = forms.CharField(label=_("parties to the dispute"), required=False, max_length=grids.TEXT_MAX,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    mediation = forms.ChoiceField(label=_("mediation"), choices=[("", "—")] + list(Mediation.choices), required=False)
    mediator = forms.CharField(label=_("people's mediator"), required=False, max_length=50)
    needs = forms.MultipleChoiceField(label=_("needs"), choices=Need.choices, required=False, widget=forms.CheckboxSelectMultiple)
    refer_needs = forms.BooleanField(label=_("send the needs to the departments as work orders"), required=False)

    def __init__(self, *args, grid_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = GridCell.objects.filter(pk__in=[g.pk for g in grid_choices])


@login_required
def grid_list(request):
    user = request.user
    if not has_capability(user, ARCHIVES_EDIT):
        raise Http404
    rows = grids.visible_grids(user).select_related("org_unit", "worker").annotate(
        placed=Count("residents", distinct=True), visit_count=Count("visits", distinct=True)).order_by("code")
    return render(request, "governance/grid_list.html", {"page": list_rows(request, rows, per_page=50)})


@login_required
def grid_detail(request, pk):
    user = request.user
    try:
        grid = grids.visible_grids(user).select_related("org_unit", "worker").get(pk=pk)
    except GridCell.DoesNotExist:
        raise Http404 from None
    residents = list_rows(request, GridResident.objects.filter(grid=grid).select_related("person").order_by("person_id"),
                          limit=200, purpose="grid")
    visits = list_rows(request, HouseholdVisit.objects.filter(grid=grid).select_related("person", "visited_by"), limit=50,
                       purpose="grid")
    return render(request, "governance/grid_detail.html", {"grid": grid, "residents": residents, "visits": visits})


@login_required
def visit_new(request):
    from xinli.archives.selectors import get_person_for_edit

    user = request.user
    try:
        person = get_person_for_edit(user, int(request.GET.get("person", "")))
    except (ValueError, PermissionDenied, ObjectDoesNotExist):
        raise Http404 from None
    choices = grids.grids_for(person)
    current = grids.grid_of(person)
    form = VisitForm(request.POST or None, grid_choices=choices,
                     initial={"grid": current.pk if current else (choices[0].pk if choices else None),
                              "visited_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            visit = grids.record_visit(user, person, grid=d["grid"], visited_on=d["visited_on"], situation=d["situation"],
                                       risk_signs=d["risk_signs"], needs=d["needs"], dispute_type=d["dispute_type"],
                                       dispute_parties=d["dispute_parties"], mediation=d["mediation"], mediator=d["mediator"],
                                       refer_needs=d["refer_needs"])
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, grids.outcome_message(visit))
            return redirect("governance:grid_detail", pk=visit.grid_id)
    return render(request, "governance/visit_form.html", {"form": form, "person": person, "grids": choices},
                  status=400 if form.errors else 200)


# --- the leading group (领导小组) ----------------------------------------------------------------------------------

class MeetingForm(BilingualForm):
    org_unit = forms.ModelChoiceField(label=_("region"), queryset=OrgUnit.objects.none(), empty_label=None)
    held_on = forms.DateField(label=_("held on"), widget=DateInput())
    title = forms.CharField(label=pgettext_lazy("meeting", "title"), max_length=leading.TITLE_MAX)
    departments = forms.ModelMultipleChoiceField(label=_("departments present"), queryset=Department.objects.filter(active=True),
                                                 required=False, widget=forms.CheckboxSelectMultiple)
    attendees = forms.CharField(label=_("attendees"), required=False, max_length=leading.TEXT_MAX,
                                widget=forms.Textarea(attrs={"rows": 2}), help_text=_("Who came, by department and post."))
    minutes = forms.CharField(label=pgettext_lazy("meeting", "minutes"), required=False, max_length=leading.TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5}),
                              help_text=_("About work, not residents: never write a resident's name or details here."))
    decisions = forms.CharField(label=_("decisions"), required=False, max_length=leading.TEXT_MAX,
                                widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = OrgUnit.objects.filter(pk__in=[u.pk for u in units])
        self.fields["departments"].label_from_instance = lambda d: d.label


class TaskForm(BilingualForm):
    department = forms.ModelChoiceField(label=pgettext_lazy("leading group", "department"), queryset=Department.objects.filter(active=True))
    title = forms.CharField(label=_("task"), max_length=150)
    due_on = forms.DateField(label=_("due on"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].label_from_instance = lambda d: d.label


class ReportForm(BilingualForm):
    progress = forms.IntegerField(label=_("progress (%)"), min_value=0, max_value=100)
    note = forms.CharField(label=_("note"), required=False, max_length=leading.TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}))
    done = forms.BooleanField(label=_("the task is done"), required=False)


def _require_leading(user) -> None:
    if not has_capability(user, LEADING_VIEW):
        raise Http404


@login_required
def leading_home(request):
    """Meetings and tasks of the user's area (and the decisions of the regions above)."""
    user = request.user
    _require_leading(user)
    status = request.GET.get("status", "open")
    tasks = leading.visible_tasks(user).select_related("org_unit", "department", "meeting")
    if status == "open":
        tasks = tasks.filter(state=GroupTask.State.OPEN)
    elif status == "overdue":
        tasks = tasks.filter(state=GroupTask.State.OPEN, due_on__lt=timezone.localdate())
    meetings = leading.visible_meetings(user).select_related("org_unit").prefetch_related("departments")[:50]
    return render(request, "governance/leading.html", {
        "meetings": meetings, "tasks": list_rows(request, tasks.order_by("due_on", "pk"), per_page=50), "status": status,
        "today": timezone.localdate(), "may_manage": bool(leading.managed_units(user))})


@login_required
def meeting_new(request):
    user = request.user
    units = leading.managed_units(user)
    if not units:
        raise Http404
    form = MeetingForm(request.POST or None, units=units, initial={"org_unit": units[0].pk, "held_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            meeting = leading.record_meeting(user, unit=d["org_unit"], held_on=d["held_on"], title=d["title"],
                                             departments=list(d["departments"]), attendees=d["attendees"],
                                             minutes=d["minutes"], decisions=d["decisions"])
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, bilingual(_("Meeting recorded: now give the departments their tasks.")))
            return redirect("governance:meeting_detail", pk=meeting.pk)
    return render(request, "governance/meeting_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def meeting_detail(request, pk):
    user = request.user
    _require_leading(user)
    try:
        meeting = leading.visible_meetings(user).select_related("org_unit").get(pk=pk)
    except Meeting.DoesNotExist:
        raise Http404 from None
    manages = leading.may_manage(user, meeting.org_unit)
    form = TaskForm(request.POST or None, initial={"due_on": timezone.localdate() + timezone.timedelta(days=30)})
    if request.method == "POST":
        if not manages:
            raise Http404
        if form.is_valid():
            d = form.cleaned_data
            try:
                leading.assign_task(user, unit=meeting.org_unit, department=d["department"], title=d["title"],
                                    due_on=d["due_on"], meeting=meeting)
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, bilingual(_("Task given to {department}; its staff are told in their inbox."),
                                                    department=d["department"].label))
                return redirect("governance:meeting_detail", pk=meeting.pk)
    tasks = leading.visible_tasks(user).filter(meeting=meeting).select_related("department")
    return render(request, "governance/meeting_detail.html", {
        "meeting": meeting, "departments": [d.label for d in meeting.departments.all()], "tasks": tasks,
        "manages": manages, "form": form, "today": timezone.localdate()}, status=400 if form.errors else 200)


@login_required
def task_detail(request, pk):
    user = request.user
    _require_leading(user)
    try:
        task = leading.visible_tasks(user).select_related("org_unit", "department", "meeting").get(pk=pk)
    except GroupTask.DoesNotExist:
        raise Http404 from None
    reports_ = leading.may_report(user, task) and task.state == GroupTask.State.OPEN
    manages = leading.may_manage(user, task.org_unit) and task.state == GroupTask.State.OPEN
    action = request.POST.get("action") if request.method == "POST" else None
    form = ReportForm(request.POST if action == "report" else None, initial={"progress": task.progress})
    cancel = TextForm(request.POST if action == "cancel" else None, prefix="cancel")
    cancel.fields["text"].label = _("reason for withdrawing")
    if action is not None:
        if (action == "report" and not reports_) or (action == "cancel" and not manages) or action not in ("report", "cancel"):
            raise Http404
        bound = form if action == "report" else cancel
        if bound.is_valid():
            try:
                if action == "report":
                    d = form.cleaned_data
                    leading.report_progress(user, task, progress=d["progress"], note=d["note"], done=d["done"],
                                            expected_version=int(request.POST.get("version") or task.version))
                    done = _("Progress reported.")
                else:
                    leading.cancel_task(user, task, reason=cancel.cleaned_data["text"])
                    done = _("Task withdrawn.")
            except (PermissionDenied, ValueError):
                raise Http404 from None
            except ValidationError as exc:
                bound.add_service_error(exc)
            else:
                messages.success(request, bilingual(done))
                return redirect("governance:task_detail", pk=task.pk)
    return render(request, "governance/task_detail.html", {
        "task": task, "reports": task.reports.select_related("by"), "may_report": reports_, "manages": manages,
        "form": form, "cancel": cancel, "today": timezone.localdate()},
        status=400 if (form.errors or cancel.errors) else 200)


# --- work-order kinds (data; the system administrator) ------------------------------------------------------------

class KindForm(BilingualForm):
    code = forms.CharField(label=_("code"), max_length=30, required=False,
                           help_text=_("Lower-case letters, digits and _; fixed once the kind exists."))
    name = forms.CharField(label=_("name"), max_length=60)
    name_en = forms.CharField(label=_("English name"), max_length=80, required=False)
    department = forms.ModelChoiceField(label=pgettext_lazy("leading group", "department"), queryset=Department.objects.filter(active=True))
    accept_hours = forms.IntegerField(label=_("hours to accept"), min_value=1, max_value=720)
    complete_days = forms.IntegerField(label=_("days to complete"), min_value=1, max_value=365)
    person_fields = forms.MultipleChoiceField(label=_("person fields shared"), required=False, widget=forms.CheckboxSelectMultiple,
                                              choices=[(k, v) for k, v in PERSON_FIELDS.items()],
                                              help_text=_("Only what the receiving department needs to act; nothing else of the archive is ever shared."))
    sort = forms.IntegerField(label=_("order"), min_value=0, max_value=1000, initial=100)
    active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].label_from_instance = lambda d: d.label


def _require_kinds(user) -> None:
    if not has_capability(user, REGIONS_MANAGE):
        raise Http404


@login_required
def kind_list(request):
    """The work-order kinds with their department, deadlines and shared fields; a form for a new kind."""
    user = request.user
    _require_kinds(user)
    form = KindForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = kinds.save_kind(user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, bilingual(_("Work-order kind {name} saved."), name=saved.name))
            return redirect("governance:kind_list")
    rows = OrderKind.objects.select_related("department").order_by("sort", "code")
    return render(request, "governance/kind_list.html", {"kinds": rows, "form": form, "fields": PERSON_FIELDS},
                  status=400 if form.errors else 200)


@login_required
def kind_edit(request, pk):
    user = request.user
    _require_kinds(user)
    try:
        kind = OrderKind.objects.select_related("department").get(pk=pk)
    except OrderKind.DoesNotExist:
        raise Http404 from None
    initial = {f: getattr(kind, f) for f in ("code", "name", "name_en", "accept_hours", "complete_days", "person_fields", "sort", "active")}
    form = KindForm(request.POST or None, initial={**initial, "department": kind.department_id})
    form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            kinds.save_kind(user, kind=kind, **data)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, bilingual(_("Work-order kind {name} saved."), name=kind.name))
            return redirect("governance:kind_list")
    return render(request, "governance/kind_form.html", {"kind": kind, "form": form}, status=400 if form.errors else 200)
