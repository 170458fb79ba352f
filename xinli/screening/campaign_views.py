"""Campaign pages: staff set-up and dashboard, and the public participant pages (code → questionnaire)."""

from __future__ import annotations

import datetime
import io

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from xinli.core import audit, ratelimit
from xinli.core.forms import BilingualForm, form_pk
from xinli.core.i18n import bilingual
from xinli.core.ids import parse_id, parse_int
from xinli.core.policy import SCREENING_CAMPAIGN
from xinli.core.scoping import has_capability, path_in_scope
from xinli.core.widgets import DateInput
from xinli.regions import selectors as unit_selectors
from xinli.scales import definitions

from . import campaigns
from .models import Campaign


def _lang() -> str:
    return "en" if (translation.get_language() or "").startswith("en") else "zh-hans"


class CampaignForm(BilingualForm):
    name = forms.CharField(label=_("name"), max_length=100)
    kind = forms.ChoiceField(label=_("kind"), choices=Campaign.Kind.choices)
    institution = forms.CharField(label=_("school or employer"), max_length=100)
    org_unit = forms.TypedChoiceField(label=_("org unit"), coerce=int)
    scales = forms.MultipleChoiceField(label=_("instruments"), widget=forms.CheckboxSelectMultiple)
    opens_at = forms.DateField(label=_("opens on"), widget=DateInput())
    closes_at = forms.DateField(label=_("closes on"), widget=DateInput())
    groups = forms.CharField(label=_("groups"), widget=forms.Textarea(attrs={"rows": 6}),
                             help_text=_("One line per class or department: grade, name, number of participants — e.g. 高一,1班,45"))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].choices = [(u.pk, f"{u.name}（{u.code}）") for u in units]
        lang = _lang()
        self.fields["scales"].choices = [(c, f"{d.raw.get('short_name', c)} {d.name(lang)}") for c, d in sorted(definitions.registry().items())
                                         if not d.raw.get("restricted")]

    def clean_groups(self):
        groups = []
        for n, line in enumerate(self.cleaned_data["groups"].splitlines(), start=1):
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            if not any(parts):
                continue
            if len(parts) != 3 or not 0 < (parse_id(parts[2]) or 0) <= 3000:
                raise forms.ValidationError(bilingual(_("Groups, line {line}: write grade, name, number (1–3000)."), line=n))
            groups.append({"grade": parts[0], "name": parts[1], "count": parse_id(parts[2])})
        if not groups:
            raise forms.ValidationError(bilingual(_("Groups: add at least one class or department.")))
        return groups


@login_required
def campaign_list(request):
    user = request.user
    if not has_capability(user, SCREENING_CAMPAIGN):
        raise Http404
    units = [u for u in unit_selectors.visible_units(user).order_by("path") if path_in_scope(user, SCREENING_CAMPAIGN, u.path)]
    form = CampaignForm(request.POST if request.method == "POST" else None, units=units)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        tz = timezone.get_current_timezone()
        try:
            campaign = campaigns.create_campaign(
                user, name=d["name"], kind=d["kind"], institution=d["institution"],
                org_unit=next(u for u in units if u.pk == d["org_unit"]), scales=d["scales"],
                opens_at=datetime.datetime.combine(d["opens_at"], datetime.time.min, tz),
                closes_at=datetime.datetime.combine(d["closes_at"], datetime.time.max, tz), groups=d["groups"])
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, bilingual(_("Campaign created with its participant codes.")))
            return redirect("screening:campaign_detail", pk=campaign.pk)
    return render(request, "screening/campaign_list.html", {
        "campaigns": campaigns.visible_campaigns(user).order_by("-opens_at")[:200], "form": form,
    }, status=400 if form.errors else 200)


def _campaign_or_404(user, pk) -> Campaign:
    campaign = campaigns.visible_campaigns(user).filter(pk=pk).first()
    if campaign is None:
        raise Http404
    return campaign


@login_required
def campaign_detail(request, pk):
    """Completion per class or department, band distribution, and (responsible staff only) the positive list."""
    user = request.user
    campaign = _campaign_or_404(user, pk)
    responsible = campaigns.responsible_for(user, campaign)
    progress = campaigns.progress(campaign)
    total = sum(g.participants for g in progress)
    done = sum(g.completed for g in progress)
    return render(request, "screening/campaign_detail.html", {
        "c": campaign, "progress": progress, "total": total, "done": done,
        "percent": round(100 * done / total, 1) if total else 0, "bands": {k: dict(v) for k, v in campaigns.band_distribution(campaign).items()},
        "responsible": responsible, "positives": campaigns.positive_list(user, campaign) if responsible else [],
    })


@login_required
def campaign_participants(request, pk):
    """Codes sheet (printable, QR codes rendered here) and guardian consent for participants under 14."""
    campaign = _campaign_or_404(request.user, pk)
    if not campaigns.responsible_for(request.user, campaign):
        raise Http404
    if request.method == "POST":
        p = campaign.participants.filter(pk=form_pk(request.POST.get("participant"))).first()
        if p is None:
            raise Http404
        try:
            campaigns.record_guardian_consent(request.user, p, request.POST.get("guardian_name", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("screening:campaign_participants", pk=pk)
    base = request.build_absolute_uri(reverse("screening:participant_start"))
    rows = []
    for p in campaign.participants.select_related("group"):
        svg = io.BytesIO()
        qrcode.make(f"{base}?code={p.code}", image_factory=qrcode.image.svg.SvgPathImage, box_size=6).save(svg)
        rows.append({"p": p, "qr": svg.getvalue().decode()})

    audit.record(request.user, audit.Action.EXPORT, obj=campaign, org_path=campaign.org_path, detail={"codes_sheet": len(rows)})
    return render(request, "screening/campaign_codes.html", {"c": campaign, "rows": rows, "start_url": base})


@login_required
def campaign_export(request, pk):
    """The positive list as Excel: de-identified unless ``identified=1`` with a ``purpose`` (both audited)."""
    campaign = _campaign_or_404(request.user, pk)
    identified = request.GET.get("identified") == "1"
    try:
        data = campaigns.export_positive_xlsx(request.user, campaign, identified=identified, purpose=request.GET.get("purpose", ""))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect("screening:campaign_detail", pk=pk)
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.pk}-positive{"-identified" if identified else ""}.xlsx"'
    return response


@login_required
@require_POST
def campaign_close(request, pk):
    campaign = _campaign_or_404(request.user, pk)
    try:
        campaigns.close_campaign(request.user, campaign)
    except PermissionDenied:
        raise Http404 from None
    return redirect("screening:campaign_detail", pk=pk)


# --- Participant pages (no login: the one-time code is the credential) ------------------------------------------

def _participant(request, code):
    """The participant of ``code``, or the page to show instead: wrong codes are counted per client address
    (``XINLI_RATE_CODE``), so that codes cannot be guessed by trying; a class typing its codes stays far below."""
    retry_after = ratelimit.exhausted("code", request)
    if retry_after:
        return None, ratelimit.too_many(request, retry_after)
    try:
        return campaigns.participant_for_code(code), None
    except ValidationError as exc:
        ratelimit.check("code", request)
        return None, render(request, "screening/participant_start.html", {"code": code, "error": " ".join(exc.messages)}, status=400)


def participant_start(request):
    code = (request.POST.get("code") or request.GET.get("code") or "").strip().upper()
    if code:
        participant, refused = _participant(request, code)
        return refused or redirect("screening:participant_form", code=code)
    return render(request, "screening/participant_start.html", {"code": code, "error": ""})


def participant_form(request, code):
    participant, refused = _participant(request, code)
    if refused:
        return refused
    lang = _lang()
    errors = []
    posted = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        responses = {s: {i.id: posted.get(f"{s}_{i.id}") for i in definitions.get(s).items if posted.get(f"{s}_{i.id}")}
                     for s in participant.campaign.scales}
        responses = {s: {k: v if parse_int(v) is None else parse_int(v) for k, v in a.items()} for s, a in responses.items()}
        try:
            created, _new = campaigns.submit(code, responses)
        except ValidationError as exc:
            errors = exc.messages
        else:
            urgent = any(a.critical or a.severity >= 3 for a in created)
            return render(request, "screening/participant_done.html", {"urgent": urgent})
    instruments = []
    for s in participant.campaign.scales:
        d = definitions.get(s)
        instruments.append({"code": s, "name": d.name(lang), "instructions": (d.raw.get("instructions") or {}).get(lang, ""),
                            "items": [{"id": i.id, "text": i.text.get(lang), "options": [
                                {"value": o.value, "label": o.label.get(lang), "checked": posted.get(f"{s}_{i.id}") == str(o.value)}
                                for o in i.options]} for i in d.items]})
    return render(request, "screening/participant_form.html", {"instruments": instruments, "errors": errors, "code": code,
                                                               "c": participant.campaign}, status=400 if errors else 200)



