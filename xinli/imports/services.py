"""Bulk import (issue 17 part 1): one mechanism for every kind.

A job reads its file as a stream (``csv`` or ``openpyxl`` read-only), in batches of ``BATCH`` rows. Each batch runs
in one transaction that also saves the checkpoint (``rows_done``), the counts and the rows' problems, so a killed run
resumes after the last committed batch with no duplicate and exact counts. Every row goes through the domain
services (archives, smd), which check the actor's scope, validate, encrypt, compute blind indexes and audit. A dry run
does the same work and rolls each batch back: only the report (problems and counts) is kept.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, JSONField, Value
from django.db.models.expressions import CombinedExpression
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl.utils.exceptions import InvalidFileException

from xinli.core import audit, xlsx
from xinli.core.i18n import bilingual, in_language
from xinli.core.policy import IMPORTS_RUN
from xinli.core.scoping import has_capability, path_in_scope
from xinli.core.uploads import workbook_problem
from xinli.regions.models import OrgUnit

from . import worker
from .models import ImportJob, ImportRow, Strategy

# Rows per transaction: 2,000 measured 13 % faster than 500 on a 100,000-row import (fewer look-ups, COPYs and
# commits per row; bench/BENCHMARKS.md), 5,000 no faster. A killed run redoes at most one batch.
BATCH = 2000
# What a damaged file raises while it is read (not a row's problem): the job fails with one clear message.
UNREADABLE = (UnicodeDecodeError, csv.Error, zipfile.BadZipFile, KeyError, EOFError, OSError, InvalidFileException)
MAX_BYTES = 512 * 1024 * 1024

# Test hook: called after each committed batch with the job (a test raises here to simulate a killed worker).
after_batch: Callable[[ImportJob], None] | None = None


class RowProblems(Exception):
    """The problems of one row: [(column key, bilingual message)]."""

    def __init__(self, problems):
        super().__init__(problems)
        self.problems = problems


class _Rollback(Exception):
    pass


@dataclass
class Column:
    key: str
    zh: str
    example: str
    required: bool = False
    forbidden: object = None  # a column the kind refuses (its bilingual message); never in the template

    @property
    def header(self) -> str:
        return f"{self.zh} {self.key}"


@dataclass
class Context:
    actor: object
    job: ImportJob
    units: dict = field(default_factory=dict)
    created_ids: list = field(default_factory=list)
    reviews: list = field(default_factory=list)
    prepared: dict = field(default_factory=dict)  # {line: kind.prepare's result}, from the worker process

    def unit(self, code: str, column: str = "org_unit_code") -> OrgUnit:
        if not code:
            raise RowProblems([(column, bilingual(_("Residence org unit code: required; enter the 12-digit code of the village or community.")))])
        if code not in self.units:
            self.units[code] = OrgUnit.objects.filter(code=code, valid_to__isnull=True).first()
        unit = self.units[code]
        if unit is None or not path_in_scope(self.actor, IMPORTS_RUN, unit.path) or not unit.path.startswith(self.job.org_path):
            raise RowProblems([(column, bilingual(_("Residence org unit code: {code} is not a unit of your area; enter the code of a village or community you import for."), code=code))])
        return unit


def kinds():
    from . import kinds as k

    return k.KINDS


# ---------------------------------------------------------------- reading


def text(value) -> str:
    """A cell as text, trimmed. NUL characters (which no text column can hold, and no spreadsheet shows) are dropped,
    so a cell carrying one is read as the text around it and checked like any other."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\x00", "").strip()


def parse_date(value, column: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    s = text(value).replace("/", "-").replace(".", "-")
    if re.fullmatch(r"\d{8}", s):
        s = f"{s[:4]}-{s[4:6]}-{s[6:]}"
    try:
        return datetime.date.fromisoformat(s)
    except ValueError:
        raise RowProblems([(column, bilingual(_("Date: '{value}' is not a date; write it as YYYY-MM-DD, e.g. 1980-05-01."), value=s[:20]))]) from None


def split_list(value) -> list[str]:
    return [p.strip() for p in re.split(r"[、,，;；]", text(value)) if p.strip()]


def _is_xlsx(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"PK"


def _raw_rows(path: Path) -> Iterator[list]:
    if _is_xlsx(path):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            yield from (list(r) for r in wb.worksheets[0].iter_rows(values_only=True))
        finally:
            wb.close()
    else:
        with open(path, encoding="utf-8-sig", newline="") as f:
            yield from csv.reader(f)


def count_rows(path: Path) -> int:
    """Data rows in the file (without the header); cheap for CSV, the sheet's dimension for Excel."""
    if _is_xlsx(path):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        try:
            return max((wb.worksheets[0].max_row or 1) - 1, 0)
        finally:
            wb.close()
    with open(path, encoding="utf-8-sig", newline="") as f:
        return max(sum(1 for _row in csv.reader(f)) - 1, 0)


def header_keys(header: list, columns: list[Column]) -> list[str | None]:
    """Map header cells (``姓名 name``, ``姓名`` or ``name``) to column keys."""
    out = []
    for cell in header:
        cell = text(cell)
        found = None
        for c in columns:
            if cell in (c.key, c.zh, c.header) or cell.split()[-1:] == [c.key] or cell.split()[:1] == [c.zh]:
                found = c.key
                break
        out.append(found)
    return out


def rows(path: Path, columns: list[Column]) -> Iterator[tuple[int, dict]]:
    """(line, {key: value}) for each data row; line 1 is the header. Raises RowProblems for a bad header."""
    it = _raw_rows(path)
    header = next(it, None) or []
    keys = header_keys(header, columns)
    missing = [c for c in columns if c.required and c.key not in keys]
    if missing:
        raise RowProblems([(c.key, bilingual(_("Header: column '{column}' is missing; start from the downloaded template."), column=c.header))
                           for c in missing])
    forbidden = [c for c in columns if c.forbidden and c.key in keys]
    if forbidden:
        raise RowProblems([(c.key, bilingual(c.forbidden, column=c.header)) for c in forbidden])
    for line, values in enumerate(it, start=2):
        yield line, {k: v for k, v in zip(keys, values, strict=False) if k is not None}


# ---------------------------------------------------------------- templates and reports


def template_columns(kind: str) -> list[Column]:
    return [c for c in kinds()[kind].columns if not c.forbidden]


def template_workbook(kind: str) -> bytes:
    columns = template_columns(kind)
    return xlsx.workbook([(kind, [c.header for c in columns], [[c.example for c in columns]])])


def template_csv(kind: str) -> bytes:
    columns = template_columns(kind)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([c.header for c in columns])
    w.writerow([c.example for c in columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def column_header(kind: str, key: str) -> str:
    for c in kinds()[kind].columns:
        if c.key == key:
            return c.header
    return key


def report_workbook(job: ImportJob) -> bytes:
    def lines():
        for p in job.problems.all().iterator():
            yield [p.line, column_header(job.kind, p.column) if p.column else "", in_language(p.message, "zh-hans"),
                   in_language(p.message, "en")]

    return xlsx.workbook([("report", ["行号 line", "列 column", "问题与修改方法", "problem and fix"], lines())])


# ---------------------------------------------------------------- jobs


def importer_units(user) -> list[OrgUnit]:
    from xinli.regions import selectors as unit_selectors

    return [u for u in unit_selectors.top_units(user) if path_in_scope(user, IMPORTS_RUN, u.path)]


def store_file(name: str, chunks) -> tuple[Path, str, int]:
    """Write an uploaded file under var/imports/ by its SHA-256 digest; returns (path, digest, size)."""
    folder = Path(settings.VAR_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    tmp = folder / f".upload-{timezone.now().timestamp()}"
    size = 0
    with open(tmp, "wb") as f:
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_BYTES:
                f.close()
                tmp.unlink()
                raise ValidationError({"file": [bilingual(_("File: larger than 512 MB; split it into several files."))]})
            h.update(chunk)
            f.write(chunk)
    digest = h.hexdigest()
    suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    path = folder / f"{digest}{suffix}"
    tmp.replace(path)
    return path, digest, size


def create_job(actor, *, kind: str, strategy: str, dry_run: bool, file_name: str, path: Path, digest: str,
               unit: OrgUnit | None = None) -> ImportJob:
    """Record an import (audited). Who may call: holders of ``imports.run``."""
    if not has_capability(actor, IMPORTS_RUN):
        raise PermissionDenied
    if kind not in kinds():
        raise ValidationError({"kind": [bilingual(_("Kind: unknown; pick one of the listed kinds."))]})
    if strategy not in Strategy.values:
        raise ValidationError({"strategy": [bilingual(_("Strategy: unknown; pick create only, update only or create and update."))]})
    units = importer_units(actor)
    if unit is None:
        unit = units[0] if units else None
    if unit is None or not path_in_scope(actor, IMPORTS_RUN, unit.path):
        raise PermissionDenied
    with transaction.atomic():
        job = ImportJob.objects.create(kind=kind, strategy=strategy, dry_run=dry_run, file_name=file_name[:200],
                                       file_path=str(path), digest=digest, org_unit=unit, org_path=unit.path,
                                       created_by=actor if getattr(actor, "pk", None) else None)
        audit.record(actor, audit.Action.CREATE, obj=job, org_path=job.org_path,
                     detail={"kind": kind, "strategy": strategy, "dry_run": dry_run, "digest": digest})
    return job


def created_person_ids(job: ImportJob) -> list[int]:
    """The persons this import created (for ``xinli.archives.duplicates.flag_possible_duplicates``)."""
    job.refresh_from_db(fields=["created_person_ids"])
    return list(job.created_person_ids)


def _problem_rows(job, line, exc) -> list[ImportRow]:
    if isinstance(exc, RowProblems):
        return [ImportRow(job=job, line=line, column=c, message=m) for c, m in exc.problems]
    if isinstance(exc, PermissionDenied):
        return [ImportRow(job=job, line=line, column="org_unit_code",
                          message=bilingual(_("Row: the record is outside your area; import it from the unit responsible for it.")))]
    if hasattr(exc, "error_dict"):
        kind = kinds()[job.kind]
        return [ImportRow(job=job, line=line, column=kind.field_columns.get(k, k if k != "__all__" else ""), message=" ".join(v))
                for k, v in exc.message_dict.items()]
    return [ImportRow(job=job, line=line, column="", message=" ".join(exc.messages))]


def _groups(kind, batch):
    """Consecutive rows that are imported together (one savepoint): a patient with their follow-ups."""
    group: list[tuple[int, dict]] = []
    for line, row in batch:
        if row.get("__blank__"):
            continue
        if group and (kind.group is None or kind.group(row) != kind.group(group[-1][1])):
            yield group
            group = []
        group.append((line, row))
    if group:
        yield group


def _run_batch(ctx: Context, batch: list[tuple[int, dict]]) -> tuple[dict, list[ImportRow]]:
    from xinli.archives.services import review_request_of

    kind = kinds()[ctx.job.kind]
    counts = {"created": 0, "updated": 0, "unchanged": 0, "refused": 0}
    problems: list[ImportRow] = []
    groups = list(_groups(kind, batch))
    done: dict = {}
    if kind.bulk is not None:
        mark = len(ctx.created_ids)
        try:
            with transaction.atomic():
                done = kind.bulk(ctx, groups)
        except (ValidationError, IntegrityError):
            del ctx.created_ids[mark:]
            done = {}  # a concurrent registration: every row of the batch goes the row-by-row way
    for gi, group in enumerate(groups):
        line, mark = group[0][0], len(ctx.created_ids)
        try:
            if gi in done:
                if isinstance(done[gi], Exception):
                    raise done[gi]
                counts[done[gi]] += 1
                continue
            with transaction.atomic():
                outcome = kind.handle(ctx, group)
            counts[outcome] += 1
        except (ValueError, TypeError, OverflowError) as exc:
            del ctx.created_ids[mark:]
            counts["refused"] += 1
            problems.append(ImportRow(job=ctx.job, line=line, column="",
                                      message=bilingual(_("Row: a value has the wrong form ({error}); compare the row with the template's example."), error=str(exc)[:80])))
        except (RowProblems, ValidationError, PermissionDenied) as exc:
            if isinstance(exc, ValidationError) and review_request_of(exc) is not None:
                ctx.reviews.append(review_request_of(exc))
            del ctx.created_ids[mark:]  # rolled back with the row's savepoint
            counts["refused"] += 1
            problems += _problem_rows(ctx.job, getattr(exc, "line", None) or line, exc)
    return counts, problems


class Superseded(Exception):
    """Another worker has moved the checkpoint on (the job was resumed twice): this run stops, its batch rolled back."""


def _save_progress(job: ImportJob, counts: dict, problems: list[ImportRow], start: int, rows: int, created_ids: list[int]) -> None:
    # The checkpoint moves only from where this run found it: two runs of one job never both count a batch.
    moved = ImportJob.objects.filter(pk=job.pk, rows_done=start).update(
        rows_done=start + rows, progress_at=timezone.now(), **{k: F(k) + v for k, v in counts.items()})
    if moved != 1:
        raise Superseded
    ImportRow.objects.bulk_create(problems)
    if created_ids and connection.vendor == "postgresql":
        # Appended in the database (jsonb ||): reading and rewriting the whole list in Python each batch made a
        # million-row import quadratic.
        ImportJob.objects.filter(pk=job.pk).update(created_person_ids=CombinedExpression(
            F("created_person_ids"), "||", Value(created_ids, output_field=JSONField()), output_field=JSONField()))
    elif created_ids:
        job.refresh_from_db(fields=["created_person_ids"])
        ImportJob.objects.filter(pk=job.pk).update(created_person_ids=job.created_person_ids + created_ids)


def run(job_id: int, *, batch_size: int = BATCH) -> ImportJob:
    """Run (or resume after the checkpoint) an import job."""
    from xinli.archives.services import record_review_requests

    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.state == ImportJob.State.DONE:
        return job
    actor = job.created_by
    path = Path(job.file_path)
    now = timezone.now()
    problem = workbook_problem(path) if path.exists() and _is_xlsx(path) else None
    try:
        total = None if problem else (job.rows_total if job.rows_total is not None else count_rows(path))
    except UNREADABLE:
        problem = FILE_UNREADABLE
    if problem or not path.exists():
        return _fail(job, problem or FILE_UNREADABLE)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING, started_at=job.started_at or now,
                                               rows_total=total)
    job.refresh_from_db()
    kind = kinds()[job.kind]
    skip = job.rows_done
    prefetch = None
    if kind.prepare is not None and total is not None:
        prefetch = worker.start(batches(path, kind, skip, batch_size), kind.prepare, total - skip, batch_size)
    try:
        def flush(batch, start):
            ctx = Context(actor, job, prepared=prefetch.take(start) if prefetch is not None else {})
            try:
                with transaction.atomic():
                    _commit_without_flush_wait()
                    counts, problems = _run_batch(ctx, batch)
                    if job.dry_run:
                        raise _Rollback
                    _save_progress(job, counts, problems, start, len(batch), ctx.created_ids)
            except _Rollback:
                with transaction.atomic():
                    _save_progress(job, counts, problems, start, len(batch), [])
            finally:
                record_review_requests([] if job.dry_run else ctx.reviews)
            _refresh_statistics(start - skip, start + len(batch) - skip)
            if after_batch is not None:
                after_batch(job)

        for start, batch in batches(path, kind, skip, batch_size):
            flush(batch, start)
    except Superseded:
        job.refresh_from_db()
        return job
    except RowProblems as exc:  # the header
        with transaction.atomic():
            ImportRow.objects.bulk_create(_problem_rows(job, 1, exc))
            ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.FAILED, finished_at=timezone.now(),
                                                       error=exc.problems[0][1][:300])
        job.refresh_from_db()
        return job
    except UNREADABLE:
        # The rows before the damage are committed (their counts and checkpoint say so); the rest is not read.
        return _fail(job, FILE_UNREADABLE)
    finally:
        if prefetch is not None:
            prefetch.stop()
    from xinli.archives.duplicates import flag_possible_duplicates

    job.refresh_from_db(fields=["rows_done"])
    _refresh_statistics(0, job.rows_done - skip)
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.DONE, finished_at=timezone.now())
        job.refresh_from_db()
        # Possible duplicates among the new records (same name + birth date, or same phone, another ID number) go to
        # the review list (docs/archive.md "Duplicate archives"); never merged here.
        flagged = 0 if job.dry_run else flag_possible_duplicates(created_person_ids(job))
        audit.record(actor, audit.Action.UPDATE, obj=job, org_path=job.org_path,
                     detail={"done": True, "dry_run": job.dry_run, "created": job.created, "updated": job.updated,
                             "unchanged": job.unchanged, "refused": job.refused, "possible_duplicates": flagged})
    return job


def batches(path: Path, kind, skip: int, batch_size: int) -> Iterator[tuple[int, list[tuple[int, dict]]]]:
    """The file's rows after the first ``skip`` (the checkpoint) in batches of about ``batch_size``: (position of the
    batch's first row, [(line, row)]). A blank row is ``{"__blank__": True}``; the rows of a group (a patient with
    their follow-ups) stay in one batch. The importing process and its worker (``imports.worker``) batch alike."""
    batch: list[tuple[int, dict]] = []
    pos, n = skip, 0
    for line, row in rows(path, kind.columns):
        n += 1
        if n <= skip:
            continue
        if not any(text(v) for v in row.values()):
            row = {"__blank__": True}
        if len(batch) >= batch_size and (kind.group is None or row.get("__blank__") or kind.group(row) != kind.group(batch[-1][1])):
            yield pos, batch
            pos += len(batch)
            batch = []
        batch.append((line, row))
    if batch:
        yield pos, batch


def _commit_without_flush_wait() -> None:
    """The batch's commit does not wait for its WAL flush (PostgreSQL ``synchronous_commit = off`` for this
    transaction only). Safe here: the batch and its checkpoint are one transaction, so a server crash loses at most
    the last few batches together with their checkpoint, and the resumed run redoes exactly those."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


STATISTICS_FIRST = 2000  # rows; then at every doubling


def statistics_due(before: int, after: int) -> bool:
    """Whether rows ``before`` → ``after`` of a run pass 2,000 × 2ⁿ (or ``before`` is 0: the end of the run)."""
    if after < STATISTICS_FIRST:
        return False
    return not before or (after // STATISTICS_FIRST).bit_length() > (before // STATISTICS_FIRST).bit_length()


def _refresh_statistics(before: int, after: int) -> None:
    """``ANALYZE`` the tables an import grows when this run's rows pass 2,000, 4,000, 8,000 … (``before`` → ``after``;
    called with 0 at the end of the run), on PostgreSQL. Autovacuum refreshes planner statistics only about once a
    minute and after 10 % growth; in between, a table grown from a few rows to many thousands is planned as if still
    tiny, and the batch look-ups (by ID number, by source id) became scans of everything imported so far — measured
    with bench/bench_import.py."""
    if connection.vendor != "postgresql" or not statistics_due(before, after):
        return
    from xinli.archives.models import Consent, Person, PopulationTag
    from xinli.smd.models import FollowUp, Patient, Task

    from .models import SourceLink

    tables = ", ".join(connection.ops.quote_name(m._meta.db_table)
                       for m in (Person, PopulationTag, Consent, SourceLink, Patient, FollowUp, Task))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


FILE_UNREADABLE = _("File: cannot be read as CSV (UTF-8) or Excel (.xlsx); save it again from the template in one of these formats.")


def _fail(job: ImportJob, message) -> ImportJob:
    message = bilingual(message) if not isinstance(message, str) else message
    with transaction.atomic():
        ImportRow.objects.create(job=job, line=0, column="", message=message)
        ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.FAILED, finished_at=timezone.now(), error=message[:300])
    job.refresh_from_db()
    return job


def stuck_jobs(minutes: int = 10) -> list[int]:
    """Jobs queued or running whose last batch is older than ``minutes`` (the worker was killed): resumable."""
    cutoff = timezone.now() - datetime.timedelta(minutes=minutes)
    return list(ImportJob.objects.filter(state__in=[ImportJob.State.QUEUED, ImportJob.State.RUNNING],
                                         progress_at__lt=cutoff).values_list("pk", flat=True))
