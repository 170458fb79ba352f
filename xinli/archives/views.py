"""HTML views of the archive: thin — parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from xinli.core.i18n import bilingual
from xinli.core.ids import parse_id
from xinli.core.listing import list_rows
from xinli.core.policy import ARCHIVES_EDIT, ARCHIVES_VIEW, ORDERS_CREATE
from xinli.core.scoping import has_capability, path_in_scope
from xinli.regions import selectors as unit_selectors
from xinli.regions.models import OrgUnit
from xinli.scales.definitions import short_name

from . import citytransfer, selectors, services
from .forms import ConsentForm, PersonForm, RegisterForm
from .models import ConsentPurpose, Person, PersonStatus, Tag


def _editable_units(user):
    return [u for u in unit_selectors.visible_units(user).filter(level__in=["township", "village"])
            if path_in_scope(user, ARCHIVES_EDIT, u.path)]


def _person_or_404(user, pk, **kwargs) -> Person:
    try:
        return selectors.get_person(user, pk, **kwargs)
    except Person.DoesNotExist:
        raise Http404 from None


@login_required
def person_list(request):
    user = request.user
    if not has_capability(user, ARCHIVES_VIEW):
        raise Http404
    q = request.GET.get("q", "").strip()
    tag = request.GET.get("tag", "")
    unit = None
    if parse_id(request.GET.get("org_unit")) is not None:
        unit = unit_selectors.visible_units(user).filter(pk=parse_id(request.GET["org_unit"])).first()
    qs = selectors.search_persons(user, q=q, org_unit=unit, tag=tag if tag in Tag.values else "")
    page = list_rows(request, qs, per_page=20, purpose="search")
    template = "archives/_results.html" if request.htmx else "archives/person_list.html"
    miss = selectors.search_miss_kind(q) if q and not page.paginator.count else ""
    can_edit = has_capability(user, ARCHIVES_EDIT)
    return render(request, template, {"page": page, "q": q, "unit": unit, "tag": tag, "tags": Tag.choices, "miss": miss,
                                      "can_edit": can_edit,
                                      "duplicate_count": selectors.open_duplicate_request_count(user)
                                      if can_edit and not request.htmx else 0,
                                      "possible_count": selectors.open_possible_duplicate_count(user)
                                      if can_edit and not request.htmx else 0})


@login_required
def person_detail(request, pk):
    from xinli.core.policy import SCREENING_ADMINISTER
    from xinli.scales import definitions
    from xinli.screening.selectors import can_read_assessments, person_history

    person = _person_or_404(request.user, pk, purpose="view")
    show_assessments = can_read_assessments(request.user, person)  # issue 15: only who treats or follows up
    history = list(person_history(person, request.user))
    trend: dict[str, list] = {}
    for a in history:
        # Labels in local time (TIME_ZONE), as the table beside the chart shows them; one line per instrument, named
        # as the instrument is known (PHQ-9), not by its code.
        trend.setdefault(definitions.short_name(a.scale), []).append([timezone.localtime(a.taken_at).strftime("%Y-%m-%d %H:%M"),
                                                                 float(a.total)])
    return render(request, "archives/person_detail.html", {
        "show_assessments": show_assessments,
        "assessments": list(reversed(history)),
        "trend": {short_name(scale): points for scale, points in trend.items()},  # the legend: PHQ-9, not phq9
        "can_assess": path_in_scope(request.user, SCREENING_ADMINISTER, person.org_path),
        "person": person,
        "tags": selectors.person_tags(person),
        "consents": selectors.person_consents(person),
        "ancestors": unit_selectors.ancestors(person.org_unit),
        "can_edit": path_in_scope(request.user, ARCHIVES_EDIT, person.org_path),
        "can_send_city": person.status == PersonStatus.ACTIVE and citytransfer.may_send(request.user, person),
        # a work order to another department about this person (issue 19): senders in whose area the person lives
        # a household visit (入户摸排, issue 19) by whoever edits the archive here
        "can_visit": person.status == PersonStatus.ACTIVE and path_in_scope(request.user, ARCHIVES_EDIT, person.org_path),
        "can_send_order": person.status == PersonStatus.ACTIVE and path_in_scope(request.user, ORDERS_CREATE, person.org_path),
    })


@login_required
def person_create(request):
    user = request.user
    units = _editable_units(user)
    if not units:
        raise Http404
    form = RegisterForm(request.POST if request.method == "POST" else None, units=units)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = {k: d[k] for k in ("name", "id_number", "sex", "birth_date", "phone", "address")}
        data["org_unit"] = OrgUnit.objects.get(pk=d["org_unit"])
        consents = []
        if d["consent_given"]:
            consents.append({"purpose": ConsentPurpose.ARCHIVE, "given_by": d["consent_given_by"] or "self",
                             "guardian_name": d["guardian_name"], "guardian_relation": d["guardian_relation"]})
        try:
            saved = services.register_person(user, data, tags=d["tags"], consents=consents)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            for w in saved.warnings:
                messages.warning(request, w)
            messages.success(request, bilingual(_("Person registered in the archive.")))
            return redirect("archives:person_detail", pk=saved.person.pk)
    return render(request, "archives/person_form.html", {"form": form, "creating": True}, status=400 if form.errors else 200)


@login_required
def person_edit(request, pk):
    user = request.user
    try:
        person = selectors.get_person_for_edit(user, pk)
    except Person.DoesNotExist:
        raise Http404 from None
    units = _editable_units(user)
    initial = {
        "name": person.name, "id_number": person.id_number, "sex": person.sex, "birth_date": person.birth_date,
        "phone": person.phone, "address": person.address, "org_unit": person.org_unit_id, "status": person.status,
        "tags": [t.tag for t in selectors.person_tags(person)], "version": person.version,
    }
    form = PersonForm(request.POST if request.method == "POST" else None, initial=initial, units=units)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = {k: d[k] for k in ("name", "id_number", "sex", "birth_date", "phone", "address")}
        data["status"] = d["status"] or person.status
        data["org_unit"] = OrgUnit.objects.get(pk=d["org_unit"])
        try:
            services.check_new_id_number(user, person, data)  # outside the transaction: a duplicate request must stay
            with transaction.atomic():
                saved = services.update_person(user, person, data, expected_version=d["version"])
                services.set_tags(user, person, d["tags"])
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            for w in saved.warnings:
                messages.warning(request, w)
            messages.success(request, bilingual(_("Changes saved.")))
            return redirect("archives:person_detail", pk=person.pk)
    return render(request, "archives/person_form.html", {"form": form, "person": person, "creating": False},
                  status=400 if form.errors else 200)


@login_required
def consent_create(request, pk):
    try:
        person = selectors.get_person_for_edit(request.user, pk)
    except Person.DoesNotExist:
        raise Http404 from None
    form = ConsentForm(request.POST if request.method == "POST" else None, initial={"legal_basis": "consent", "given_by": "self"})
    if request.method == "POST" and form.is_valid():
        try:
            services.record_consent(request.user, person, form.cleaned_data)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, bilingual(_("Consent recorded.")))
            return redirect("archives:person_detail", pk=person.pk)
    return render(request, "archives/consent_form.html", {"form": form, "person": person}, status=400 if form.errors else 200)


@login_required
@require_POST
def consent_withdraw(request, pk):
    consent = selectors.visible_consents(request.user).filter(pk=pk).first()
    if consent is None:
        raise Http404
    try:
        services.withdraw_consent(request.user, consent)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, bilingual(_("Consent withdrawn.")))
    return redirect("archives:person_detail", pk=consent.person_id)




# --- duplicate ID-number requests (issue 15): the officers of the common ancestor decide -------------------------

@login_required
def duplicate_list(request):
    """Open (or closed) duplicate ID-number requests for the officers of the common ancestor unit: requesting unit,
    who asked, when, and the record that holds the number (a link: opening it is the audited read)."""
    user = request.user
    if not has_capability(user, ARCHIVES_EDIT):
        raise Http404
    shown = "closed" if request.GET.get("status") == "closed" else "open"
    page = list_rows(request, selectors.duplicate_requests(user, status=shown), per_page=20)
    holders = selectors.duplicate_holders(user, page.object_list)
    rows = [(r, holders.get(r.id_number_bidx)) for r in page.object_list]
    return render(request, "archives/duplicate_list.html", {"page": page, "rows": rows, "shown": shown})


@login_required
def duplicate_detail(request, pk):
    """One request: what is known, the record that holds the number, and (while open) the decision with its note."""
    from .duplicates import resolve_duplicate_request
    from .forms import ResolveDuplicateForm
    from .models import DuplicateRequest

    user = request.user
    try:
        dup = selectors.get_duplicate_request(user, pk)
    except DuplicateRequest.DoesNotExist:
        raise Http404 from None
    holder = selectors.duplicate_holders(user, [dup]).get(dup.id_number_bidx)
    is_open = dup.status == DuplicateRequest.Status.OPEN
    form = ResolveDuplicateForm(request.POST if request.method == "POST" and is_open else None, can_transfer=holder is not None)
    if request.method == "POST" and is_open and form.is_valid():
        try:
            resolve_duplicate_request(user, dup, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"])
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, bilingual(_("Request closed; the requester has been told.")))
            return redirect("archives:duplicate_list")
    return render(request, "archives/duplicate_detail.html", {"dup": dup, "holder": holder, "form": form if is_open else None},
                  status=400 if form.errors else 200)


# --- possible duplicates and merges (issue 17) ----------------------------------------------------------------------

@login_required
def possible_duplicate_list(request):
    """The review list: pairs of records that may be the same resident, by record number and unit (no name: opening
    the comparison is the audited read)."""
    from xinli.core.policy import ARCHIVES_MERGE

    user = request.user
    if not has_capability(user, ARCHIVES_MERGE):
        raise Http404
    shown = "closed" if request.GET.get("state") == "closed" else "open"
    page = list_rows(request, selectors.possible_duplicates(user, state=shown), per_page=20)
    merges = list(selectors.merges(user)[:10]) if shown == "closed" else []
    return render(request, "archives/possible_duplicates.html", {"page": page, "shown": shown, "merges": merges})


@login_required
def person_compare(request, pk, other):
    """Two records side by side (every field, tags, consents, linked rows by kind); merge one into the other, or
    dismiss the pair as not the same person. Both reads audited."""
    from .duplicates import dismiss_possible_duplicate
    from .merge import merge_persons
    from .models import PossibleDuplicate

    user = request.user
    try:
        a, b = selectors.persons_for_merge(user, pk, other)
    except Person.DoesNotExist:
        raise Http404 from None
    low, high = sorted((a.pk, b.pk))
    pair = selectors.possible_duplicates(user, state="").filter(person_a_id=low, person_b_id=high).first()
    errors = []
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "merge":
                survivor_pk = parse_id(request.POST.get("survivor"))
                if survivor_pk not in (a.pk, b.pk):
                    errors.append(bilingual(_("Surviving record: pick one of the two records.")))
                else:
                    survivor, merged = (a, b) if survivor_pk == a.pk else (b, a)
                    record = merge_persons(user, survivor, merged, pair=pair)
                    messages.success(request, bilingual(_("Records merged; every linked record now belongs to record "
                                                          "{pk}."), pk=survivor.pk))
                    return redirect("archives:merge_detail", pk=record.pk)
            elif action == "dismiss" and pair is not None and pair.state == PossibleDuplicate.State.OPEN:
                dismiss_possible_duplicate(user, pair)
                messages.success(request, bilingual(_("Pair closed as not the same person.")))
                return redirect("archives:possible_duplicates")
            else:
                errors.append(bilingual(_("Action: unknown; use the buttons on this page.")))
        except ValidationError as exc:
            errors += [m for msgs in exc.message_dict.values() for m in msgs]
        except PermissionDenied:
            raise Http404 from None
    data = selectors.compare_persons(a, b)
    return render(request, "archives/person_compare.html", {
        "a": a, "b": b, "pair": pair, "errors": errors, "fields": data["fields"], "counts": data["counts"],
        "tags_a": data["tags"][a.pk], "tags_b": data["tags"][b.pk],
        "consents_a": data["consents"][a.pk], "consents_b": data["consents"][b.pk],
        "can_merge": a.status != "merged" and b.status != "merged",
        # One of the two was merged since the pair was listed: offer the survivor against the other one.
        "survivor_link": _survivor_link(user, a, b),
    }, status=400 if errors else 200)


def _survivor_link(user, a, b):
    for merged, other in ((a, b), (b, a)):
        into = merged.merged_into_id
        if into and other.status != "merged" and into != other.pk and selectors.mergeable_persons(user).filter(pk=into).exists():
            return (into, other.pk)
    return None


@login_required
def merge_detail(request, pk):
    """One merge: the two records, who merged them and when, the rows moved by kind, and (within the window) undo."""
    from .merge import MERGE_UNDO_DAYS, kind_label, undo_deadline, undo_merge
    from .models import PersonMerge

    user = request.user
    try:
        record = selectors.get_merge(user, pk)
    except PersonMerge.DoesNotExist:
        raise Http404 from None
    errors = []
    if request.method == "POST":
        try:
            undo_merge(user, record)
        except ValidationError as exc:
            errors += [m for msgs in exc.message_dict.values() for m in msgs]
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, bilingual(_("Merge undone; both records are as they were before.")))
            return redirect("archives:merge_detail", pk=record.pk)
    kinds: dict[str, int] = {}
    for item in record.moved:
        kinds[item["model"]] = kinds.get(item["model"], 0) + 1
    moved = [(kind_label(label), n) for label, n in sorted(kinds.items())]
    deadline = undo_deadline(record)
    return render(request, "archives/merge_detail.html", {
        "record": record, "moved": moved, "moved_total": len(record.moved), "deadline": deadline, "days": MERGE_UNDO_DAYS,
        "can_undo": record.undone_at is None and timezone.now() <= deadline, "errors": errors,
    }, status=400 if errors else 200)
