from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from xinli.accounts.policy import INDICATORS_VIEW
from xinli.core import audit
from xinli.core.scoping import path_in_scope

from .models import Report

KINDS = ("annual_summary", "pilot_report")


def request_report(actor, unit, year: int, kind: str = "annual_summary") -> Report:
    """Queue a document (the annual summary or the pilot report) of ``unit`` for ``year``; a task builds it after the
    transaction commits."""
    if kind not in KINDS:
        raise PermissionDenied
    if not path_in_scope(actor, INDICATORS_VIEW, unit.path):
        raise PermissionDenied
    with transaction.atomic():
        report = Report.objects.create(kind=kind, org_unit=unit, org_path=unit.path, year=year, requested_by=actor)
        audit.record(actor, audit.Action.EXPORT, object_type="reports.report", object_id=str(report.pk), org_path=unit.path,
                     detail={"kind": kind, "year": year})
        from .tasks import build_report

        transaction.on_commit(lambda: build_report(report.pk))
    return report


def run(report_id: int) -> Report:
    from . import annual, pilot

    report = Report.objects.get(pk=report_id)
    build = pilot.build if report.kind == "pilot_report" else annual.build
    Report.objects.filter(pk=report_id).update(state=Report.State.RUNNING, progress=0)
    try:
        data = build(report.org_unit, report.year, progress=lambda p: Report.objects.filter(pk=report_id).update(progress=p))
    except Exception as exc:  # noqa: BLE001 — the failure is shown on the page
        Report.objects.filter(pk=report_id).update(state=Report.State.FAILED, error=f"{type(exc).__name__}: {exc}"[:300])
        raise
    Report.objects.filter(pk=report_id).update(state=Report.State.DONE, progress=100, content=data)
    report.refresh_from_db()
    return report
