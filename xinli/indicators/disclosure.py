"""Small cells in the indicator outputs (docs/indicators.md "Small cells"): which numbers of the rollups a reader may
see. The rule itself is ``xinli.core.smallcells``; the threshold of each unit is its region parameter
``small_cell_threshold`` (``xinli.regions.parameters``); which indicators count persons, and which capabilities read
those persons, is declared in the registry (``Indicator.readers``).

The mask of a rollup does not depend on the reader or on the page: it is computed from the rows of the same
indicator and period along the whole chain of sibling groups above the row (the units below each ancestor, with
every breakdown), so the scorecard, the indicator page, the API, the Excel files and the reports hide the same cells.
A reader who holds one of the indicator's reader capabilities over the row's unit sees its exact numbers; everyone
else sees the mask applied: hidden parts and the value become ``None`` and the row carries ``hidden``
(``{"numerator": "small" | "derived", ...}``) and ``cell_limit`` (the threshold in force for its unit).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Q

from xinli.core import smallcells
from xinli.core.db import read_alias
from xinli.core.scoping import path_in_scope
from xinli.regions.parameters import small_cell_thresholds

from .models import Rollup
from .registry import REGISTRY

_CHUNK = 500


def _ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


def _persons(ind, num, den) -> dict:
    """The person counts of a cell, per counted part (numerators are stored unscaled: the count itself)."""
    out = {}
    if "numerator" in ind.counted:
        out["numerator"] = None if num is None else Decimal(num)
    if "denominator" in ind.counted:
        out["denominator"] = None if den is None else Decimal(den)
    return out


def mask_cells(ind, cells: dict[tuple[str, str], tuple], *, fixed: Iterable[str] = ()) -> tuple[dict, dict[str, int]]:
    """The mask of a set of cells ``{(unit path, breakdown): (numerator, denominator)}`` of one indicator and
    period: ``({(path, breakdown): {part: reason}}, {path: threshold})``. ``fixed`` unit paths are never hidden."""
    fixed = set(fixed)
    limits = small_cell_thresholds({path for path, _b in cells})
    values = {key: _persons(ind, num, den) for key, (num, den) in cells.items()}
    primary = {}
    for key, counts in values.items():
        if key[0] in fixed:
            continue
        mask = smallcells.primary(counts.get("numerator"), counts.get("denominator"), limit=limits[key[0]], parts=ind.counted)
        if mask:
            primary[key] = mask
    return smallcells.protect_tree(values, primary, parts=ind.counted, fixed=fixed), limits


def masks(rows: Iterable[Rollup]) -> tuple[dict, dict[str, int]]:
    """The mask of each row that counts persons: ``({(indicator, period, path, breakdown): {part: reason}},
    {path: threshold})``, loading the chain of sibling groups above the rows (one query)."""
    wanted = defaultdict(set)  # (indicator, period) -> unit paths shown
    for r in rows:
        ind = REGISTRY.get(r.indicator)
        if ind is not None and ind.counts_persons:
            wanted[(r.indicator, r.period)].add(r.org_path)
    if not wanted:
        return {}, {}
    parents, tops = set(), set()
    for paths in wanted.values():
        for path in paths:
            ids = _ids(path)
            tops.add(ids[0])
            parents.update(ids[:-1])
    codes = sorted({c for c, _p in wanted})
    periods = sorted({p for _c, p in wanted})
    cells = defaultdict(dict)
    parents = sorted(parents)
    seen = set()
    for i in range(0, max(len(parents), 1), _CHUNK):
        q = Q(org_unit_id__in=tops) | Q(org_unit__parent_id__in=parents[i:i + _CHUNK])
        for pk, code, period, path, breakdown, num, den in Rollup.objects.using(read_alias()).filter(
                q, indicator__in=codes, period__in=periods).values_list(
                "pk", "indicator", "period", "org_path", "breakdown", "numerator", "denominator"):
            if pk in seen or (code, period) not in wanted:
                continue
            seen.add(pk)
            cells[(code, period)][(path, breakdown)] = (num, den)
    out, limits = {}, {}
    for (code, period), group in cells.items():
        mask, group_limits = mask_cells(REGISTRY[code], group)
        limits.update(group_limits)
        for (path, breakdown), parts in mask.items():
            out[(code, period, path, breakdown)] = parts
    return out, limits


def exact_for(user, ind, path: str) -> bool:
    """Whether ``user`` reads the persons the indicator counts in the unit (then the numbers are exact)."""
    return user is not None and any(path_in_scope(user, capability, path) for capability in ind.readers)


def apply(user, rows: Iterable[Rollup]) -> list[Rollup]:
    """Hide what ``user`` may not see in ``rows`` (in memory; the rows are never saved): each row gets ``hidden``
    (``{part: reason}``, "value" included when a part is hidden) and ``cell_limit``. ``user=None``: a document shared
    with every indicator reader (reports), masked as for a reader without person rights."""
    rows = list(rows)
    mask, limits = masks(rows)
    for r in rows:
        r.hidden = {}
        ind = REGISTRY.get(r.indicator)
        if ind is None or not ind.counts_persons:
            continue
        r.cell_limit = limits.get(r.org_path) or small_cell_thresholds([r.org_path])[r.org_path]
        if exact_for(user, ind, r.org_path):
            continue
        parts = mask.get((r.indicator, r.period, r.org_path, r.breakdown), {})
        if not parts:
            continue
        hide(r, parts)
    return rows


def hide(r, parts: dict[str, str]) -> None:
    r.hidden = dict(parts)
    for part in parts:
        setattr(r, part, None)
    r.value = None
    r.hidden["value"] = smallcells.DERIVED


def suppressed(r) -> list[str]:
    """The names of a row's hidden fields (for the API and the federation export), in a fixed order."""
    hidden = getattr(r, "hidden", {}) or {}
    return [f for f in ("numerator", "denominator", "value") if f in hidden]


def excel_note(limit: int) -> str:
    """The note row under an Excel table with hidden cells (both languages, like the tables' headers)."""
    return (f"注：空白单元格按小数值抑制规则不予显示——少于{limit}人的计数（1–{limit - 1}），以及可据以推算出它们的数值"
            f"（下级单位可能另设阈值）。 Note: empty cells are suppressed small cells — counts of 1–{limit - 1} persons "
            f"and the figures they could be worked out from (a unit below may set its own threshold).")
