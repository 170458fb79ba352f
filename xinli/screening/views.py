"""Staff pages: administer an instrument to a person in the archive and review the result."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from xinli.archives import selectors as person_selectors
from xinli.archives.models import Person
from xinli.core.i18n import bilingual
from xinli.core.ids import parse_int
from xinli.core.policy import SCREENING_ADMINISTER
from xinli.core.scoping import path_in_scope
from xinli.scales import definitions

from . import selectors, services
from .models import Assessment


def _lang() -> str:
    return "en" if (translation.get_language() or "").startswith("en") else "zh-hans"


def _instruments():
    lang = _lang()
    return [(code, f"{d.raw.get('short_name', code)} — {d.name(lang)}") for code, d in sorted(definitions.registry().items())
            if not d.raw.get("restricted")]


@login_required
def administer(request, pk):
    """Pick an instrument, answer every item with the person, save: the result page opens."""
    try:
        person = person_selectors.get_person(request.user, pk, purpose="screening")
    except Person.DoesNotExist:
        raise Http404 from None
    if not path_in_scope(request.user, SCREENING_ADMINISTER, person.org_path):
        raise Http404
    code = request.GET.get("scale") or request.POST.get("scale") or ""
    definition = definitions.registry().get(code)
    errors = {}
    given = {}
    if request.method == "POST" and definition is not None:
        given = {item.id: request.POST.get(f"item_{item.id}", "") for item in definition.items}
        answers = {k: (v if parse_int(v) is None else parse_int(v)) for k, v in given.items() if v != ""}
        try:
            assessment, _created = services.administer(request.user, scale=code, answers=answers, person=person,
                                                       idempotency_key=request.POST.get("idempotency_key") or None)
        except ValidationError as exc:
            errors = exc.message_dict
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, bilingual(_("Assessment saved.")))
            return redirect("screening:assessment_detail", pk=assessment.pk)
    import uuid

    lang = _lang()
    items = [{"id": i.id, "text": i.text.get(lang), "missing": bool(errors) and not given.get(i.id), "options": [
        {"value": o.value, "label": o.label.get(lang), "checked": given.get(i.id) == str(o.value)} for o in i.options]}
        for i in definition.items] if definition else []
    first_missing = next((i["id"] for i in items if i["missing"]), None)
    return render(request, "screening/administer.html", {
        "person": person, "instruments": _instruments(), "code": code, "items": items, "errors": errors,
        "first_missing": first_missing,
        "licence": definition.raw["licence"].get(lang) if definition else "",
        "idempotency_key": request.POST.get("idempotency_key") or uuid.uuid4().hex,
    }, status=400 if errors else 200)


def _result_context(assessment) -> dict:
    d = definitions.get(assessment.scale)
    lang = _lang()
    answers = assessment.answers
    rows = []
    for item in d.items:
        value = answers.get(item.id)
        label = next((o.label.get(lang) for o in item.options if o.value == value), "—")
        rows.append({"id": item.id, "text": item.text.get(lang), "value": value, "label": label,
                     "critical": item.id in assessment.critical_items})
    band = next((b for b in list(d.bands) + [x for bl in d.bands_by_sex.values() for x in bl] + list(d.band_rules)
                 if b.code == assessment.band), None)
    return {
        "a": assessment, "d": d, "lang": lang, "rows": rows, "band_label": band.label.get(lang) if band else assessment.band,
        "advice": band.advice.get(lang) if band else "", "name": d.name(lang), "licence": d.raw["licence"].get(lang),
        "hotline": "12356",
    }


def _assessment_or_404(user, pk) -> Assessment:
    try:
        return selectors.get_assessment(user, pk)
    except Assessment.DoesNotExist:
        raise Http404 from None


@login_required
def assessment_detail(request, pk):
    from xinli.alerts.selectors import alert_for_assessment

    assessment = _assessment_or_404(request.user, pk)
    alert, alert_visible = alert_for_assessment(request.user, assessment)
    return render(request, "screening/assessment_detail.html",
                  {**_result_context(assessment), "alert": alert, "alert_visible": alert_visible})


@login_required
def assessment_report(request, pk):
    """The personal report as a PDF, for printing or handing to the person."""
    from django.http import HttpResponse

    from xinli.core import audit

    from .reports import report_pdf

    assessment = _assessment_or_404(request.user, pk)
    data = report_pdf(_result_context(assessment))
    # The person's own report, handed to them: identified by purpose, so each download is an audited export.
    audit.record(request.user, audit.Action.EXPORT, obj=assessment, person=assessment.person,
                 detail={"format": "pdf", "identified": True})
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="assessment-{assessment.pk}.pdf"'
    return response
