from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from xinli.accounts.policy import INDICATORS_VIEW
from xinli.core import audit
from xinli.core.scoping import path_in_scope

from .models import Report


def request_report(actor, unit, year: int) -> Report:
    """Queue the annual summary of ``unit`` for ``year``; a task builds it (after the transaction commits)."""
    if not path_in_scope(actor, INDICATORS_VIEW, unit.path):
        raise PermissionDenied
    with transaction.atomic():
        report = Report.objects.create(org_unit=unit, org_path=unit.path, year=year, requested_by=actor)
        audit.record(actor, audit.Action.EXPORT, object_type="reports.report", object_id=str(report.pk), org_path=unit.path,
                     detail={"kind": "annual_summary", "year": year})
        from .tasks import build_report

        transaction.on_commit(lambda: build_report(report.pk))
    return report


def run(report_id: int) -> Report:
    from .annual import build

    report = Report.objects.get(pk=report_id)
    Report.objects.filter(pk=report_id).update(state=Report.State.RUNNING, progress=0)
    try:
        data = build(report.org_unit, report.year, progress=lambda p: Report.objects.filter(pk=report_id).update(progress=p))
    except Exception as exc:  # noqa: BLE001 — the failure is shown on the page
        Report.objects.filter(pk=report_id).update(state=Report.State.FAILED, error=f"{type(exc).__name__}: {exc}"[:300])
        raise
    Report.objects.filter(pk=report_id).update(state=Report.State.DONE, progress=100, content=data)
    report.refresh_from_db()
    return report
