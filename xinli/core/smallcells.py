"""Small-cell suppression (小数值抑制) for aggregates shown to readers without person rights: the one place of the
rule (docs/indicators.md, "Small cells"). Pure functions: the caller passes the threshold in force (the unit's
``small_cell_threshold`` parameter, ``xinli.regions.parameters``; ``threshold()`` is the deployment default).

**Primary suppression.** A count of persons n with 1 <= n < threshold is hidden (reason ``SMALL``: "<5" on pages,
``null`` in the API, an empty cell in Excel). 0 and counts >= threshold are shown (a cell of exactly the threshold is
shown). When a rate's numerator and denominator both count persons, the numerator is also hidden when the
complement (denominator − numerator, the persons *without* the attribute) is from 1 to threshold − 1 (reason
``DERIVED``): "6 of 7 patients take their medication" names the one who does not as surely as "1 of 7" would.

**Rates.** A rate (value) is shown only when every person-count part of it is shown.

**Secondary (complementary) suppression** (``protect_tree``). Where a table holds a total and its parts — a unit
and the units directly below it (the same breakdown), or a unit's total and the categories of one breakdown
dimension (sex=F, sex=M, sex=U) — a single hidden part could be recovered by subtraction. So, per part (numerator,
denominator) separately and top-down through the tree:

* R1: total shown and exactly one part hidden → also hide the smallest other shown part that is not 0 (else the
  smallest other shown part, a 0); reason ``DERIVED``.
* R2: total hidden and no part hidden → hide the smallest shown part that is not 0 (else the parts, which are all 0,
  give nothing away), so the hidden total cannot be rebuilt by adding its parts up.

Each group's decision depends only on the states of its total and the primary states of its members, processed
parents before children in a fixed order, so the mask of a cell is the same whichever page, export or API call
computes it — as long as the caller loads the whole chain of sibling groups above the cells it shows
(``xinli/indicators/disclosure.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.conf import settings

SMALL = "small"  # a count from 1 to threshold − 1 ("<5")
DERIVED = "derived"  # hidden so that a small count (or a small complement) cannot be worked out ("*")
PARTS = ("numerator", "denominator")
LOWEST, HIGHEST = 2, 50  # the range a region may set (regions.parameters)


def threshold() -> int:
    """The deployment default (setting ``XINLI_SMALL_CELL``, default 5); a unit's own threshold is the region
    parameter ``small_cell_threshold`` (``xinli.regions.parameters.parameter``)."""
    return int(getattr(settings, "XINLI_SMALL_CELL", 5))


def _number(n):
    if n is None or isinstance(n, bool):
        return None
    if isinstance(n, int | float | Decimal):
        return n
    return None


def is_small(n, limit: int | None = None) -> bool:
    """1 <= n < limit (0, None and counts >= limit are not small)."""
    limit = threshold() if limit is None else limit
    n = _number(n)
    return n is not None and 0 < n < limit


def primary(numerator, denominator, *, limit: int, parts: Iterable[str] = PARTS) -> dict[str, str]:
    """The parts of one cell hidden by the primary rule: ``{part: SMALL | DERIVED}``. ``numerator`` and
    ``denominator`` are counts of persons (numerators are stored unscaled); ``parts``
    names those that count persons (a population denominator is not a count of persons with an attribute)."""
    parts = set(parts)
    hidden = {}
    for part, n in (("numerator", numerator), ("denominator", denominator)):
        if part in parts and is_small(n, limit):
            hidden[part] = SMALL
    num, den = _number(numerator), _number(denominator)
    # The complement is worked out only from a shown denominator.
    if {"numerator", "denominator"} <= parts and not hidden and num is not None and den is not None and is_small(den - num, limit):
        hidden["numerator"] = DERIVED
    return hidden


def suppress(counts: dict, rates: dict, rate_parts: dict, *, limit: int | None = None, keep=()) -> tuple[dict, dict, list[str]]:
    """One unit's counts and rates: ``rate_parts`` maps a rate to (numerator field, denominator field); ``keep`` names
    counts that are not counts of persons with an attribute (the population). Small counts are hidden, and a rate's
    numerator when its complement is small (both parts counted, see ``primary``). Returns (counts, rates, hidden
    names, sorted)."""
    hidden = hidden_counts(counts, rate_parts, limit=limit, keep=keep)
    return apply_counts(counts, rates, rate_parts, hidden)


def hidden_counts(counts: dict, rate_parts: dict, *, limit: int | None = None, keep=()) -> dict[str, str]:
    """The primary rule over a record of counts: ``{count name: SMALL | DERIVED}``."""
    limit = threshold() if limit is None else limit
    hidden = {k: SMALL for k, v in counts.items() if k not in keep and is_small(v, limit)}
    for num, den in rate_parts.values():
        if num in keep or den in keep or num in hidden:
            continue
        if primary(counts.get(num), counts.get(den), limit=limit).get("numerator") == DERIVED:
            hidden[num] = DERIVED
    return hidden


def apply_counts(counts: dict, rates: dict, rate_parts: dict, hidden: Mapping[str, str]) -> tuple[dict, dict, list[str]]:
    out_counts = {k: (None if k in hidden else v) for k, v in counts.items()}
    out_rates = {k: (None if any(p in hidden for p in rate_parts.get(k, ())) else v) for k, v in rates.items()}
    return out_counts, out_rates, sorted(hidden)


# --- secondary suppression over a tree of units -------------------------------------------------------------------

def _parent_path(path: str) -> str | None:
    parts = path.strip("/").split("/")
    return "/" + "".join(p + "/" for p in parts[:-1]) if len(parts) > 1 else None


def _depth(path: str) -> int:
    return path.count("/")


def _dimension(key: str) -> str:
    return key.partition("=")[0]


def protect_tree(values: Mapping[tuple[str, str], Mapping[str, object]], hidden: Mapping[tuple[str, str], Mapping[str, str]],
                 *, parts: Iterable[str] = PARTS, fixed: Iterable[str] = ()) -> dict[tuple[str, str], dict[str, str]]:
    """Secondary suppression over cells keyed ``(unit path, breakdown)`` ("" = the unit's total).

    ``values``: each cell's person counts ``{part: number or None}``; ``hidden``: the primary mask ``{part: reason}``
    (cells of ``fixed`` unit paths are never hidden: a federation export's root). Returns the full mask, primary and
    secondary. The groups are a unit's children for one breakdown (total: the unit's cell of that breakdown) and a
    unit's breakdown categories of one dimension (total: the unit's "" cell); rules R1 and R2 of the module docstring,
    per part, parents before children."""
    fixed = set(fixed)
    out: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for key, mask in hidden.items():
        if key[0] not in fixed:
            out[key].update(mask)
    paths = sorted({p for p, _k in values}, key=lambda p: (_depth(p), p))
    present = set(paths)
    children: dict[str, list[str]] = defaultdict(list)
    keys: dict[str, list[str]] = defaultdict(list)
    for (path, key) in sorted(values):
        keys[path].append(key)
    for path in paths:
        parent = _parent_path(path)
        if parent in present:
            children[parent].append(path)

    def dimension_groups(path):
        dims: dict[str, list] = defaultdict(list)
        for key in keys[path]:
            if key:
                dims[_dimension(key)].append((path, key))
        return [((path, ""), members) for _d, members in sorted(dims.items())]

    for part in parts:
        def value(cell, part=part):
            return _number((values.get(cell) or {}).get(part))

        def is_hidden(cell, part=part):
            return part in out.get(cell, {})

        def settle(groups, part=part):
            changed = True
            while changed:
                changed = False
                for total, members in groups:
                    if total not in values or value(total) is None:
                        continue  # no total to subtract from
                    shown = [m for m in members if not is_hidden(m) and value(m) is not None and m[0] not in fixed]
                    hidden_members = [m for m in members if is_hidden(m)]
                    if is_hidden(total):
                        if hidden_members:
                            continue
                        pick = sorted((m for m in shown if value(m) > 0), key=lambda m: (value(m), m))
                    else:
                        if len(hidden_members) != 1:
                            continue
                        pick = (sorted((m for m in shown if value(m) > 0), key=lambda m: (value(m), m))
                                or sorted(shown, key=lambda m: (value(m), m)))
                    if pick:
                        out[pick[0]][part] = DERIVED
                        changed = True

        tops = [p for p in paths if _parent_path(p) not in present]
        for top in tops:
            settle(dimension_groups(top))
        for path in paths:
            kids = children.get(path)
            if not kids:
                continue
            groups = []
            for key in sorted({k for c in kids for k in keys[c]}):
                groups.append(((path, key), [(c, key) for c in kids if (c, key) in values]))
            for c in kids:
                groups.extend(dimension_groups(c))
            settle(groups)
    return {k: dict(v) for k, v in out.items() if v}
