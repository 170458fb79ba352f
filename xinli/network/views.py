"""The network's own pages: inspections, the workforce, the register export, and the public evaluation and feedback
pages. The coverage page (figures against targets, and what is missing where) reads the indicator registry, so it
lives in ``xinli.web`` (docs/network.md, "Pages")."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core.forms import form_pk
from xinli.core.i18n import bilingual
from xinli.core.ids import form_int, parse_year
from xinli.core.policy import NETWORK_MANAGE
from xinli.core.ratelimit import rate_limited
from xinli.core.scoping import has_capability, path_in_scope, scope_q
from xinli.regions import selectors as unit_selectors

from . import selectors, services


def public_evaluations(request):
    """Public (no login): the year's institution evaluation results (机构服务数量、质量等评价结果向社会公开). Only
    institution names, kinds and aggregate figures: no person."""
    from . import inspection

    today = timezone.localdate()
    year = parse_year(request.GET.get("year")) or today.year
    year = min(max(year, 2000), today.year)
    return render(request, "network/public_evaluations.html", {
        "rows": inspection.evaluations(year), "year": year, "years": list(range(today.year, today.year - 5, -1))})


@rate_limited("portal")
def feedback(request, site_id):
    """Public (no login): a short satisfaction survey after a visit to a site."""
    from django.core.exceptions import ValidationError

    from . import inspection
    from .models import Site

    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            score = form_int(request.POST.get("score"), 0)
        except ValueError:
            score = 0
        try:
            inspection.record_satisfaction(service="site", score=score, site=site, comment=request.POST.get("comment", ""))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return render(request, "network/feedback_done.html", {"site": site})
    return render(request, "network/feedback.html", {"site": site, "error": error, "scores": range(5, 0, -1)},
                  status=400 if error else 200)


@login_required
def export(request):
    """The register of the officer's area as Excel (audited)."""
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponse

    from .transfer import export_workbook

    try:
        data = export_workbook(request.user)
    except PermissionDenied:
        raise Http404 from None
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="network-register.xlsx"'
    return response


def _officer_units(user):
    if not has_capability(user, NETWORK_MANAGE):
        raise Http404
    return [u for u in unit_selectors.top_units(user) if path_in_scope(user, NETWORK_MANAGE, u.path)]


@login_required
def inspections_page(request):
    """Plans, recording an inspection against the checklist (with findings for failed items), and rectifications."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.shortcuts import redirect

    from . import inspection
    from .models import InspectionPlan, Rectification

    user = request.user
    units = _officer_units(user)

    plans = list(InspectionPlan.objects.filter(scope_q(user, NETWORK_MANAGE)).select_related("checklist").order_by("-start"))
    institutions = list(selectors.visible_institutions(user).filter(scope_q(user, NETWORK_MANAGE)).order_by("org_path", "name")[:500])
    if request.method == "POST":
        what = request.POST.get("do")
        try:
            if what == "plan":
                unit = next((u for u in units if str(u.pk) == request.POST.get("org_unit")), None)
                if unit is None:
                    raise ValidationError({"org_unit": [bilingual(_("Org unit: choose one of your units."))]})
                inspection.create_plan(user, name=request.POST.get("name", ""), org_unit=unit,
                                       start=datetime.date.fromisoformat(request.POST.get("start", "")),
                                       end=datetime.date.fromisoformat(request.POST.get("end", "")))
            elif what == "inspection":
                plan = next(p for p in plans if str(p.pk) == request.POST.get("plan"))
                inst = next(i for i in institutions if str(i.pk) == request.POST.get("institution"))
                results = {item["code"]: request.POST.get(f"item_{item['code']}", "") for item in plan.checklist.items}
                findings = [{"item": code, "severity": request.POST.get(f"severity_{code}", ""),
                             "description": request.POST.get(f"finding_{code}", ""),
                             "deadline": datetime.date.fromisoformat(request.POST.get(f"deadline_{code}") or "1900-01-01")}
                            for code, value in results.items() if value == "fail"]
                inspection.record_inspection(user, plan, inst, date=datetime.date.fromisoformat(request.POST.get("date", "")),
                                             results=results, findings=findings)
            elif what == "close":
                rect = Rectification.objects.filter(scope_q(user, NETWORK_MANAGE), pk=form_pk(request.POST.get("rectification"))).first()
                if rect is None:
                    raise Http404
                inspection.close_rectification(user, rect, evidence=request.POST.get("evidence", ""))
            messages.success(request, bilingual(_("Saved.")))
        except (ValueError, StopIteration):
            messages.error(request, bilingual(_("Form: check the dates (YYYY-MM-DD) and the choices.")))
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        except PermissionDenied:
            raise Http404 from None
        return redirect("network:inspections")
    today = timezone.localdate()
    rects = list(Rectification.objects.filter(scope_q(user, NETWORK_MANAGE), state="open").select_related("finding__inspection__institution").order_by("deadline"))
    return render(request, "network/inspections.html", {"plans": plans, "institutions": institutions, "units": units,
                                                        "rectifications": rects, "today": today,
                                                        "severities": [("minor", _("minor")), ("major", _("major")), ("critical", _("critical"))]})


@login_required
def workforce_page(request):
    """The talent database with compliance flags, training courses and attendance, volunteers and their hours."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.shortcuts import redirect

    from . import rules
    from .models import Course, Profession, Volunteer

    user = request.user
    units = _officer_units(user)
    if request.method == "POST":
        what = request.POST.get("do")
        try:
            if what == "course":
                unit = next(u for u in units if str(u.pk) == request.POST.get("org_unit"))
                services.create_course(user, org_unit=unit, title=request.POST.get("title", ""), provider=request.POST.get("provider", ""),
                                       hours=request.POST.get("hours") or None)
            elif what == "attendance":
                course = Course.objects.filter(scope_q(user, NETWORK_MANAGE), pk=form_pk(request.POST.get("course"))).first()
                staff = selectors.visible_staff(user).filter(pk=form_pk(request.POST.get("staff"))).first()
                if course is None or staff is None:
                    raise Http404
                services.record_attendance(user, course, staff, date=datetime.date.fromisoformat(request.POST.get("date", "")))
            elif what == "volunteer":
                unit = next(u for u in units if str(u.pk) == request.POST.get("org_unit"))
                services.create_volunteer(user, org_unit=unit, name=request.POST.get("name", ""),
                                          recruited_on=datetime.date.fromisoformat(request.POST.get("recruited_on", "")),
                                          trained=request.POST.get("trained") == "on")
            elif what == "hours":
                volunteer = Volunteer.objects.filter(scope_q(user, NETWORK_MANAGE), pk=form_pk(request.POST.get("volunteer"))).first()
                if volunteer is None:
                    raise Http404
                services.log_volunteer_service(user, volunteer, date=datetime.date.fromisoformat(request.POST.get("date", "")),
                                               hours=request.POST.get("hours") or None, activity=request.POST.get("activity", ""))
            messages.success(request, bilingual(_("Saved.")))
        except (ValueError, StopIteration):
            messages.error(request, bilingual(_("Form: check the dates (YYYY-MM-DD) and the choices.")))
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        except PermissionDenied:
            raise Http404 from None
        return redirect("network:workforce")
    today = timezone.localdate()
    staff = list(selectors.visible_staff(user).order_by("org_path", "pk")[:300])
    selectors.record_staff_listing(user, staff)
    rows = [(s, rules.counsellor_problems(s, today) if s.profession == Profession.COUNSELLOR else None) for s in staff]
    courses = list(Course.objects.filter(scope_q(user, NETWORK_MANAGE)).order_by("-pk")[:50])
    volunteers = list(Volunteer.objects.filter(scope_q(user, NETWORK_MANAGE)).prefetch_related("services").order_by("-pk")[:200])
    return render(request, "network/workforce.html", {"rows": rows, "courses": courses, "volunteers": volunteers, "units": units,
                                                      "trained": [(u, *services.training_coverage(u, today.year)) for u in units]})
