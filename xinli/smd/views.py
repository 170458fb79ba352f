"""SMD pages: the doctor's worklist, the patient list of the user's area (filters, search, pages), a patient's page
(clinical or basic by role), the follow-up form (pre-filled from the last follow-up where the norms allow), and the
indicators of the user's townships against the targets."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from xinli.archives import transfers
from xinli.core import audit
from xinli.core.forms import BilingualForm
from xinli.core.listing import list_rows
from xinli.core.policy import SMD_BASIC, SMD_FOLLOWUP, SMD_VIEW
from xinli.core.scoping import has_capability
from xinli.core.widgets import DateInput

from . import selectors, services
from .models import (
    LEVEL3,
    LOST_REASONS,
    SOCIAL,
    SYMPTOMS,
    Adherence,
    Classification,
    Diagnosis,
    Mode,
    Patient,
    Status,
    Support,
)


@login_required
def worklist(request):
    if not has_capability(request.user, SMD_VIEW):
        if has_capability(request.user, SMD_BASIC):
            return patient_list(request)  # a case-team member's SMD page is the list of the area's patients
        raise Http404
    w = selectors.worklist(request.user)
    w["transfers"] = transfers.decidable(request.user, SMD_FOLLOWUP)
    selectors.record_listing(request.user, [t.patient for t in w["due"] + w["overdue"]] + w["never"])
    transfers.record_listing(request.user, w["transfers"])
    return render(request, "smd/worklist.html", w)


@login_required
def worklist_summary(request):
    """The home page's SMD card (loaded by htmx): overdue and due-this-week counts, and the way to the worklist."""
    if not has_capability(request.user, SMD_VIEW):
        raise Http404
    counts = selectors.worklist_counts(request.user)
    counts["transfers"] = transfers.pending_count(request.user, SMD_FOLLOWUP)
    return render(request, "smd/_summary.html", counts)


class PatientFilterForm(BilingualForm):
    """The patient list's filters. The follow-up state, classification and diagnosis are clinical: only a treating
    user gets them (``clinical=False`` drops them)."""

    q = forms.CharField(label=_("name or ID number"), max_length=40, required=False)
    follow_up = forms.ChoiceField(label=pgettext_lazy("smd", "follow-up"), required=False, choices=[
        ("", _("all")), ("due", _("due this week")), ("overdue", pgettext_lazy("smd", "overdue")), ("never", _("never followed up")),
        ("not_this_year", _("not followed up this year"))])
    classification = forms.ChoiceField(label=_("classification"), required=False, choices=[("", _("all")), *Classification.choices])
    risk = forms.TypedChoiceField(label=_("risk level"), required=False, coerce=int, empty_value=None,
                                  choices=[("", _("all"))] + [(str(i), str(i)) for i in range(6)])
    diagnosis = forms.ChoiceField(label=_("disease"), required=False, choices=[("", _("all")), *Diagnosis.choices])
    status = forms.ChoiceField(label=_("status"), required=False, choices=[*Status.choices, ("any", _("all"))])

    def __init__(self, *args, clinical: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not clinical:
            for name in ("follow_up", "classification", "diagnosis"):
                del self.fields[name]


PAGE_SIZE = 25


@login_required
def patient_list(request):
    """Every SMD role's list of the patients of its area (and, for a doctor, their own patients anywhere): filters,
    a search by name or ID number, 25 a page; the patients shown are audited."""
    user = request.user
    if not (has_capability(user, SMD_VIEW) or has_capability(user, SMD_BASIC)):
        raise Http404
    clinical = has_capability(user, SMD_VIEW)
    form = PatientFilterForm(request.GET or None, clinical=clinical)
    f = form.cleaned_data if form.is_bound and form.is_valid() else {}
    status = f.get("status") or Status.IN_REGISTER
    qs = selectors.patient_list(user, follow_up=f.get("follow_up", ""), classification=f.get("classification", ""),
                                risk=f.get("risk"), diagnosis=f.get("diagnosis", ""), q=f.get("q", ""),
                                status="" if status == "any" else status)
    page = list_rows(request, qs, per_page=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "smd/patient_list.html", {
        "form": form, "page": page, "clinical": clinical, "query": query.urlencode(), "today": timezone.localdate(),
        "end_of_week": selectors.end_of_week(timezone.localdate())})


@login_required
def patient_detail(request, pk):
    try:
        patient, clinical = selectors.get_patient(request.user, pk)
    except Patient.DoesNotExist:
        raise Http404 from None
    context = {"patient": patient, "clinical": clinical, "can_follow_up": selectors.may_follow_up(request.user, patient),
               "can_print": clinical and selectors.treats(request.user, patient), "today": timezone.localdate()}
    if clinical:
        context.update(follow_ups=list(selectors.follow_ups(patient)[:50]), emergencies=list(patient.emergencies.order_by("-occurred_at")),
                       team=list(patient.team.select_related("user")), support=list(patient.support.all()[:50]),
                       tasks=list(patient.tasks.filter(state="due")))
    return render(request, "smd/patient_detail.html", context)


@login_required
@require_POST
def break_glass(request, pk):
    """A case-team member opens the clinical details for four hours with a recorded reason (or sees why not)."""
    patient = selectors.visible_patients(request.user).filter(pk=pk).first()
    if patient is None:
        raise Http404
    try:
        services.break_glass(request.user, patient, reason=request.POST.get("reason", ""))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    return redirect("smd:patient_detail", pk=patient.pk)


def _choices(mapping):
    return [("", "—"), *mapping.items()]


class FollowUpForm(BilingualForm):
    # An <input type="date"> takes ISO dates only (the Chinese input format 2026/12/04 would show an empty field).
    date = forms.DateField(label=_("date"), widget=DateInput())
    mode = forms.ChoiceField(label=_("mode"), choices=Mode.choices)
    lost_reason = forms.ChoiceField(label=_("lost to follow-up"), choices=_choices(LOST_REASONS), required=False)
    death_date = forms.DateField(label=_("date of death"), required=False, widget=DateInput())
    death_cause = forms.CharField(label=_("cause of death"), max_length=100, required=False)
    risk = forms.TypedChoiceField(label=_("risk level (0–5)"), choices=[("", "—")] + [(i, str(i)) for i in range(6)], coerce=int,
                                  empty_value=None, required=False)
    symptoms = forms.MultipleChoiceField(label=_("symptoms"), choices=list(SYMPTOMS.items()), required=False, widget=forms.CheckboxSelectMultiple)
    psychotic_symptoms_obvious = forms.BooleanField(label=_("obvious psychotic symptoms"), required=False)
    insight = forms.ChoiceField(label=_("insight"), choices=[("", "—"), ("complete", _("complete")), ("partial", _("partial")), ("absent", _("absent"))], required=False)
    sleep = forms.ChoiceField(label=_("sleep"), choices=_choices(LEVEL3), required=False)
    diet = forms.ChoiceField(label=_("diet"), choices=_choices(LEVEL3), required=False)
    adherence = forms.ChoiceField(label=_("medication adherence"), choices=[("", "—"), *Adherence.choices], required=False)
    acute_adverse_reaction = forms.BooleanField(label=_("acute adverse drug reaction"), required=False)
    serious_physical_illness = forms.BooleanField(label=_("serious physical illness"), required=False)
    hospitalised = forms.ChoiceField(label=_("hospitalisation"), choices=[("none", _("none")), ("past", _("since the last visit")), ("current", _("in hospital now"))])
    referral_institution = forms.CharField(label=_("referred to"), max_length=100, required=False)
    referral_reason = forms.CharField(label=_("referral reason"), max_length=2000, required=False)
    medications = forms.CharField(label=_("medications"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                  help_text=_("one per line: name, dose, usage"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key in SOCIAL:
            self.fields[f"social_{key}"] = forms.ChoiceField(label=_("social function") + " · " + str(SOCIAL[key]), choices=_choices(LEVEL3), required=False)

    def service_data(self) -> dict:
        d = dict(self.cleaned_data)
        d["social_function"] = {k: d.pop(f"social_{k}") for k in SOCIAL if d.get(f"social_{k}")}
        for k in SOCIAL:
            d.pop(f"social_{k}", None)
        d["medications"] = [dict(zip(("name", "dose", "usage"), [p.strip() for p in line.replace("，", ",").split(",")], strict=False))
                            for line in (d.get("medications") or "").splitlines() if line.strip()]
        return {k: v for k, v in d.items() if v not in ("", None) or k == "risk"}


# Carried over from the last follow-up into a new one: what stays true between visits unless someone changes it —
# the medication list (the current prescription, which the doctor confirms or adjusts), and the usual way of
# reaching the patient (mode). Never carried over: the day's assessment (risk, symptoms, insight, sleep, diet,
# social function, adherence, adverse reactions, physical illness, hospitalisation) — the national record asks for
# it as observed at this visit, and a copied assessment would classify the patient without looking. The guardian
# and contacts are the register's, shown beside the form (docs/smd.md, "The follow-up form").
CARRIED_OVER = ("mode", "medications")


def follow_up_initial(patient: Patient, last) -> dict:
    """The follow-up form's starting values: today's date, and ``CARRIED_OVER`` from the last follow-up (the
    medications only with the patient's consent to community management, as the service records them)."""
    initial = {"date": timezone.localdate(), "mode": "home", "hospitalised": "none"}
    if last is None:
        return initial
    if last.mode:
        initial["mode"] = last.mode
    if patient.consent_community and last.medications:
        try:
            meds = json.loads(last.medications)
        except ValueError:
            meds = [last.medications]
        initial["medications"] = "\n".join(
            ", ".join(str(m.get(k, "")) for k in ("name", "dose", "usage")).strip(", ") if isinstance(m, dict) else str(m)
            for m in (meds if isinstance(meds, list) else [meds]))
    return initial


@login_required
def follow_up_new(request, pk):
    patient = selectors.clinical_patients(request.user).filter(pk=pk).first()
    if patient is None or not selectors.may_follow_up(request.user, patient):
        raise Http404
    last = selectors.follow_ups(patient).first()
    form = FollowUpForm(request.POST if request.method == "POST" else None, initial=follow_up_initial(patient, last))
    if request.method == "POST" and form.is_valid():
        try:
            fu = services.record_follow_up(request.user, patient, form.service_data())
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            # A page message in the reader's language only (the API keeps both languages).
            messages.success(request, str(_("Follow-up saved: {classification}; next follow-up {due}.")).format(
                classification=fu.get_classification_display() or "—", due=fu.next_due.isoformat() if fu.next_due else "—"))
            return redirect("smd:patient_detail", pk=patient.pk)
    if request.method != "POST":
        audit.record(request.user, audit.Action.READ, obj=patient, person=patient.person, org_path=patient.org_path,
                     purpose="smd follow-up form")
    return render(request, "smd/follow_up_form.html", {"form": form, "patient": patient, "last": last,
                                                       "carried_over": CARRIED_OVER}, status=400 if form.errors else 200)


class SupportForm(BilingualForm):
    """Rehabilitation, counselling and family work of a patient (what T16 and T17 count)."""

    kind = forms.ChoiceField(label=_("kind"), choices=Support.Kind.choices)
    start = forms.DateField(label=_("date"), widget=DateInput())
    end = forms.DateField(label=_("until"), required=False, widget=DateInput(),
                          help_text=_("For rehabilitation that lasts: the last day, or empty while it goes on."))
    institution = forms.CharField(label=_("institution"), max_length=100, required=False)
    primary_care = forms.BooleanField(label=_("by a primary-care institution"), required=False, initial=True,
                                      help_text=_("Community health service centre or station, township health centre or village "
                                                  "clinic (基层医疗卫生机构). Counselling of the patient or the family counts "
                                                  "for T17 only when given there."))
    note = forms.CharField(label=_("note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))


@login_required
def support_new(request, pk):
    """The doctor records rehabilitation, counselling (心理疏导) of the patient or the family, a family-school
    session, medication support, a health check or a referral."""
    patient = selectors.clinical_patients(request.user).filter(pk=pk).first()
    if patient is None or not selectors.may_follow_up(request.user, patient):
        raise Http404
    form = SupportForm(request.POST if request.method == "POST" else None, initial={"start": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.add_support(request.user, patient, **form.cleaned_data)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("smd:patient_detail", pk=patient.pk)
    return render(request, "smd/support_form.html", {"form": form, "patient": patient}, status=400 if form.errors else 200)


@login_required
def export(request):
    """The register as Excel: de-identified unless ``identified=1`` with a ``purpose``."""
    from django.http import HttpResponse

    from .export import export_national, export_register

    national = request.GET.get("layout") == "national"  # the upward register: always with names
    identified = national or request.GET.get("identified") == "1"
    purpose = request.GET.get("purpose", "")
    if not has_capability(request.user, SMD_VIEW):
        raise Http404
    if identified and not purpose.strip():
        messages.error(request, _("Purpose: an export with names needs the purpose of the export."))
        return redirect("smd:worklist")
    try:
        data = export_national(request.user, purpose=purpose) if national else export_register(request.user, identified=identified, purpose=purpose)
    except PermissionDenied:
        raise Http404 from None
    if national:
        response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = 'attachment; filename="smd-register-national.xlsx"'
        return response
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="smd-register{"-identified" if identified else ""}.xlsx"'
    return response


# --- National forms (PDF) ---------------------------------------------------------------------------------------

FORM_LABELS = {
    "supplement": _("Supplementary personal information form"),
    "follow_up": _("Follow-up service record"),
    "risk": _("Risk assessment (levels 0–5)"),
    "emergency": _("Emergency handling record"),
    "transfer": _("Transfer letter (to a place without the platform)"),
}


def _pdf_response(data: bytes, filename: str):
    from django.http import HttpResponse

    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def forms_blank(request):
    """The national forms printed blank, for paper work in villages (``?form=`` downloads one)."""
    from .forms_pdf import FORMS, blank_form

    if not has_capability(request.user, SMD_VIEW):
        raise Http404
    key = request.GET.get("form")
    if key in FORMS:
        return _pdf_response(blank_form(request.user, key), f"smd-{key}-blank.pdf")
    if key is not None:
        messages.error(request, _("Form: choose one of the national forms."))
    return render(request, "smd/forms_blank.html", {"forms": list(FORM_LABELS.items())}, status=400 if key is not None else 200)


class PrintForm(BilingualForm):
    form = forms.ChoiceField(label=_("form"), choices=list(FORM_LABELS.items()), widget=forms.RadioSelect)
    follow_up = forms.TypedChoiceField(label=pgettext_lazy("smd", "follow-up"), coerce=int, empty_value=None, required=False,
                                       help_text=_("For the follow-up record and the risk assessment; empty: the last follow-up."))
    emergency = forms.TypedChoiceField(label=pgettext_lazy("smd", "emergency"), coerce=int, empty_value=None, required=False,
                                       help_text=_("For the emergency handling record."))
    receiving_place = forms.CharField(label=_("receiving place"), max_length=100, required=False,
                                      help_text=_("For the transfer letter: where the patient moves (county, township, institution)."))
    purpose = forms.CharField(label=_("purpose"), max_length=60,
                              help_text=_("Printing a form with the patient's details is recorded in the audit log with its purpose."))

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["follow_up"].choices = [("", "—")] + [
            (f.pk, f"{f.date:%Y-%m-%d} · {f.get_mode_display()}") for f in patient.follow_ups.order_by("-date", "-id")[:50]]
        self.fields["emergency"].choices = [("", "—")] + [
            (e.pk, f"{timezone.localtime(e.occurred_at):%Y-%m-%d %H:%M} · {e.get_trigger_display()}")
            for e in patient.emergencies.order_by("-occurred_at")[:50]]


@login_required
def patient_forms(request, pk):
    """A patient's national forms: choose the form (and the follow-up or emergency it is about), state the purpose,
    download the PDF (audited; ``forms_pdf.render_patient_form``)."""
    from .forms_pdf import render_patient_form

    patient = selectors.clinical_patients(request.user).filter(pk=pk).first()
    if patient is None:
        raise Http404
    if request.method == "POST":
        form = PrintForm(request.POST, patient=patient)
        if form.is_valid():
            d = form.cleaned_data
            fu = patient.follow_ups.filter(pk=d["follow_up"]).first() if d.get("follow_up") else None
            em = patient.emergencies.filter(pk=d["emergency"]).first() if d.get("emergency") else None
            try:
                pdf = render_patient_form(request.user, patient, d["form"], purpose=d["purpose"], follow_up=fu, emergency=em,
                                          receiving_place=d.get("receiving_place") or "")
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                return _pdf_response(pdf, f"smd-{d['form']}-{patient.pk}.pdf")
    else:
        initial = {k: request.GET[k] for k in ("form", "follow_up", "emergency") if request.GET.get(k)}
        form = PrintForm(initial=initial, patient=patient)
        audit.record(request.user, audit.Action.READ, obj=patient, person=patient.person, org_path=patient.org_path, purpose="smd")
    return render(request, "smd/forms_patient.html", {"form": form, "patient": patient}, status=400 if form.errors else 200)
