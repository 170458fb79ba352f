"""T10 心理健康核心知识知晓率 (城市 / 农村): the one home of the rule. The registry (``indicators.registry``, rows T10U
and T10R) points here; the publicity desk and the sample pages read ``estimates``. docs/indicators.md, "T10".

Source: 试点方案 三(七) — "城市、农村普通人群心理健康核心知识知晓率达到50%以上". Urban and rural are those of the
statistics bureau's 统计用城乡划分代码 on the village or community (111–123 urban, 210 and 220 rural; without a code the
unit's kind decides: 村委会 rural, 居委会 urban — "estimated").

A respondent passes with at least the questionnaire's pass mark of correct answers. For a unit, a year and an area:

* **probability sample (抽样调查)** — when the unit lies in the area of a sample of the year (the sample was drawn for
  the unit or a unit above it), or samples drawn below it cover every village and community of the unit, and their
  invited residents have answered: the design-weighted share passing. Each respondent of stratum h (a sample's urban or rural
  residents) weighs w_h = N_h ÷ r_h (N_h eligible residents in the frame at the draw, r_h respondents of the stratum so
  far); numerator Σ w·passed (residents estimated to pass), denominator Σ w (residents represented). 95 % interval:
  Wilson's score interval at Kish's effective sample size n_eff = (Σ w)² ÷ Σ w² (design effect of unequal weights
  deff = n ÷ n_eff; Kish 1965, *Survey Sampling*; the effective-sample-size Wilson interval of Korn & Graubard 1998,
  *Survey Methodology* 24:193–201). It ignores the variance reduction of stratification (conservative) and the
  finite-population correction. Open-link answers in the same unit are reported beside it, never mixed in.
* **convenience sample (便利样本)** — otherwise: the open-link answers, respondents passing ÷ respondents, with
  Wilson's score interval (Wilson 1927, JASA 22:209–212; Newcombe 1998, *Stat Med* 17:857–872). Labelled so: it says
  nothing certain about the population. Sampled answers of a part of the unit (a sample in one county of a city) are
  reported beside it: they represent that part only.

Urban or rural: an open-link answer is classified by its village as it is now (so importing codes reclassifies past
answers); a sampled answer by its stratum at the draw (the weights are per stratum).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.regions.codes import is_rural
from xinli.regions.models import OrgUnit, common_path, path_prefixes, valid_on

from .models import AwarenessResponse, AwarenessSample, SampleStratum

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution
SOURCE = "试点方案 三(七)"
CONVENIENCE, DESIGN = "convenience", "design"
SAMPLE_KINDS = {CONVENIENCE: _("convenience sample (open link)"), DESIGN: _("probability sample (design-weighted)")}
AREA_LABELS = {"urban": _("urban"), "rural": _("rural")}
DEFINITION = {
    "urban": _("respondents in urban villages/communities (urban-rural code 111–123; without a code, residents' committees) "
               "from 1 January to the period end who pass ÷ respondents: design-weighted when the area ran a probability "
               "sample, else the open-link answers (convenience sample)"),
    "rural": _("respondents in rural villages (urban-rural code 210, 220; without a code, village committees) from 1 January "
               "to the period end who pass ÷ respondents: design-weighted when the area ran a probability sample, else the "
               "open-link answers (convenience sample)"),
}
NUMERATOR = _("respondents passing (probability sample: residents represented who pass)")
DENOMINATOR = _("respondents (probability sample: residents represented)")
FOUR = Decimal("0.0001")


def wilson(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a proportion ``p`` observed on ``n`` (> 0; an effective size may be fractional)."""
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Cell:
    """What one unit's answers of one area add up to."""

    n: int = 0  # open-link respondents
    passed: int = 0
    design_n: int = 0  # sampled respondents
    design_passed: int = 0
    sw: Fraction = field(default_factory=Fraction)  # Σ w
    swp: Fraction = field(default_factory=Fraction)  # Σ w · passed
    sw2: Fraction = field(default_factory=Fraction)  # Σ w²
    covered: bool = False  # the unit lies wholly in the area of the year's samples


@dataclass(frozen=True)
class Estimate:
    """T10 of one unit, year and area, as reported: which sample, n, the value and its 95 % interval; ``aside`` the
    answers of the other kind, reported beside it and not counted in it."""

    area: str
    kind: str  # "design", "convenience" or "" (nobody answered)
    n: int
    passed: int
    numerator: Decimal | int
    denominator: Decimal | int
    value: float | None
    low: float | None
    high: float | None
    n_eff: float | None = None
    deff: float | None = None
    aside: Estimate | None = None

    @property
    def kind_label(self) -> str:
        return str(SAMPLE_KINDS.get(self.kind, ""))

    @property
    def area_label(self) -> str:
        return str(AREA_LABELS[self.area])


def cells(units, year: int, as_of=None) -> dict[int, dict[str, Cell]]:
    """``{unit.pk: {"urban": Cell, "rural": Cell}}`` from one scan of the year's answers up to ``as_of`` under the
    units' common root; every answer is added to each unit on its path."""
    as_of = as_of or min(timezone.localdate(), timezone.localdate().replace(year=year, month=12, day=31))
    units = list(units)
    by_path = {u.path: u.pk for u in units}
    out = {u.pk: {"urban": Cell(), "rural": Cell()} for u in units}
    if not units:
        return out
    rows = list(AwarenessResponse.objects.filter(org_path__startswith=common_path([u.path for u in units]), answered_on__year=year,
                                                 answered_on__lte=as_of)
                .values_list("org_path", "passed", "sample_id", "rural", "org_unit__urban_rural_code", "org_unit__kind"))
    weights = _weights({r[2] for r in rows if r[2] is not None}, as_of)
    if weights:
        for pk, covered in _covered(units, year, as_of).items():
            out[pk]["urban"].covered = out[pk]["rural"].covered = covered
    for path, passed, sample_id, rural, code, kind in rows:
        if sample_id is None:
            area, w = ("rural" if is_rural(code, kind) else "urban"), None
        else:
            area, w = ("rural" if rural else "urban"), weights[(sample_id, rural)]
        prefix = "/"
        for part in path.strip("/").split("/"):
            prefix += part + "/"
            pk = by_path.get(prefix)
            if pk is None:
                continue
            c = out[pk][area]
            if w is None:
                c.n += 1
                c.passed += passed
            else:
                c.design_n += 1
                c.design_passed += passed
                c.sw += w
                c.swp += w * passed
                c.sw2 += w * w
    return out


def _covered(units, year: int, as_of) -> dict[int, bool]:
    """Per unit: does it lie wholly in the area of the year's samples — drawn for the unit or above it, or for units
    below it that together hold every village and community of the unit (on ``as_of``)?"""
    paths = list(AwarenessSample.objects.filter(year=year).values_list("org_path", flat=True))
    by_path = {u.path: u.pk for u in units}
    villages, outside = dict.fromkeys(by_path.values(), 0), dict.fromkeys(by_path.values(), 0)
    for path in OrgUnit.objects.filter(valid_on(as_of), level="village", path__startswith=common_path(list(by_path))).values_list("path", flat=True):
        inside = any(path.startswith(p) for p in paths)
        for prefix in path_prefixes(path):
            pk = by_path.get(prefix)
            if pk is not None:
                villages[pk] += 1
                outside[pk] += not inside
    return {u.pk: any(u.path.startswith(p) for p in paths) or (villages[u.pk] > 0 and outside[u.pk] == 0) for u in units}


def _weights(sample_ids, as_of) -> dict[tuple[int, bool], Fraction]:
    """w_h = N_h ÷ r_h per (sample, stratum): the stratum's frame population over its respondents up to ``as_of`` (all
    of them, wherever the unit computed lies)."""
    if not sample_ids:
        return {}
    counts = (AwarenessResponse.objects.filter(sample_id__in=sample_ids, answered_on__lte=as_of)
              .values("sample_id", "rural").annotate(n=Count("id")).order_by())
    respondents = {(r["sample_id"], r["rural"]): r["n"] for r in counts}
    return {(s.sample_id, s.rural): Fraction(s.population, respondents[(s.sample_id, s.rural)])
            for s in SampleStratum.objects.filter(sample_id__in=sample_ids) if respondents.get((s.sample_id, s.rural))}


def _dec(x: Fraction) -> Decimal:
    return (Decimal(x.numerator) / Decimal(x.denominator)).quantize(FOUR, ROUND_HALF_UP)


def _design(cell: Cell, area: str, aside: Estimate | None = None) -> Estimate:
    p = float(cell.swp / cell.sw)
    n_eff = float(cell.sw * cell.sw / cell.sw2)
    low, high = wilson(p, n_eff)
    return Estimate(area, DESIGN, cell.design_n, cell.design_passed, _dec(cell.swp), _dec(cell.sw), p, low, high,
                    n_eff=n_eff, deff=cell.design_n / n_eff, aside=aside)


def _convenience(cell: Cell, area: str, aside: Estimate | None = None) -> Estimate:
    if not cell.n:
        return Estimate(area, "", 0, 0, 0, 0, None, None, None, aside=aside)
    p = cell.passed / cell.n
    low, high = wilson(p, cell.n)
    return Estimate(area, CONVENIENCE, cell.n, cell.passed, cell.passed, cell.n, p, low, high, n_eff=float(cell.n), deff=1.0, aside=aside)


def estimate(cell: Cell, area: str) -> Estimate:
    """The reported T10 of one cell: the probability sample when it covers the unit, else the convenience sample;
    the other kind's answers, if any, beside it."""
    if cell.design_n and cell.covered:
        return _design(cell, area, aside=_convenience(cell, area) if cell.n else None)
    return _convenience(cell, area, aside=_design(cell, area) if cell.design_n else None)


def estimates(unit, year: int, as_of=None) -> dict[str, Estimate]:
    """T10 urban and rural of one unit (any level) for the year, with n and the 95 % interval."""
    c = cells([unit], year, as_of)[unit.pk]
    return {area: estimate(c[area], area) for area in ("urban", "rural")}


def many(rural: bool):
    """The registry's set-based computation of T10U (``rural=False``) or T10R: per unit the reported value as
    (numerator, denominator) and, as breakdowns, each sample kind that has answers (``sample=design``,
    ``sample=convenience``) — so every output says which sample a figure comes from."""
    area = "rural" if rural else "urban"

    def compute(units, year, as_of, memo):
        key = ("t10", tuple(u.pk for u in units), year, as_of)
        if key not in memo:
            memo[key] = cells(units, year, as_of)
        by_pk = memo[key]  # once: the key holds every unit's pk, and hashing it is not free
        out = {}
        for u in units:
            c = by_pk[u.pk][area]
            e = estimate(c, area)
            rows = {"": (e.numerator, e.denominator)}
            if c.design_n:
                rows[f"sample={DESIGN}"] = (_dec(c.swp), _dec(c.sw))
            if c.n:
                rows[f"sample={CONVENIENCE}"] = (c.passed, c.n)
            out[u.pk] = rows
        return out

    return compute
