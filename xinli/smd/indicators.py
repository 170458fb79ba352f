"""SMD indicators per org unit and calendar year (DOMAIN.md §4 T11–T17, §5). Definitions, as computed here:

* **in register** — patients registered on or before the end of the period (31 December, or ``today`` for the
  current year or a month's end) whose status is ``in_register``, or who left the register (moved out, died, removed)
  after it (a past year or month is computed as it stood then).
* **reported prevalence (T11)** — in register ÷ resident population of the unit in that year × 1000 (‰). The
  population is the unit's own ``UnitPopulation`` row for the year, else the sum of its descendants' rows.
* **managed** — in register with at least one *complete* follow-up (patient seen or reached: not lost, not a death
  record) dated in the year.
* **standardised management (T12)** — the national basic public-health service norm (国家基本公共卫生服务规范
  (第三版), 严重精神障碍患者管理: at least four follow-ups a year): a patient in register at the period end is
  standardised when the *complete* follow-ups (patient seen — clinic, home or phone; not a lost-to-follow-up or death
  record) dated from max(1 January, registration date, move-in date) to the period end number at least
  ``required = min(4, max(1, floor(d / 91)))``, d being the days of that interval, inclusive. A patient who moved
  inside the platform counts for the unit responsible at the period end (an accepted transfer moves them on the day
  of acceptance) and the interval starts at that move-in (the last acceptance on or before the period end); one
  registered by transfer from elsewhere is registered here on the day of the transfer. Follow-ups count for the
  patient wherever they were done. The month-end (year-to-date)
  value uses the same formula with the month end, so it does not fall through the year by construction.
  **Alternative (local) rule** ``gap92``: no gap longer than 3 months (92 days) between adjacent complete follow-ups
  in the year, the first gap from max(1 January, registration, move-in) and the last to the period end — stricter; a region
  selects it as data (``standardised_gap`` is computed for every unit; ``t12_rule`` says which one a figure used).
* **taking medication (T13)** — in register whose last complete follow-up in the year records adherence regular or
  intermittent, or who is in hospital now (hospitalisation "current"). **Schizophrenia (T14)** — the same over F20.
* **regular medication (T15)** — in register whose last complete follow-up in the year records regular adherence.
* **stable rate** — stable at the last follow-up of the year ÷ home-dwelling managed patients.
* **community rehabilitation (T16)** — home-dwelling in register with a rehabilitation record overlapping the year ÷
  home-dwelling in register.
* **patient and family counselling (T17, 居家患者及家属心理疏导率)** — home-dwelling in register who, or whose family,
  received psychological counselling (心理疏导: support kinds ``counselling`` or ``family_counselling``) from a
  primary-care institution (基层医疗卫生机构, ``Support.primary_care``) dated in the year up to the period end ÷
  home-dwelling in register. Family-school sessions (家属学校, run by mental-health institutions) do not count.
* **on time** — follow-up tasks due in the year (up to today) that were done on or before the due date ÷ those tasks.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.archives import transfers
from xinli.core import smallcells
from xinli.core.policy import INDICATORS_MANAGE, SMD_VIEW
from xinli.core.scoping import path_in_scope
from xinli.regions import parameters
from xinli.regions.models import OrgUnit, UnitPopulation, common_path, path_prefixes
from xinli.regions.parameters import small_cell_threshold, small_cell_thresholds

from .models import Adherence, Classification, Diagnosis, FollowUp, Patient, Residence, Status, Support, Task

GAP_DAYS = 92
T12_RULES = ("national", "gap92")  # the national norm (default) and the stricter local no-gap rule
T12_RULE_LABELS = {
    "national": _("national basic public-health service norm (follow-ups by days in the register, at most 4)"),
    "gap92": _("local rule: no gap over 3 months between follow-ups"),
}
COUNSELLING_KINDS = (Support.Kind.COUNSELLING, Support.Kind.FAMILY_COUNSELLING)


def t12_rules_for(units) -> dict[int, str]:
    """The T12 rule in force for each unit (region parameter ``t12_rule``: "national", the default, or "gap92")."""
    rules = parameters.parameters([u.path for u in units], "t12_rule")
    return {u.pk: rules[u.path] for u in units}


parameters.register(parameters.Known(
    "t12_rule", str, lambda: "national", None, None, INDICATORS_MANAGE, _("T12 rule"),
    _("Which definition T12 uses: the national basic public-health service norm (the default), or the stricter local rule "
      "of no gap over 3 months (92 days) between follow-ups."),
    choices=T12_RULES, labels=lambda: T12_RULE_LABELS))


def required_follow_ups(first_day: datetime.date, until: datetime.date) -> int:
    """T12 (national norm): the complete follow-ups a patient needs from ``first_day`` to ``until`` (both included):
    min(4, max(1, floor(d / 91)))."""
    d = (until - first_day).days + 1
    return min(4, max(1, d // 91))


@dataclass
class SmdIndicators:
    unit: OrgUnit
    year: int
    population: int | None = None
    in_register: int = 0
    managed: int = 0
    standardised: int = 0  # by ``t12_rule``
    standardised_national: int = 0
    standardised_gap: int = 0
    medicated: int = 0
    regular: int = 0
    schizophrenia: int = 0
    schizophrenia_medicated: int = 0
    home: int = 0
    home_managed: int = 0
    stable: int = 0
    rehab: int = 0
    family: int = 0
    tasks_due: int = 0
    tasks_on_time: int = 0
    t12_rule: str = "national"
    rates: dict = field(default_factory=dict)

    RATE_PARTS = {"prevalence_per_mille": ("in_register", "population"), "management_rate": ("managed", "in_register"),
                  "standardised_rate": ("standardised", "in_register"), "medication_rate": ("medicated", "in_register"),
                  "regular_medication_rate": ("regular", "in_register"),
                  "schizophrenia_medication_rate": ("schizophrenia_medicated", "schizophrenia"),
                  "stable_rate": ("stable", "home_managed"), "rehab_rate": ("rehab", "home"),
                  "family_counselling_rate": ("family", "home"), "on_time_rate": ("tasks_on_time", "tasks_due")}
    COUNTS = ("population", "in_register", "managed", "standardised", "standardised_national", "standardised_gap", "medicated",
              "regular", "schizophrenia", "schizophrenia_medicated", "home", "home_managed", "stable", "rehab", "family", "tasks_due", "tasks_on_time")

    def for_reader(self, user, hidden: dict[str, str] | None = None) -> tuple[dict, dict, list[str]]:
        """(counts, rates, suppressed): real numbers for a reader with SMD person rights in the unit; for everyone
        else the small cells hidden (``hidden``: the mask from ``protect``, else this unit's primary mask alone)."""
        counts = {f: getattr(self, f) for f in self.COUNTS}
        if path_in_scope(user, SMD_VIEW, self.unit.path):
            return counts, dict(self.rates), []
        if hidden is None:
            hidden = self.primary_mask(small_cell_threshold(self.unit))
        return smallcells.apply_counts(counts, self.rates, self.RATE_PARTS, hidden)

    def primary_mask(self, limit: int) -> dict[str, str]:
        counts = {f: getattr(self, f) for f in self.COUNTS}
        return smallcells.hidden_counts(counts, self.RATE_PARTS, limit=limit, keep=("population",))

    def finish(self) -> SmdIndicators:
        self.standardised = self.standardised_gap if self.t12_rule == "gap92" else self.standardised_national

        def r(a, b):
            return a / b if b else None

        self.rates = {
            "prevalence_per_mille": (self.in_register / self.population * 1000) if self.population else None,
            "management_rate": r(self.managed, self.in_register),
            "standardised_rate": r(self.standardised, self.in_register),
            "medication_rate": r(self.medicated, self.in_register),
            "regular_medication_rate": r(self.regular, self.in_register),
            "schizophrenia_medication_rate": r(self.schizophrenia_medicated, self.schizophrenia),
            "stable_rate": r(self.stable, self.home_managed),
            "rehab_rate": r(self.rehab, self.home),
            "family_counselling_rate": r(self.family, self.home),
            "on_time_rate": r(self.tasks_on_time, self.tasks_due),
        }
        return self


def protect(rows: list[SmdIndicators]) -> tuple[dict[int, dict[str, str]], dict[int, int]]:
    """The small-cell mask of each row for readers without SMD person rights: ``({unit pk: {count: reason}},
    {unit pk: threshold})``. Primary: counts below the unit's threshold, and a numerator whose complement is below
    it. Secondary (``smallcells.protect_tree``): one level at a time, a unit and the units directly below it among
    ``rows`` are one table (the unit as its total, in its primary state), so the mask of a unit is the same on the
    page and in the API (which computes the unit's parent and siblings)."""
    limits_by_path = small_cell_thresholds([k.unit.path for k in rows])
    limits = {k.unit.pk: limits_by_path[k.unit.path] for k in rows}
    parts = [f for f in SmdIndicators.COUNTS if f != "population"]
    primary = {k.unit.path: k.primary_mask(limits[k.unit.pk]) for k in rows}
    by_path = {k.unit.path: k for k in rows}
    out = {k.unit.pk: dict(primary[k.unit.path]) for k in rows}
    for k in rows:
        kids = [c for c in rows if c.unit.parent_id == k.unit.pk]
        if not kids:
            continue
        family = [k, *kids]
        values = {(c.unit.path, ""): {f: getattr(c, f) for f in parts} for c in family}
        mask = smallcells.protect_tree(values, {(c.unit.path, ""): primary[c.unit.path] for c in family if primary[c.unit.path]},
                                       parts=parts)
        for (path, _b), hidden in mask.items():
            if path != k.unit.path:
                out[by_path[path].unit.pk].update(hidden)
    return out, limits


def population(unit: OrgUnit, year: int) -> int | None:
    own = UnitPopulation.objects.filter(org_unit=unit, year=year).first()
    if own is not None:
        return own.residents
    rows = UnitPopulation.objects.filter(year=year, org_unit__path__startswith=unit.path).exclude(org_unit=unit)
    # Sum only the deepest rows of each branch: a row whose ancestor also has a row is already counted above it.
    paths = {p: n for p, n in rows.values_list("org_unit__path", "residents")}
    total = sum(n for p, n in paths.items() if not any(q != p and p.startswith(q) for q in paths))
    return total or None


def populations(units: list[OrgUnit], year: int) -> dict[int, int | None]:
    """``population(unit, year)`` for many units with one query: ``{unit.pk: residents or None}``.

    A row counts for every unit on its path strictly below its nearest ancestor that has a row of its own (the same
    "deepest rows of each branch" rule as ``population``); a unit with its own row takes that row."""
    if not units:
        return {}
    root = common_path([u.path for u in units])
    rows = dict(UnitPopulation.objects.filter(year=year, org_unit__path__startswith=root).values_list(
        "org_unit__path", "residents"))
    sums = defaultdict(int)
    for path, residents in rows.items():
        below = []
        for prefix in reversed(path_prefixes(path)[:-1]):  # the ancestors, nearest first
            if prefix in rows:
                break
            below.append(prefix)
        for prefix in below:
            sums[prefix] += residents
    out = {}
    for u in units:
        own = rows.get(u.path)
        out[u.pk] = own if own is not None else (sums.get(u.path) or None)
    return out


def complete_visits(patient_ids, start: datetime.date, until: datetime.date) -> dict[int, tuple[list, tuple]]:
    """Each patient's *complete* follow-ups from ``start`` to ``until`` (patient seen or reached: not lost, not a death
    record): ``{patient id: ([their days in order], (adherence, hospitalisation, classification) of the last)}``,
    for the patients selected by the subquery ``patient_ids`` (joined by the database, not a list of thousands of
    ids). Of two on one day the later record (higher id) is the last. Sorted here rather than by the database (tens of
    thousands of rows, sorted on disk by a default PostgreSQL configuration; aggregating them per patient in SQL was
    measured no faster on the 2,000,000-resident demo)."""
    rows = FollowUp.objects.filter(patient_id__in=patient_ids, date__gte=start, date__lte=until, lost_reason="",
                                   death_date__isnull=True).order_by()
    by_patient = defaultdict(list)
    for pid, day, fid, adherence, hospitalised, classification in rows.values_list(
            "patient_id", "date", "id", "adherence", "hospitalised", "classification"):
        by_patient[pid].append((day, fid, adherence, hospitalised, classification))
    out = {}
    for pid, seen in by_patient.items():
        seen.sort(key=lambda v: (v[0], v[1]))
        out[pid] = ([v[0] for v in seen], seen[-1][2:])
    return out


def compute(units: list[OrgUnit], year: int, today: datetime.date | None = None, t12_rules: dict | None = None) -> list[SmdIndicators]:
    """Indicators for each unit (one pass over the patients of the units' common subtree). ``t12_rules``: unit pk →
    "national" (default) or "gap92"."""
    today = today or timezone.localdate()
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    until = min(end, today)
    if not units:
        return []
    # The deepest path that holds every requested unit (units may come from different branches).
    prefix = common_path([u.path for u in units])
    # Residents who moved (issue 17): a patient counts for the unit responsible at the period end — the one they
    # left after it (accepted transfers, ``xinli.archives.transfers``) — and T12's interval starts at their move-in.
    moves = transfers.history("smd.patient", prefix)
    in_register = Patient.objects.filter(Q(org_path__startswith=prefix) | Q(pk__in=list(moves)), registered_on__lte=until).filter(
        Q(status=Status.IN_REGISTER) | Q(status_on__gt=until))
    patients = list(in_register.values("pk", "org_path", "diagnosis", "residence", "registered_on"))
    for p in patients:
        p["org_path"], p["moved_in_on"] = transfers.at(moves.get(p["pk"], []), p["org_path"], until)
    # The patients' follow-ups, supports and tasks are selected through the same condition (a subquery the database
    # joins), not through a list of thousands of ids.
    ids = in_register.order_by().values("pk")
    visits = complete_visits(ids, start, until)
    rehab = set(Support.objects.filter(patient_id__in=ids, kind=Support.Kind.REHAB, start__lte=until).filter(
        Q(end__isnull=True) | Q(end__gte=start)).values_list("patient_id", flat=True))
    family = set(Support.objects.filter(patient_id__in=ids, kind__in=COUNSELLING_KINDS, primary_care=True,
                                        start__gte=start, start__lte=until).values_list("patient_id", flat=True))
    # Per patient: (tasks due, of which done on or before the due date), counted by the database.
    tasks = {pid: (n, on_time) for pid, n, on_time in Task.objects.filter(patient_id__in=ids, due__gte=start, due__lte=until).exclude(
        state=Task.State.CANCELLED).order_by().values_list("patient_id").annotate(
        n=Count("id"), on_time=Count("id", filter=Q(state=Task.State.DONE, done_on__isnull=False, done_on__lte=F("due"))))}
    # Each patient's contribution once, summed per path (the patient's unit), then each path's sums added to every
    # requested unit on it (one pass over the patients and one over the paths, however many units are asked for).
    by_path = defaultdict(list)
    pops = populations(units, year)
    rules = t12_rules if t12_rules is not None else t12_rules_for(units)
    out = [SmdIndicators(unit, year, pops[unit.pk], t12_rule=rules.get(unit.pk, "national")) for unit in units]
    for k in out:
        by_path[k.unit.path].append(k)
    sums: dict[str, list[int]] = {}
    for p in patients:
        pid = p["pk"]
        home = p["residence"] == Residence.HOME
        seen, last = visits.get(pid, ((), None))  # the days of the complete follow-ups; the last one's facts
        national = gap = stable = False
        if seen:
            first_day = max(start, p["registered_on"], p["moved_in_on"] or start)
            national = sum(first_day <= day for day in seen) >= required_follow_ups(first_day, until)
            days = [first_day] + [day for day in seen if day >= first_day] + [until]  # visits before a move-in: not here
            gap = all((b - a).days <= GAP_DAYS for a, b in zip(days, days[1:], strict=False))
            stable = home and last[2] == Classification.STABLE
        medicated = last is not None and (last[0] in (Adherence.REGULAR, Adherence.INTERMITTENT) or last[1] == "current")
        schizophrenia = p["diagnosis"] == Diagnosis.SCHIZOPHRENIA
        regular = last is not None and last[0] == Adherence.REGULAR
        due, on_time = tasks.get(pid, (0, 0))
        managed = bool(seen)
        row = (1, home, managed, managed and home, national, gap, stable, medicated, regular, schizophrenia,
               schizophrenia and medicated, home and pid in rehab, home and pid in family, due, on_time)
        total = sums.get(p["org_path"])
        if total is None:
            sums[p["org_path"]] = list(row)
        else:
            for i, v in enumerate(row):
                total[i] += v
    for path, total in sums.items():
        prefix = "/"
        for part in path.strip("/").split("/"):
            prefix += part + "/"
            for k in by_path.get(prefix, ()):
                for name, v in zip(_SUMMED, total, strict=True):
                    setattr(k, name, getattr(k, name) + v)
    return [k.finish() for k in out]


# The per-patient counts ``compute`` sums, in the order of its ``row``.
_SUMMED = ("in_register", "home", "managed", "home_managed", "standardised_national", "standardised_gap", "stable", "medicated",
           "regular", "schizophrenia", "schizophrenia_medicated", "rehab", "family", "tasks_due", "tasks_on_time")
