"""Region parameters: rules a region sets for its own subtree, as data (``RegionParameter`` rows, history kept).

``KNOWN`` lists every key with its type, range, default, what it means and who sets it. ``parameter(unit, key)`` is
the value in force: the latest row of the unit, else of its nearest ancestor that has one, else the default.
``set_parameter`` (in ``services``) validates against ``KNOWN``, writes a row and audits it.

Keys:

* ``small_cell_threshold`` — counts of persons from 1 to this value minus one are hidden from readers without
  person rights (``xinli.core.smallcells``, docs/indicators.md "Small cells"); 2–50, default the setting
  ``XINLI_SMALL_CELL`` (5). Set by holders of ``indicators.manage`` over the unit (the health-commission officer who
  also sets the unit's targets).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from xinli.core import smallcells
from xinli.core.policy import INDICATORS_MANAGE

from .models import OrgUnit, RegionParameter, path_prefixes


@dataclass(frozen=True)
class Known:
    key: str
    kind: type  # int, str (one of ``choices``) or list (of ``choices``)
    default: Callable[[], object]
    lowest: int | None
    highest: int | None
    capability: str  # who may set it over a unit
    label: object  # lazily translated name
    description: object  # lazily translated: what the value does
    choices: tuple = ()  # the allowed values of a str, or of a list's items
    labels: Callable[[], dict] | None = None  # choice -> lazily translated label, for the pages
    none_label: object = None  # what "no value" (the default None of an int) means, e.g. "no size cut"

    def choice_label(self, choice) -> str:
        return str((self.labels() if self.labels else {}).get(choice, choice))

    def shown(self, value) -> str:
        """The value as the pages show it, in the reader's language: a choice by its label, a list as its labels
        joined, "none" (or ``none_label``) for an int without a value."""
        if value is None or value == []:
            return str(self.none_label or _("none"))
        if self.kind is list:
            sep = ", " if (get_language() or "").startswith("en") else "、"
            return sep.join(self.choice_label(v) for v in value)
        if self.kind is str:
            return self.choice_label(value)
        return str(value)


def register(known: Known) -> None:
    """A domain app declares its own region parameter (regions may not import the apps above it): e.g. smd's
    ``t12_rule``, counselling's ``t09_tags``, network's ``t05_min_employees``, alerts' ``crisis_team_min_members``."""
    KNOWN[known.key] = known


KNOWN: dict[str, Known] = {k.key: k for k in [
    Known("small_cell_threshold", int, smallcells.threshold, smallcells.LOWEST, smallcells.HIGHEST, INDICATORS_MANAGE,
          _("small-cell threshold"),
          _("Counts of persons from 1 to this value minus one are not shown to readers without person rights in the "
            "unit (pages, API, Excel, reports and federation exports).")),
]}


@dataclass(frozen=True)
class InForce:
    """The value in force for a unit and where it comes from: ``row`` (the unit's own latest row, ``own``, or its
    nearest ancestor's) or ``None`` for the default."""

    key: str
    value: object
    row: RegionParameter | None
    own: bool = False


def _path(unit_or_path) -> str:
    return unit_or_path if isinstance(unit_or_path, str) else unit_or_path.path


def _latest_rows(key: str, paths: Iterable[str]) -> dict[str, RegionParameter]:
    """The latest row of ``key`` for each unit on the given paths (their ancestors included)."""
    prefixes = {p for path in paths for p in path_prefixes(path)}
    if not prefixes:
        return {}
    ids = {int(p.strip("/").split("/")[-1]) for p in prefixes}
    rows: dict[str, RegionParameter] = {}
    for row in (RegionParameter.objects.filter(key=key, org_unit_id__in=ids).select_related("org_unit", "set_by")
                .order_by("set_at", "id")):
        rows[row.org_unit.path] = row  # latest wins
    return rows


def in_force(unit_or_path, key: str) -> InForce:
    path = _path(unit_or_path)
    rows = _latest_rows(key, [path])
    for prefix in reversed(path_prefixes(path)):
        if prefix in rows:
            return InForce(key, rows[prefix].value, rows[prefix], own=prefix == path)
    return InForce(key, KNOWN[key].default(), None)


def parameter(unit_or_path, key: str):
    """The value of ``key`` in force for a unit (an ``OrgUnit`` or its path): its own latest row, else its nearest
    ancestor's, else the default."""
    return in_force(unit_or_path, key).value


def parameters(paths: Iterable[str], key: str) -> dict[str, object]:
    """``parameter(path, key)`` for many unit paths with one query: ``{path: value}``."""
    paths = set(paths)
    rows = _latest_rows(key, paths)
    default = KNOWN[key].default()
    out = {}
    for path in paths:
        out[path] = next((rows[p].value for p in reversed(path_prefixes(path)) if p in rows), default)
    return out


def history(unit: OrgUnit, key: str) -> list[RegionParameter]:
    """The rows of ``key`` that apply to the unit (its own and its ancestors'), latest first."""
    return list(RegionParameter.objects.filter(key=key, org_unit_id__in=unit.ancestor_ids).select_related("org_unit", "set_by"))


def small_cell_threshold(unit_or_path) -> int:
    return int(parameter(unit_or_path, "small_cell_threshold"))


def small_cell_thresholds(paths: Iterable[str]) -> dict[str, int]:
    return {p: int(v) for p, v in parameters(paths, "small_cell_threshold").items()}
