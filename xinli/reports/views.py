from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core.ids import parse_year
from xinli.core.policy import INDICATORS_VIEW
from xinli.core.scoping import has_capability, path_in_scope, scope_q
from xinli.regions import selectors as unit_selectors
from xinli.regions.models import OrgUnit

from . import services
from .models import Report


@login_required
def reports(request):
    user = request.user
    if not has_capability(user, INDICATORS_VIEW):
        raise Http404
    if request.method == "POST":
        unit = OrgUnit.objects.filter(code=request.POST.get("org", "")).first()
        year = parse_year(request.POST.get("year"))
        if unit is None or not path_in_scope(user, INDICATORS_VIEW, unit.path):
            raise Http404
        if year is None or not 2000 <= year <= timezone.localdate().year:
            from django.contrib import messages

            from xinli.core.i18n import bilingual

            messages.error(request, bilingual(_("Year: a year from 2000 to this year, e.g. {year}."), year=timezone.localdate().year))
            return redirect("reports:list")
        try:
            services.request_report(user, unit, year, kind=request.POST.get("kind", "annual_summary"))
        except DatabaseError as exc:
            if not services.disk_full(exc):
                raise
            from django.contrib import messages

            messages.error(request, services.failure_message(exc))  # the request was not recorded (nothing written)
        return redirect("reports:list")

    units = [u for u in unit_selectors.top_units(user) if path_in_scope(user, INDICATORS_VIEW, u.path)]
    items = Report.objects.filter(scope_q(user, INDICATORS_VIEW)).select_related("org_unit").defer("content")[:50]
    return render(request, "reports/list.html", {"reports": items, "units": units, "year": timezone.localdate().year,
                                                 "running": any(r.state in ("queued", "running") for r in items)})


@login_required
def download(request, pk):
    report = Report.objects.filter(scope_q(request.user, INDICATORS_VIEW), pk=pk, state=Report.State.DONE).first()
    if report is None:
        raise Http404
    response = HttpResponse(bytes(report.content), content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response["Content-Disposition"] = f'attachment; filename="{report.kind}-{report.org_unit.code}-{report.year}.docx"'
    return response
