from __future__ import annotations

import errno
import logging
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core import audit
from xinli.core.i18n import bilingual
from xinli.core.policy import INDICATORS_VIEW
from xinli.core.scoping import path_in_scope

from .models import Report

log = logging.getLogger("xinli.reports")

KINDS = ("annual_summary", "pilot_report")


# Two identical requests (same user, kind, unit and year) within this window are one request: a double click or a
# retried POST returns the report already queued, running or built instead of building the document again.
SAME_REQUEST_WINDOW = timedelta(seconds=60)


def request_report(actor, unit, year: int, kind: str = "annual_summary") -> Report:
    """Queue a document (the annual summary or the pilot report) of ``unit`` for ``year``; a task builds it after the
    transaction commits. The same request again within ``SAME_REQUEST_WINDOW`` returns the existing report (not a
    failed one), and writes nothing."""
    from django.contrib.auth import get_user_model

    if kind not in KINDS:
        raise PermissionDenied
    if not path_in_scope(actor, INDICATORS_VIEW, unit.path):
        raise PermissionDenied
    with transaction.atomic():
        # One request of a user at a time (the row lock serialises two concurrent POSTs on PostgreSQL; SQLite
        # serialises writers anyway), so the second sees the first's report.
        get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
        existing = (Report.objects.filter(requested_by=actor, kind=kind, org_unit=unit, year=year,
                                          requested_at__gte=timezone.now() - SAME_REQUEST_WINDOW)
                    .exclude(state=Report.State.FAILED).defer("content").order_by("-requested_at").first())
        if existing is not None:
            return existing
        report = Report.objects.create(kind=kind, org_unit=unit, org_path=unit.path, year=year, requested_by=actor)
        audit.record(actor, audit.Action.EXPORT, object_type="reports.report", object_id=str(report.pk), org_path=unit.path,
                     detail={"kind": kind, "year": year})
        transaction.on_commit(lambda: enqueue_build(report.pk))
    return report


def enqueue_build(report_id: int) -> None:
    """Queue the build task. If the queue (Redis) is down, the request that asked for the report still succeeds:
    the report stays ``queued`` and ``requeue_stuck_reports`` queues it again once the queue is back."""
    from .tasks import build_report

    try:
        build_report(report_id)
    except Exception:  # noqa: BLE001 — the queue being down must not fail the committed request
        log.exception("could not queue report %s; it stays queued and is queued again by the periodic sweep", report_id)


def requeue_stuck(older_than: timedelta = timedelta(minutes=2), limit: int = 200,
                  running_for: timedelta = timedelta(minutes=30)) -> int:
    """Queue again the reports still ``queued`` some minutes after they were requested (their task was never queued,
    or was lost with the queue), and those still ``running`` long after their build was claimed (the worker building
    them was killed: Huey does not re-run a task whose worker died; a build takes seconds). Queuing one twice is
    harmless: ``run`` builds only a report it claims."""
    now = timezone.now()
    # Judged by when the build started: a report claimed late (it waited in a queue that was down) is not stuck.
    Report.objects.filter(Q(started_at__lte=now - running_for) | Q(started_at__isnull=True, requested_at__lte=now - running_for),
                          state=Report.State.RUNNING).update(state=Report.State.QUEUED, progress=0)
    cutoff = now - older_than
    ids = list(Report.objects.filter(state=Report.State.QUEUED, requested_at__lte=cutoff)
               .order_by("requested_at").values_list("pk", flat=True)[:limit])
    for pk in ids:
        enqueue_build(pk)
    return len(ids)


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) means that the disk is full: ENOSPC from the operating
    system, PostgreSQL's disk_full (SQLSTATE 53100) or SQLite's "database or disk is full"."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        if getattr(exc, "pgcode", None) == "53100" or getattr(getattr(exc, "diag", None), "sqlstate", None) == "53100":
            return True
        if "disk is full" in str(exc) or "No space left on device" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def failure_message(exc: BaseException) -> str:
    if disk_full(exc):
        return bilingual(_("Report: the server's disk is full, so the document was not saved; free disk space on the "
                           "database server, then request the report again."))
    return bilingual(_("Report: generation failed ({error}); request the report again, and tell the administrator if "
                       "it fails again."), error=type(exc).__name__)[:300]


def run(report_id: int) -> Report:
    """Build a queued report and store the document. Only a report this call claims (queued → running, a
    conditional UPDATE) is built, so a report queued twice is built once. The document is stored by one UPDATE
    together with the state ``done``: a failure at any point (including a full disk while storing it) leaves no
    partial document, and the report is marked ``failed`` with a bilingual message."""
    from . import annual, pilot

    if Report.objects.filter(pk=report_id, state=Report.State.QUEUED).update(
            state=Report.State.RUNNING, progress=0, started_at=timezone.now()) != 1:
        return Report.objects.get(pk=report_id)  # already built, being built, or failed
    report = Report.objects.get(pk=report_id)
    build = pilot.build if report.kind == "pilot_report" else annual.build
    try:
        data = build(report.org_unit, report.year, progress=lambda p: Report.objects.filter(pk=report_id).update(progress=p))
        Report.objects.filter(pk=report_id).update(state=Report.State.DONE, progress=100, content=data, error="")
    except Exception as exc:  # noqa: BLE001 — the failure is shown on the page
        log.exception("report %s failed", report_id)
        try:
            Report.objects.filter(pk=report_id).update(state=Report.State.FAILED, content=None, error=failure_message(exc))
        except Exception:  # noqa: BLE001 — the database itself refuses writes; the original error is raised below
            log.exception("could not mark report %s failed", report_id)
        raise
    report.refresh_from_db()
    return report
