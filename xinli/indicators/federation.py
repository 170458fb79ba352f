"""Federation: indicator values (aggregates only, never persons) exported by one instance as JSON and imported by
another, so that a province instance can aggregate its cities' instances.

``export_values`` writes the locally computed rollups of a unit and every unit under it for one period, with the
small cells below the root withheld (``null``; the root's own rows stay exact, see ``export_values``).
``import_values`` checks the whole document first and writes nothing if any value is bad; then, in one transaction,
it stores the values with ``source`` = the exporting instance and re-aggregates every ancestor of the document's root in this instance (Σ numerators ÷ Σ denominators of the direct
children, ``source="federation"``).

The exporting instance is authoritative for the subtree it exports: rows this instance computed itself under the
document's root (a province instance's nightly rebuild fills its cities' units from data it does not hold) are
replaced, and from then on ``rebuild`` skips the imported units. Above the root a locally computed row is kept and
reported (``kept_local``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core import audit
from xinli.core.db import read_alias
from xinli.core.i18n import bilingual
from xinli.regions.codes import CODE_RE
from xinli.regions.models import OrgUnit

from . import disclosure
from .models import Rollup
from .registry import REGISTRY

FORMAT = "xinli-indicators"
VERSION = 2  # 2: numerators unscaled (T11 patients, not patients × 1000; WF1 staff, not staff × 10,000)
FEDERATION_SOURCE = "federation"  # the source of the ancestors' rows re-aggregated from imported values
VALUE_KEYS = ("indicator", "org", "org_name", "level", "parent", "breakdown", "numerator", "denominator", "value")
PERIOD_RE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")
BREAKDOWN_RE = re.compile(r"^([a-z_]+=[^=\s]+)?$")
TOLERANCE = Decimal("0.0001")
SIX = Decimal("0.000001")
# (field, decimal places, digits before the point) as in the Rollup columns.
NUMBER_FIELDS = (("numerator", 4, 10), ("denominator", 4, 10), ("value", 6, 8))
_CHUNK = 500


def _s(value) -> str | None:
    return None if value is None else str(value)


def _protect(rows: list[Rollup], *, root: OrgUnit) -> None:
    """Mask the rows below ``root`` (the whole subtree is in the document, so it is one table; the root is exact)."""
    by_code = defaultdict(dict)
    for r in rows:
        r.hidden = {}
        ind = REGISTRY.get(r.indicator)
        if ind is not None and ind.counts_persons:
            by_code[r.indicator][(r.org_path, r.breakdown)] = r
    for code, cells in by_code.items():
        mask, _limits = disclosure.mask_cells(REGISTRY[code], {k: (r.numerator, r.denominator) for k, r in cells.items()},
                                              fixed=[root.path])
        for key, parts in mask.items():
            disclosure.hide(cells[key], parts)


def export_values(unit: OrgUnit, period: str, *, instance: str) -> dict:
    """The locally computed values (``source=""``) of ``period`` for ``unit`` and every unit under it, as a
    JSON-able document. Aggregates only: indicator, unit, breakdown and the three numbers; nothing about persons.

    Small cells (docs/indicators.md "Small cells"): the root's own rows are exact (the receiving instance rebuilds
    the units above the root from them); below the root, counts of persons under each unit's threshold and the
    figures they could be worked out from (the root, its units and their breakdowns are one table) are ``null``,
    named in the value's ``suppressed``."""
    rows = list(Rollup.objects.using(read_alias()).filter(period=period, source="", org_path__startswith=unit.path)
                .select_related("org_unit", "org_unit__parent").order_by("org_path", "indicator", "breakdown"))
    _protect(rows, root=unit)
    values = []
    for r in rows:
        u = r.org_unit
        value = {"indicator": r.indicator, "unit": REGISTRY[r.indicator].unit if r.indicator in REGISTRY else None, "org": u.code, "org_name": u.name, "level": u.level,
                 "parent": u.parent.code if u.parent_id else None, "breakdown": r.breakdown,
                 "numerator": _s(r.numerator), "denominator": _s(r.denominator), "value": _s(r.value)}
        if r.hidden:
            value["suppressed"] = disclosure.suppressed(r)
        values.append(value)
    return {"format": FORMAT, "version": VERSION, "instance": instance, "exported_at": timezone.now().isoformat(),
            "root": {"code": unit.code, "name": unit.name}, "period": period, "values": values}


@dataclass
class ImportResult:
    instance: str
    period: str
    root: str
    imported: int = 0  # values stored from the document
    aggregated: int = 0  # ancestor rows re-aggregated (source "federation")
    removed: int = 0  # rows of an earlier import from the same instance no longer in the document
    replaced_local: int = 0  # rows this instance had computed under the root, replaced by the document's
    kept_local: list[tuple[str, str, str]] = field(default_factory=list)  # ancestor rows computed here, left alone


class _Errors:
    """Every problem of a document, keyed ``values[3].numerator`` (or a top-level key), each message naming the
    value it belongs to so that the flat list reads on its own."""

    def __init__(self):
        self.by_key: dict[str, list[str]] = defaultdict(list)

    def add(self, key: str, message, prefix: str = "", **params):
        text = bilingual(message, **params)
        self.by_key[key].append(f"{prefix}: {text}" if prefix else text)

    def raise_if_any(self):
        if self.by_key:
            raise ValidationError({k: [ValidationError(m, code="invalid") for m in v] for k, v in self.by_key.items()})


def _number(raw, places: int, digits: int):
    """``(Decimal | None, problem)``: ``None`` is allowed (no value); JSON numbers and strings are accepted."""
    if raw is None:
        return None, None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        return None, "format"
    try:
        d = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None, "format"
    if not d.is_finite() or d < 0:
        return None, "format"
    if d >= Decimal(10) ** digits:
        return None, "large"
    try:
        if d != d.quantize(Decimal(1).scaleb(-places)):
            return None, "format"
    except InvalidOperation:
        return None, "format"
    return d, None


def _quotient(num, den, scale: int = 1) -> Decimal | None:
    """numerator ÷ denominator × the indicator's scale (``Indicator.scale``: 1000 for ‰, 10,000 per 10,000 people)."""
    if num is None or not den:
        return None
    return (num * scale / den).quantize(SIX, ROUND_HALF_UP)


def _check(doc) -> tuple[_Errors, dict]:
    """Validate the whole document; returns the errors and what the import needs (root unit, parsed values)."""
    errors = _Errors()
    parsed: dict = {"root": None, "values": []}
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        errors.add("format", _("Format: this is not an xinli-indicators document; export it with export_indicators."))
        return errors, parsed
    if doc.get("version") != VERSION:
        errors.add("version", _("Version: only version {version} can be imported; export the file again with this release."), version=VERSION)
        return errors, parsed
    instance = doc.get("instance")
    if not isinstance(instance, str) or not instance.strip() or len(instance) > 60 or instance == FEDERATION_SOURCE:
        errors.add("instance", _("Instance: the exporting instance's name, at most 60 characters and not \"federation\"."))
    period = doc.get("period")
    if not isinstance(period, str) or not PERIOD_RE.match(period):
        errors.add("period", _("Period: a year (2026) or a month (2026-03)."))
        period = None
    root_code = (doc.get("root") or {}).get("code") if isinstance(doc.get("root"), dict) else None
    root = None
    if isinstance(root_code, str) and CODE_RE.match(root_code):
        root = OrgUnit.objects.filter(code=root_code, valid_to__isnull=True).first()
    if root is None:
        errors.add("root", _("Root: the 12-digit code of a current org unit of this instance; import the org tree first."))
    values = doc.get("values")
    if not isinstance(values, list):
        errors.add("values", _("Values: a list of indicator values."))
        return errors, parsed
    if root is None:
        return errors, parsed
    parsed["root"] = root

    units = {u.code: u for u in OrgUnit.objects.filter(valid_to__isnull=True, path__startswith=root.path)}
    elsewhere = set()
    codes = {v.get("org") for v in values if isinstance(v, dict) and isinstance(v.get("org"), str)}
    missing = [c for c in codes if c not in units and CODE_RE.match(c)]
    for i in range(0, len(missing), _CHUNK):
        elsewhere |= set(OrgUnit.objects.filter(valid_to__isnull=True, code__in=missing[i:i + _CHUNK]).values_list("code", flat=True))
    existing = {} if period is None else {
        (r["indicator"], r["org_unit_id"], r["breakdown"]): (r["pk"], r["source"]) for r in
        Rollup.objects.filter(period=period, org_path__startswith=root.path).values("pk", "indicator", "org_unit_id", "breakdown", "source")}
    seen: dict[tuple, int] = {}
    for i, v in enumerate(values):
        key = f"values[{i}]"
        if not isinstance(v, dict):
            errors.add(key, _("Value: an object with indicator, org, breakdown, numerator, denominator and value."), prefix=key)
            continue
        prefix = f"{key} ({v.get('indicator')} {v.get('org')} {v.get('breakdown') or 'all'})"
        code = v.get("indicator")
        ind = REGISTRY.get(code) if isinstance(code, str) else None
        if ind is None:
            errors.add(f"{key}.indicator", _("Indicator: unknown code."), prefix=prefix)
        elif v.get("unit") is not None and v.get("unit") != ind.unit:
            errors.add(f"{key}.unit", _("Unit: this instance computes {code} in {unit}, the file in {given}; export the file again "
                                        "with the same release."), prefix=prefix, code=code, unit=ind.unit, given=str(v.get("unit"))[:20])
        org = v.get("org")
        unit = units.get(org) if isinstance(org, str) else None
        if unit is None:
            if isinstance(org, str) and org in elsewhere:
                errors.add(f"{key}.org", _("Org: a unit under the document's root {root}; check the export."), prefix=prefix, root=root.code)
            else:
                errors.add(f"{key}.org", _("Org: the 12-digit code of a current org unit of this instance; import the org tree first."), prefix=prefix)
        breakdown = v.get("breakdown", "")
        if breakdown is None:
            breakdown = ""
        if not isinstance(breakdown, str) or len(breakdown) > 30 or not BREAKDOWN_RE.match(breakdown):
            errors.add(f"{key}.breakdown", _("Breakdown: empty for all, or one category such as sex=F (at most 30 characters)."), prefix=prefix)
            breakdown = None
        nums, unparsed = {}, False
        for name, places, digits in NUMBER_FIELDS:
            nums[name], problem = _number(v.get(name), places, digits)
            unparsed = unparsed or problem is not None
            if problem == "format":
                errors.add(f"{key}.{name}", _("{field}: a non-negative number such as \"0.75\", with at most {places} decimal places, or null."),
                           prefix=prefix, field=name.capitalize(), places=places)
            elif problem == "large":
                errors.add(f"{key}.{name}", _("{field}: too large; at most {digits} digits before the decimal point."),
                           prefix=prefix, field=name.capitalize(), digits=digits)
        num, den, value = nums["numerator"], nums["denominator"], nums["value"]
        if ind is not None:
            if not ind.denominator and den is not None:
                errors.add(f"{key}.denominator", _("Denominator: empty (null) for a count or yes/no indicator."), prefix=prefix)
            elif ind.kind == "rate" and num is not None and den is not None and num > den:
                errors.add(f"{key}.numerator", _("Numerator: not more than the denominator for a rate; check both counts."), prefix=prefix)
            if not ind.denominator and v.get("denominator") is None:
                expected, message = num, _("Value: must equal the numerator ({expected}) for a count or yes/no indicator; export the file again.")
            elif den is not None and den > 0:
                expected, message = _quotient(num, den, ind.scale), _("Value: must equal numerator ÷ denominator ({expected}); export the file again.")
            else:  # no check when the denominator is 0 or missing
                message = None
            if message is not None and not unparsed and not (
                    (expected is None and value is None)
                    or (expected is not None and value is not None and abs(value - expected) <= TOLERANCE)):
                errors.add(f"{key}.value", message, prefix=prefix, expected=_s(expected) if expected is not None else "null")
        if ind is None or unit is None or breakdown is None:
            continue
        ident = (code, unit.pk, breakdown)
        if ident in seen:
            errors.add(key, _("Value: duplicate of values[{index}]; each indicator, org and breakdown appears once."), prefix=prefix, index=seen[ident])
            continue
        seen[ident] = i
        pk, source = existing.get(ident, (None, None))
        parsed["values"].append((ident, unit, num, den, value, pk))
    parsed["existing"] = existing
    return errors, parsed


def import_values(doc, *, actor=None) -> ImportResult:
    """Validate the whole document, then store its values and re-aggregate the ancestors in one transaction.

    Raises ``ValidationError`` (keys ``values[i].field``, every problem listed, bilingual) and writes nothing when any
    value is bad. Values are stored with ``source`` = the document's instance; an earlier import of the same instance
    under the same root is replaced (its rows that are no longer in the document are removed)."""
    with transaction.atomic():
        errors, parsed = _check(doc)
        errors.raise_if_any()
        root: OrgUnit = parsed["root"]
        instance, period = doc["instance"], doc["period"]
        result = ImportResult(instance=instance, period=period, root=root.code)
        now = timezone.now()
        keys = {ident for ident, *_ in parsed["values"]}
        replace = [pk for ident, *_, pk in parsed["values"] if pk is not None]
        stale = [pk for ident, (pk, source) in parsed["existing"].items() if source == instance and ident not in keys]
        for i in range(0, len(replace), _CHUNK):
            Rollup.objects.filter(pk__in=replace[i:i + _CHUNK]).delete()
        # The rest of this instance's own rows under the root: the exporting instance is authoritative there.
        result.replaced_local = sum(1 for _ident, (_pk, source) in parsed["existing"].items() if source == "")
        Rollup.objects.filter(period=period, org_path__startswith=root.path, source="").delete()
        for i in range(0, len(stale), _CHUNK):
            Rollup.objects.filter(pk__in=stale[i:i + _CHUNK], source=instance).delete()
        result.removed = len(stale)
        rows = [Rollup(indicator=code, period=period, org_unit=unit, org_path=unit.path, breakdown=breakdown, source=instance,
                       numerator=num, denominator=den, value=value, computed_at=now)
                for (code, _pk, breakdown), unit, num, den, value, _existing in parsed["values"]]
        Rollup.objects.bulk_create(rows, batch_size=2000)
        result.imported = len(rows)
        pairs = sorted({(code, breakdown) for code, _pk, breakdown in keys})
        if pairs:
            _aggregate_ancestors(root, period, pairs, now, result)
        audit.record(actor, audit.Action.CREATE, object_type="indicators.federation", object_id=f"{instance}:{period}:{root.code}",
                     org_path=root.path, detail={"instance": instance, "period": period, "root": root.code, "rows": result.imported,
                                                 "aggregated": result.aggregated, "removed": result.removed,
                                                 "replaced_local": result.replaced_local,
                                                 "kept_local": len(result.kept_local)})
    return result


def _aggregate_ancestors(root: OrgUnit, period: str, pairs, now, result: ImportResult) -> None:
    """Nearest ancestor first, so each level sums the freshly aggregated level below it."""
    codes = sorted({c for c, _b in pairs})
    wanted = set(pairs)
    ancestors = {u.pk: u for u in OrgUnit.objects.filter(pk__in=root.ancestor_ids[:-1])}
    for pk in reversed(root.ancestor_ids[:-1]):
        unit = ancestors[pk]
        sums: dict[tuple, list] = {}
        for r in Rollup.objects.filter(period=period, org_unit__parent_id=pk, indicator__in=codes).values(
                "indicator", "breakdown", "numerator", "denominator"):
            pair = (r["indicator"], r["breakdown"])
            if pair not in wanted:
                continue
            cell = sums.setdefault(pair, [None, None])
            if r["numerator"] is not None:
                cell[0] = (cell[0] or 0) + r["numerator"]
            if r["denominator"] is not None:
                cell[1] = (cell[1] or 0) + r["denominator"]
        current = {(r.indicator, r.breakdown): r for r in Rollup.objects.filter(period=period, org_unit_id=pk, indicator__in=codes)}
        for pair in sorted(sums):  # the pairs some child has a row for
            num, den = sums[pair]
            if REGISTRY[pair[0]].denominator:
                value = _quotient(num, den, REGISTRY[pair[0]].scale)
            else:
                den, value = None, num
            row = current.get(pair)
            if row is not None and row.source == "":
                result.kept_local.append((pair[0], unit.code, pair[1]))
                continue
            if row is None:
                row = Rollup(indicator=pair[0], period=period, org_unit=unit, breakdown=pair[1])
            row.org_path, row.source, row.computed_at = unit.path, FEDERATION_SOURCE, now
            row.numerator, row.denominator, row.value = num, den, value
            row.save()
            result.aggregated += 1
