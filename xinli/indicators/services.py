"""Rollups (rebuild), targets as data (with history) and the status of a value against its target."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_HALF_UP, Decimal
from queue import SimpleQueue

from django.core.exceptions import PermissionDenied
from django.db import connections, router, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core import audit
from xinli.core.db import read_alias
from xinli.core.i18n import field_error
from xinli.core.models import AuditEntry
from xinli.core.policy import INDICATORS_MANAGE
from xinli.core.scoping import path_in_scope
from xinli.regions.models import OrgUnit, valid_on

from .models import Rollup, Target
from .registry import REGISTRY, SCALE_OF_KIND, period_end

AMBER_SHARE = Decimal("0.9")  # within 10 % of the target
STATUS_LABELS = {"green": _("met"), "amber": _("near"), "red": _("not met")}


LEVELS = ("city", "county", "township", "village")


def _value(num, den, kind: str) -> Decimal | None:
    """numerator ÷ denominator × the unit's scale (‰: 1000, per 10,000 people: 10,000); a count or yes/no is its
    numerator; a rate without a denominator (no population figure, nobody to count) has no value."""
    if num is None:
        return None
    if den is None:
        return Decimal(num) if kind in ("count", "flag") else None
    scale = SCALE_OF_KIND.get(kind, 1)
    return (Decimal(num) * scale / Decimal(den)).quantize(Decimal("0.000001"), ROUND_HALF_UP) if den else None


_MISSING = object()

# The columns of a rollup row as ``rebuild`` makes them (``source`` is "" for the rows computed here).
ROW_FIELDS = ("indicator", "period", "org_unit_id", "org_path", "breakdown", "numerator", "denominator", "value", "computed_at")


def write_rollups(rows: list[tuple], *, source: str = "") -> int:
    """Insert rollup rows, given as plain tuples in the order of ``ROW_FIELDS``: on PostgreSQL with one ``COPY`` (no
    model instances: a rebuild writes tens of thousands of rows), elsewhere with ``bulk_create``. Both store the same
    values. Call it inside the transaction that deletes the rows being replaced."""
    if not rows:
        return 0
    db = router.db_for_write(Rollup)
    if connections[db].vendor == "postgresql":
        _copy_rollups(db, rows, source)
    else:
        _bulk_create_rollups(db, rows, source)
    return len(rows)


def _bulk_create_rollups(db: str, rows: list[tuple], source: str) -> None:
    Rollup.objects.using(db).bulk_create([Rollup(**dict(zip(ROW_FIELDS, r, strict=True)), source=source) for r in rows],
                                         batch_size=2000)


def _copy_rollups(db: str, rows: list[tuple], source: str) -> None:
    """PostgreSQL ``COPY … FROM STDIN`` of ``rows`` (``_copy_into``)."""
    connection = connections[db]
    with connection.cursor() as cursor, cursor.cursor.copy(_copy_statement(connection)) as copy:
        _copy_into(copy, rows, source)


def _copy_statement(connection) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(Rollup._meta.get_field(f).column) for f in (*ROW_FIELDS, "source"))
    return f"COPY {quote(Rollup._meta.db_table)} ({columns}) FROM STDIN"


_DECIMALS = ("numerator", "denominator", "value")


def _copy_into(copy, rows: list[tuple], source: str) -> None:
    """Rows into an open ``COPY``. Numerators, denominators and values that are not already ``int`` or ``Decimal``
    go through the model field's ``to_python``, as ``bulk_create`` sends them (``True`` → 1); the column rounds them
    to its decimal places either way."""
    numerator, denominator, value = (Rollup._meta.get_field(f) for f in _DECIMALS)

    def dec(field, v):
        return v if v is None or type(v) is int or type(v) is Decimal else field.to_python(v)

    for indicator, period, unit_id, path, breakdown, n, d, v, at in rows:
        copy.write_row((indicator, period, unit_id, path, breakdown, dec(numerator, n), dec(denominator, d), dec(value, v), at, source))


def rebuild(year: int, *, month: int | None = None, units=None, codes=None) -> int:
    """Recompute the registered indicators of a year (or of a month: the year to that month's end) for every org
    unit that existed on the period end (or those given), with their breakdowns, and replace the period's locally
    computed rows in one transaction. Rows imported from other instances (federation) are left alone, and so are
    the units they cover."""
    period = f"{year}-{month:02d}" if month else str(year)
    as_of = period_end(period)
    full = units is None
    units = list(units) if units is not None else list(OrgUnit.objects.filter(valid_on(as_of), level__in=LEVELS).order_by("path"))
    federated = set(Rollup.objects.filter(period=period).exclude(source="").values_list("indicator", "org_unit_id"))
    now = timezone.now()
    memo: dict = {}
    values: dict = {}
    total = 0
    wanted = {code: [u for u in units if u.level in ind.levels and (code, u.pk) not in federated]
              for code, ind in REGISTRY.items() if not codes or code in codes}
    stale = Rollup.objects.filter(period=period, source="", indicator__in=list(wanted))
    if not full:
        stale = stale.filter(org_unit__in=units)
    background = _start_background(wanted, year, as_of)
    writer = _Writer(stale)
    try:
        # The indicators computed in the background thread last, so that this thread waits for them only when it
        # has nothing else to do (the rows' order does not matter: the writer copies them as they come).
        order = [c for c in REGISTRY if c not in background] + [c for c in REGISTRY if c in background]
        for code in order:
            ind = REGISTRY[code]
            applicable = wanted.get(code)
            if not applicable:
                continue
            if code in background:
                results = background.pop(code).result()
            elif ind.many is not None:
                results = ind.many(applicable, year, as_of, memo)
            else:
                results = {u.pk: {"": ind.compute(u, year, as_of, memo)} for u in applicable}
            kind = ind.kind
            rows = []
            for unit_id, path in [(u.pk, u.path) for u in applicable]:
                for key, (num, den) in sorted(results[unit_id].items()):
                    # Most units share a few (numerator, denominator) pairs (0/0, 1/1, ... in the villages): each
                    # value is worked out once per rebuild (equal keys give equal values; the column rounds them).
                    value = values.get((num, den, kind), _MISSING)
                    if value is _MISSING:
                        value = values[num, den, kind] = _value(num, den, kind)
                    rows.append((code, period, unit_id, path, key, num, den, value, now))
            writer.add(rows)
            total += len(rows)
        writer.finish()
    finally:
        writer.abort()  # after an error above: the thread's transaction rolls back; nothing after ``finish``
        for future in background.values():  # let the background queries finish before leaving
            future.cancel() or future.exception()
    return total


class _Writer:
    """Replaces the period's rows: deletes the stale ones and writes each indicator's new rows, in one transaction.

    On PostgreSQL outside a transaction (the nightly task; issue 16 item 6) that transaction runs in a thread on a
    connection of its own, started at once: the delete and the ``COPY`` of each indicator's rows are the database's
    work, done on the other core while this thread computes the next indicators (the SMD rules and the aggregation
    are Python), instead of after them. Readers see the old rows until the commit, as before. Elsewhere (SQLite,
    inside a caller's transaction: another connection would not see its uncommitted rows) the rows are kept and
    written in line by ``finish``: delete, then ``write_rollups``. Either way the same rows are stored."""

    _ABORT, _DONE = object(), object()

    def __init__(self, stale):
        self.stale = stale
        self.rows: list[tuple] = []
        db = router.db_for_write(Rollup)
        connection = connections[db]
        self.future = None
        self.finished = False
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.queue: SimpleQueue = SimpleQueue()
            executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rollup-writer")
            self.future = executor.submit(_write_in_thread, db, stale, self.queue)
            executor.shutdown(wait=False)

    def add(self, rows: list[tuple]) -> None:
        if self.future is None:
            self.rows.extend(rows)
        elif rows:
            self.queue.put(rows)

    def finish(self) -> None:
        self.finished = True
        if self.future is None:
            with transaction.atomic(using=router.db_for_write(Rollup)):
                self.stale.delete()
                write_rollups(self.rows)
            return
        self.queue.put(self._DONE)
        self.future.result()  # the commit, or the thread's error

    def abort(self) -> None:
        if self.future is not None and not self.finished:
            self.queue.put(self._ABORT)
            self.future.exception()  # waits for the rollback


class _Aborted(Exception):
    pass


def _write_in_thread(db: str, stale, batches: SimpleQueue) -> None:
    """The writer's transaction on this thread's own connection: delete, then ``COPY`` the batches as they come;
    commit on ``_DONE``, roll back on ``_ABORT`` (or any error)."""
    try:
        with transaction.atomic(using=db):
            stale.using(db).delete()
            connection = connections[db]
            with connection.cursor() as cursor, cursor.cursor.copy(_copy_statement(connection)) as copy:
                while (batch := batches.get()) is not _Writer._DONE:
                    if batch is _Writer._ABORT:
                        raise _Aborted
                    _copy_into(copy, batch, "")
    except _Aborted:
        pass
    finally:
        for c in connections.all(initialized_only=True):
            c.close()


# Indicators whose set-based scan is one long query and little Python (CA1: 419,000 tagged persons of 2,000,000
# grouped by path and sex, 0.45-0.7 s of PostgreSQL; T09 the same for its 12,700, 0.15-0.25 s): on PostgreSQL,
# outside a transaction, ``rebuild`` runs them one after the other in a thread on a connection of its own while the
# main thread computes the others (the SMD rules and the aggregation are Python), so the two cores overlap the work
# instead of taking turns (issue 16 item 6). Same rows: the thread calls the same ``many``, with a memo of its own
# (these scans use none).
OVERLAPPED = ("CA1", "T09")


def _start_background(wanted: dict, year: int, as_of) -> dict:
    """Futures of the ``OVERLAPPED`` indicators' results, started now; empty when they are to be computed in line."""
    db = router.db_for_read(Rollup)
    connection = connections[db]
    # Inside a transaction (a caller's atomic block, every test of the suite) another connection would not see its
    # uncommitted rows: compute in line then.
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return {}
    jobs = {code: wanted[code] for code in OVERLAPPED if wanted.get(code) and REGISTRY[code].many is not None}
    if not jobs:
        return {}
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rebuild")
    futures = {code: executor.submit(_in_thread, REGISTRY[code].many, applicable, year, as_of)
               for code, applicable in jobs.items()}
    executor.shutdown(wait=False)
    return futures


def _in_thread(many, units, year, as_of):
    """``many`` on this thread's own database connection (Django's connections are per thread), closed afterwards."""
    try:
        return many(units, year, as_of, {})
    finally:
        for c in connections.all(initialized_only=True):
            c.close()


def refresh(now=None) -> int:
    """The incremental refresh between nightly rebuilds: recompute this year's and this month's values of only the
    indicators whose sources (``registry.SOURCES``) were written since the last computation, as the audit log shows.
    Nothing written, nothing recomputed. (Writes that are not audited, such as anonymous survey answers, wait for
    the nightly rebuild.)"""

    from .registry import SOURCES

    today = timezone.localdate()
    last = Rollup.objects.filter(period=str(today.year), source="").order_by("-computed_at").values_list("computed_at", flat=True).first()
    if last is None:
        return rebuild(today.year) + rebuild(today.year, month=today.month)
    written = set(AuditEntry.objects.filter(at__gt=last, action__in=["create", "update", "delete", "system"])
                  .values_list("object_type", flat=True).distinct())
    codes = {code for code, ind in REGISTRY.items()
             if any(t.startswith(prefix) for t in written for prefix in SOURCES.get(ind.group, ()))}
    if not codes:
        return 0
    return rebuild(today.year, codes=codes) + rebuild(today.year, month=today.month, codes=codes)


def targets_for(unit: OrgUnit, year: int, codes=None) -> dict[str, Decimal | None]:
    """The target in force for each indicator: the latest row of the unit or its nearest ancestor, else the
    platform-wide row, else the registry default (or, for "fewer than last year", last year's value)."""
    codes = list(codes) if codes is not None else list(REGISTRY)
    rows: dict = {}
    for t in Target.objects.filter(indicator__in=codes, year=year).order_by("set_at", "id"):  # latest wins
        rows[(t.indicator, t.org_unit_id)] = t.value
    out = {}
    ancestors = list(reversed(unit.ancestor_ids))
    decrease = [c for c in codes if REGISTRY[c].target_rule == "decrease"]
    last = dict(Rollup.objects.using(read_alias()).filter(indicator__in=decrease, org_unit=unit, period=str(year - 1), breakdown="")
                .values_list("indicator", "value")) if decrease else {}
    for code in codes:
        value = next((rows[(code, uid)] for uid in ancestors if (code, uid) in rows), rows.get((code, None), "default"))
        if value == "default":
            value = last.get(code) if REGISTRY[code].target_rule == "decrease" else REGISTRY[code].target
        out[code] = value
    return out


def target_for(code: str, unit: OrgUnit, year: int) -> Decimal | None:
    return targets_for(unit, year, [code])[code]


def target_history(unit: OrgUnit, year: int) -> dict[str, list[Target]]:
    """The target rows of the year that apply to the unit (its own, its ancestors', platform-wide), latest first."""
    out: dict[str, list[Target]] = {}
    ids = unit.ancestor_ids
    for t in Target.objects.filter(year=year).filter(Q(org_unit_id__in=ids) | Q(org_unit__isnull=True)).select_related("org_unit", "set_by"):
        out.setdefault(t.indicator, []).append(t)
    return out


def status(code: str, value, target) -> str | None:
    if value is None or target is None:
        return None
    value, target = Decimal(value), Decimal(target)
    if REGISTRY[code].target_rule == "decrease":
        return "green" if value < target or value == 0 else "amber" if value == target else "red"
    good = value >= target if REGISTRY[code].higher_is_better else value <= target
    if good:
        return "green"
    near = value >= target * AMBER_SHARE if REGISTRY[code].higher_is_better else value <= target / AMBER_SHARE
    return "amber" if near else "red"


def set_target(actor, *, code: str, unit: OrgUnit, year: int, value, in_unit: bool = False) -> Target:
    """A new target row of ``code`` for ``unit`` and ``year`` (the earlier ones stay as history), audited. ``value``
    is stored as the indicator's values are (a rate as a fraction, 0.8); with ``in_unit`` it is given in the unit
    the pages show (80 or "80 %" for a rate, 4.5 for ‰)."""
    from .display import UNITS

    if code not in REGISTRY:
        raise field_error("indicator", _("Indicator: unknown code."))
    if not path_in_scope(actor, INDICATORS_MANAGE, unit.path):
        raise PermissionDenied
    kind = REGISTRY[code].kind
    if kind == "rate":
        message = (_("Target: a percentage from 0 to 100, e.g. 80 for 80 %.") if in_unit
                   else _("Target: a fraction from 0 to 1, e.g. 0.8 for 80 %."))
    elif kind == "flag":
        message = _("Target: 1 (yes) or 0 (no).")
    else:
        message = _("Target: a number of 0 or more.")
    text = str(value if value is not None else "").strip().replace("％", "%").rstrip("%‰").strip() if in_unit else str(value)
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise field_error("value", message) from None
    if in_unit:
        value = value / UNITS.get(kind, (Decimal(1), 0))[0]
    if not value.is_finite() or value < 0 or (kind in ("rate", "flag") and value > 1):
        raise field_error("value", message)
    with transaction.atomic():
        t = Target.objects.create(indicator=code, org_unit=unit, year=year, value=value, set_by=actor)
        audit.record(actor, audit.Action.UPDATE, object_type="indicators.target", object_id=f"{code}:{unit.code}:{year}",
                     org_path=unit.path, detail={"value": str(value)})
    return t
