"""Import pages: history, new import (upload, kind, strategy, dry run), one import with its progress and report."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from xinli.core import xlsx
from xinli.core.i18n import bilingual
from xinli.core.policy import IMPORTS_RUN
from xinli.core.scoping import has_capability, scope_q

from . import services, tasks
from .models import ImportJob, Kind, Strategy


def _require(user):
    if not has_capability(user, IMPORTS_RUN):
        raise Http404


def _job(user, pk) -> ImportJob:
    _require(user)
    job = ImportJob.objects.filter(scope_q(user, IMPORTS_RUN), pk=pk).select_related("created_by", "org_unit").first()
    if job is None:
        raise Http404
    return job


@login_required
def history(request):
    _require(request.user)
    jobs = ImportJob.objects.filter(scope_q(request.user, IMPORTS_RUN)).select_related("created_by", "org_unit")[:100]
    return render(request, "imports/list.html", {"jobs": jobs})


STRATEGY_HELP = {
    Strategy.CREATE: _("register the records not yet in the archive; a row that matches an existing record is reported and changes nothing."),
    Strategy.UPDATE: _("update records already in the archive (matched by the source id or the ID number); a row that matches none is reported."),
    Strategy.UPSERT: _("register what is new and update what exists."),
}


@login_required
def new(request):
    user = request.user
    _require(user)
    units = services.importer_units(user)
    if request.method == "POST":
        upload = request.FILES.get("file")
        unit = next((u for u in units if str(u.pk) == request.POST.get("org_unit")), units[0] if units else None)
        try:
            if upload is None:
                raise ValidationError({"file": [bilingual(_("File: choose a CSV or Excel (.xlsx) file to import."))]})
            if not upload.name.lower().endswith((".csv", ".xlsx")):
                raise ValidationError({"file": [bilingual(_("File: only CSV and Excel (.xlsx) files can be imported; save the sheet in one of these formats."))]})
            path, digest, _size = services.store_file(upload.name, upload.chunks())
            job = services.create_job(user, kind=request.POST.get("kind", ""), strategy=request.POST.get("strategy", ""),
                                      dry_run=bool(request.POST.get("dry_run")), file_name=upload.name, path=path,
                                      digest=digest, unit=unit)
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
            return redirect("imports:new")
        except PermissionDenied:
            raise Http404 from None
        tasks.run_import(job.pk)
        return redirect("imports:detail", job.pk)
    return render(request, "imports/new.html", {"units": units, "kinds": [(k, label) for k, label in Kind.choices if k in services.kinds()], "strategies": [(v, label, STRATEGY_HELP[v]) for v, label in Strategy.choices]})


@login_required
def template(request, kind):
    _require(request.user)
    if kind not in services.kinds():
        raise Http404
    if request.GET.get("format") == "csv":
        response = HttpResponse(services.template_csv(kind), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{kind}.csv"'
        return response
    return xlsx.response(services.template_workbook(kind), f"import-{kind}.xlsx")


@login_required
def detail(request, pk):
    job = _job(request.user, pk)
    from django.utils.translation import get_language

    english = (get_language() or "").startswith("en")
    columns = {c.key: (c.key if english else c.zh) for c in services.kinds()[job.kind].columns}
    problems = list(job.problems.all()[:500])
    for p in problems:
        p.column_label = columns.get(p.column, "" if not english else p.column)
    return render(request, "imports/detail.html", {"job": job, "problems": problems,
                                                   "running": job.state in ("queued", "running")})


@login_required
def progress(request, pk):
    job = _job(request.user, pk)
    rate = job.rate()
    return JsonResponse({"state": job.state, "rows_done": job.rows_done, "rows_total": job.rows_total,
                         "percent": job.percent(), "rows_per_second": round(rate, 1) if rate else None,
                         "seconds_left": job.seconds_left(), "created": job.created, "updated": job.updated,
                         "unchanged": job.unchanged, "refused": job.refused})


@login_required
def report(request, pk):
    job = _job(request.user, pk)
    return xlsx.response(services.report_workbook(job), f"import-{job.pk}-report.xlsx")


@login_required
@require_POST
def run_for_real(request, pk):
    """After a dry run: import the same file (same kind and strategy) for real."""
    job = _job(request.user, pk)
    if not job.dry_run or job.state != ImportJob.State.DONE:
        raise Http404
    real = services.create_job(request.user, kind=job.kind, strategy=job.strategy, dry_run=False, file_name=job.file_name,
                               path=services.Path(job.file_path), digest=job.digest, unit=job.org_unit)
    tasks.run_import(real.pk)
    return redirect("imports:detail", real.pk)
