"""Load and validate instrument definitions (docs/scale-definitions.md).

A definition is data; this module checks it once at load so that the scoring engine can trust it: references
resolve, option sets exist, and the bands cover every score the instrument can produce, without gaps or overlaps.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

DEFINITIONS_DIR = Path(__file__).parent / "definitions"
ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "floor": ROUND_FLOOR, "none": None}
TOP_KEYS = {"code", "version", "name", "short_name", "instructions", "licence", "source", "restricted", "loinc",
            "option_sets", "items", "scoring", "subscales", "bands", "bands_by_sex", "band_rules", "critical", "skip", "flags"}
SCORING_KEYS = {"reverse", "missing", "multiplier", "rounding", "total", "total_subscales", "cutoff_setting"}


class DefinitionError(ValueError):
    """A definition file is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Option:
    value: int
    label: dict
    answer: str = ""  # "yes"/"no" for yes/no items
    loinc: str = ""


@dataclass(frozen=True)
class Item:
    id: str
    text: dict
    options: tuple[Option, ...]
    scored: bool = True
    loinc: str = ""

    @property
    def values(self) -> list[int]:
        return [o.value for o in self.options]

    @property
    def min(self) -> int:
        return min(self.values)

    @property
    def max(self) -> int:
        return max(self.values)

    @property
    def is_yes_no(self) -> bool:
        return {o.answer for o in self.options} == {"yes", "no"}


@dataclass(frozen=True)
class Band:
    code: str
    label: dict
    advice: dict
    severity: int
    min: Decimal | None = None
    max: Decimal | None = None
    when: dict | None = None

    def contains(self, value: Decimal) -> bool:
        return self.min <= value <= self.max


@dataclass(frozen=True)
class Definition:
    raw: dict
    code: str
    version: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...] = ()
    bands_by_sex: dict = field(default_factory=dict)
    band_rules: tuple[Band, ...] = ()

    @property
    def item_map(self) -> dict[str, Item]:
        return {i.id: i for i in self.items}

    @property
    def scored_items(self) -> list[Item]:
        return [i for i in self.items if i.scored]

    @property
    def scoring(self) -> dict:
        return self.raw.get("scoring", {})

    @property
    def subscales(self) -> list[dict]:
        return self.raw.get("subscales", [])

    @property
    def critical(self) -> list[dict]:
        return self.raw.get("critical", [])

    @property
    def skip(self) -> list[dict]:
        return self.raw.get("skip", [])

    @property
    def flags(self) -> list[dict]:
        return self.raw.get("flags", [])

    @property
    def rounding(self):
        return ROUNDING[self.scoring.get("rounding", "half_up")]

    @property
    def multiplier(self) -> Decimal:
        return Decimal(str(self.scoring.get("multiplier", 1)))

    @property
    def needs_sex(self) -> bool:
        return bool(self.bands_by_sex)

    def name(self, lang: str = "zh-hans") -> str:
        return self.raw["name"].get(lang) or self.raw["name"]["en"]


def _text(obj, where: str) -> dict:
    if not isinstance(obj, dict) or not obj.get("zh-hans") or not obj.get("en"):
        raise DefinitionError(f"{where}: needs both zh-hans and en text")
    return obj


def _band(raw: dict, where: str, rule: bool = False) -> Band:
    if not re.match(r"^[a-z][a-z0-9_]*$", str(raw.get("code", ""))):
        raise DefinitionError(f"{where}: band code must be snake_case")
    common = {"code": raw["code"], "label": _text(raw.get("label"), f"{where} label"),
              "advice": raw.get("advice") or {"zh-hans": "", "en": ""}, "severity": int(raw.get("severity", 0))}
    if rule:
        if not isinstance(raw.get("when"), dict):
            raise DefinitionError(f"{where}: band rule needs 'when'")
        return Band(when=raw["when"], **common)
    try:
        lo, hi = Decimal(str(raw["min"])), Decimal(str(raw["max"]))
    except (KeyError, ArithmeticError) as exc:
        raise DefinitionError(f"{where}: band needs numeric min and max") from exc
    if lo > hi:
        raise DefinitionError(f"{where}: min {lo} is above max {hi}")
    return Band(min=lo, max=hi, **common)


def parse(raw: dict, origin: str = "definition") -> Definition:
    """Build a Definition from parsed JSON and validate it; raises DefinitionError naming what is wrong."""
    if not isinstance(raw, dict):
        raise DefinitionError(f"{origin}: must be a JSON object")
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise DefinitionError(f"{origin}: unknown keys {sorted(unknown)}")
    code = raw.get("code", "")
    if not re.match(r"^[a-z][a-z0-9_]{1,30}$", str(code)):
        raise DefinitionError(f"{origin}: 'code' must be lower-case letters, digits and _")
    where = f"{origin} ({code})"
    _text(raw.get("name"), f"{where} name")
    _text(raw.get("licence"), f"{where} licence")
    if not raw.get("version"):
        raise DefinitionError(f"{where}: 'version' is required")
    option_sets = {}
    for set_name, options in (raw.get("option_sets") or {}).items():
        if not options:
            raise DefinitionError(f"{where}: option set {set_name} is empty")
        parsed = []
        for o in options:
            if not isinstance(o.get("value"), int):
                raise DefinitionError(f"{where}: option set {set_name}: every value must be an integer")
            parsed.append(Option(o["value"], _text(o.get("label"), f"{where} option {set_name}/{o['value']}"),
                                 o.get("answer", ""), o.get("loinc", "")))
        if len({o.value for o in parsed}) != len(parsed):
            raise DefinitionError(f"{where}: option set {set_name} repeats a value")
        option_sets[set_name] = tuple(parsed)
    items = []
    for raw_item in raw.get("items") or []:
        iid = str(raw_item.get("id", ""))
        if not iid:
            raise DefinitionError(f"{where}: an item has no id")
        options = raw_item.get("options")
        if options not in option_sets:
            raise DefinitionError(f"{where}: item {iid} uses unknown option set {options!r}")
        items.append(Item(iid, _text(raw_item.get("text"), f"{where} item {iid}"), option_sets[options],
                          bool(raw_item.get("scored", True)), raw_item.get("loinc", "")))
    if not items:
        raise DefinitionError(f"{where}: no items")
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        raise DefinitionError(f"{where}: repeated item ids")
    scored_ids = {i.id for i in items if i.scored}
    scoring = raw.get("scoring") or {}
    if set(scoring) - SCORING_KEYS:
        raise DefinitionError(f"{where}: unknown scoring keys {sorted(set(scoring) - SCORING_KEYS)}")
    if scoring.get("rounding", "half_up") not in ROUNDING:
        raise DefinitionError(f"{where}: rounding must be one of {sorted(ROUNDING)}")

    def check_refs(refs, what):
        missing = [r for r in refs if str(r) not in scored_ids]
        if missing:
            raise DefinitionError(f"{where}: {what} refers to unknown or unscored items {missing}")

    check_refs(scoring.get("reverse", []), "reverse")
    sub_codes = set()
    for s in raw.get("subscales", []):
        check_refs(s.get("items", []), f"subscale {s.get('code')}")
        if s.get("method", "sum") not in ("sum", "mean"):
            raise DefinitionError(f"{where}: subscale {s.get('code')} method must be sum or mean")
        sub_codes.add(s.get("code"))
    if scoring.get("total") == "subscales":
        bad = [c for c in scoring.get("total_subscales", []) if c not in sub_codes]
        if bad or not scoring.get("total_subscales"):
            raise DefinitionError(f"{where}: total_subscales must name subscales, not {bad}")
    for c in raw.get("critical", []):
        check_refs([c.get("item")], "critical")
        if c.get("level") not in ("red", "orange", "yellow"):
            raise DefinitionError(f"{where}: critical item {c.get('item')} level must be red, orange or yellow")
    for s in raw.get("skip", []):
        check_refs([s.get("if_item")] + list(s.get("skip", [])), "skip")

    bands = tuple(_band(b, f"{where} band {b.get('code')}") for b in raw.get("bands", []))
    by_sex = {sex: tuple(_band(b, f"{where} {sex} band {b.get('code')}") for b in bl)
              for sex, bl in (raw.get("bands_by_sex") or {}).items()}
    rules = tuple(_band(b, f"{where} band rule {b.get('code')}", rule=True) for b in raw.get("band_rules", []))
    if sum(bool(x) for x in (bands, by_sex, rules)) != 1:
        raise DefinitionError(f"{where}: give exactly one of bands, bands_by_sex or band_rules")
    if by_sex and set(by_sex) != {"male", "female"}:
        raise DefinitionError(f"{where}: bands_by_sex needs male and female")
    definition = Definition(raw=raw, code=code, version=str(raw["version"]), items=tuple(items), bands=bands,
                            bands_by_sex=by_sex, band_rules=rules)
    achievable = achievable_scores(definition)
    for label, band_list in ([("bands", bands)] if bands else []) + [(f"{s} bands", b) for s, b in by_sex.items()]:
        _check_coverage(where, label, band_list, achievable)
    return definition


def _check_coverage(where: str, label: str, bands, achievable: set[Decimal]) -> None:
    ordered = sorted(bands, key=lambda b: b.min)
    for a, b in itertools.pairwise(ordered):
        if b.min <= a.max:
            raise DefinitionError(f"{where}: {label} {a.code} and {b.code} overlap")
    for score in sorted(achievable):
        if not any(b.contains(score) for b in bands):
            raise DefinitionError(f"{where}: {label} leave score {score} uncovered")


def achievable_scores(d: Definition) -> set[Decimal]:
    """Every reported score the instrument can produce (used to check band coverage)."""
    from .engine import report_value

    if d.scoring.get("total") == "subscales":
        hi = 0
        for code in d.scoring["total_subscales"]:
            sub = next(s for s in d.subscales if s["code"] == code)
            hi += sum(d.item_map[str(i)].max for i in sub["items"])
        lo = 0
        return {Decimal(v) for v in range(lo, hi + 1)}
    items = d.scored_items
    lo, hi = sum(i.min for i in items), sum(i.max for i in items)
    raws = set()
    # Sums reachable with every answer given: enumerate by dynamic programming over item values.
    reachable = {0}
    for item in items:
        reachable = {r + v for r in reachable for v in item.values}
    raws |= reachable
    if d.scoring.get("missing", {}).get("prorate"):
        n = len(items)
        for missing in range(1, d.scoring["missing"].get("max", 0) + 1):
            kept = n - missing  # sums reachable with `kept` answered items, scaled back to n items
            plo = sum(sorted(i.min for i in items)[:kept])
            phi = sum(sorted((i.max for i in items), reverse=True)[:kept])
            for partial in range(plo, phi + 1):
                raws.add(Decimal(partial) * n / kept)
    # Skipped items score 0 and are within the reachable sums already (0 is an option value where skips apply).
    return {report_value(d, Decimal(r)) for r in raws}


def load_file(path: Path) -> Definition:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DefinitionError(f"{path.name}: not valid JSON ({exc})") from exc
    return parse(raw, path.name)


@lru_cache(maxsize=1)
def registry() -> dict[str, Definition]:
    """Every definition shipped in ``definitions/`` plus those imported by the operator (``ImportedScale`` rows)."""
    found = {}
    for path in sorted(DEFINITIONS_DIR.glob("*.json")):
        d = load_file(path)
        found[d.code] = d
    found.update(_imported())
    return found


def _imported() -> dict[str, Definition]:
    try:
        from .models import ImportedScale

        return {row.code: parse(row.definition, f"imported {row.code}") for row in ImportedScale.objects.filter(active=True)}
    except Exception:  # noqa: BLE001 - the table may not exist yet (before migrate); shipped definitions still load
        return {}


def get(code: str) -> Definition:
    return registry()[code]


def band_name(code: str, band: str, lang: str | None = None) -> str:
    """The label of band ``band`` of instrument ``code`` in ``lang`` (default: the active language); the band code
    when the instrument or band is unknown."""
    from django.utils.translation import get_language

    d = registry().get(code or "")
    if d is None:
        return band
    lang = lang or ("en" if (get_language() or "").startswith("en") else "zh-hans")
    for b in list(d.bands) + [x for bl in d.bands_by_sex.values() for x in bl] + list(d.band_rules):
        if b.code == band:
            return b.label.get(lang) or b.label["en"]
    return band


def short_name(code: str) -> str:
    """The name an instrument is known by (PHQ-9), for labels; the upper-cased code for a retired definition."""
    d = registry().get(code)
    return (d.raw.get("short_name") if d is not None else None) or code.upper()


def reload() -> None:
    registry.cache_clear()
