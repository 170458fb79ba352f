"""The counselling indicators' rules (one home; ``xinli.indicators.registry`` points here):

* **T09 特殊人群个性化心理疏导覆盖率** (试点方案 三(一)): persons holding, on the period end, a tag of the plan's special
  populations — ``PLAN_GROUPS`` by default: vagrants, persons in police custody, prisoners, community correction,
  released prisoners, the four drug-rehabilitation groups, conflict/frustration/imbalance/abnormal behaviour and
  paranoid personality — who have a personalised plan (个性化疏导方案) that is *active* on the period end and whose
  review is *not overdue* (the next review date ``review_on`` is on or after the period end) ÷ those persons. The tag
  set is data: a region sets its own (``t09_tags``; the nearest ancestor's set applies, else ``PLAN_GROUPS``).
* **CA1 关爱人群心理健康服务覆盖率** (platform): the same over the care groups the plan lists for services through
  public facilities (三(一): elderly, women, children, orphans, persons with disability and their families) plus
  families of SMD patients and student victims — never mixed into T09.

A person with several tags counts once. Both are *stocks* on the period end. The stored review date is the plan's
current next review; for a past period a plan reviewed since then shows its later date (documented limitation).
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import connections, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.archives.models import Person, PopulationTag, Tag
from xinli.core.policy import INDICATORS_MANAGE
from xinli.regions import parameters
from xinli.regions.models import OrgUnit

from .models import Plan

PLAN_GROUPS = frozenset({
    Tag.VAGRANT, Tag.DETAINEE, Tag.PRISONER, Tag.COMMUNITY_CORRECTION, Tag.RELEASED_PRISONER, Tag.DRUG_COMPULSORY,
    Tag.DRUG_COMMUNITY, Tag.DRUG_MAINTENANCE, Tag.DRUG_VOLUNTARY, Tag.CONFLICT_DISTRESS, Tag.PARANOID_PERSONALITY,
})
CARE_GROUPS = frozenset(Tag.values) - PLAN_GROUPS


def t09_tag_sets(paths) -> dict[str, frozenset]:
    """The T09 tag set in force for each unit path (region parameter ``t09_tags``; default ``PLAN_GROUPS``)."""
    return {p: frozenset(v) for p, v in parameters.parameters(paths, "t09_tags").items()}


parameters.register(parameters.Known(
    "t09_tags", list, lambda: sorted(PLAN_GROUPS), None, None, INDICATORS_MANAGE, _("T09 special populations"),
    _("The population tags T09 counts (default: the pilot plan's special populations)."), choices=tuple(Tag.values),
    labels=lambda: dict(Tag.choices)))


def _planned(as_of: datetime.date, root: str):
    """Persons with a plan active on ``as_of`` and not overdue for review then."""
    hi = timezone.make_aware(datetime.datetime.combine(as_of + datetime.timedelta(days=1), datetime.time.min))
    return (Plan.objects.filter(org_path__startswith=root, created_at__lt=hi, review_on__gte=as_of)
            .filter(Q(state=Plan.State.ACTIVE, closed_at__isnull=True) | Q(closed_at__gte=hi)).values("person_id"))


def _tagged(tags, as_of: datetime.date):
    return PopulationTag.objects.filter(tag__in=tags, since__lte=as_of).filter(Q(until__isnull=True) | Q(until__gt=as_of))


def coverage(unit, as_of: datetime.date, tags=None) -> tuple[int, int]:
    """(covered, tagged) for one unit: the hand-checkable per-unit form of :func:`rows`."""
    tags = t09_tag_sets([unit.path])[unit.path] if tags is None else tags
    tagged = Person.objects.filter(org_path__startswith=unit.path, pk__in=_tagged(tags, as_of).values("person_id"))
    return tagged.filter(pk__in=_planned(as_of, unit.path)).count(), tagged.count()


def _group_rows(root: str, as_of: datetime.date, tags, paths=None):
    """(org_path, covered, tagged, (sex breakdown,)) counted in SQL per (org_path, sex) of the tagged persons.

    Read from the tags alone: a tag mirrors its person's unit and sex (``PopulationTag.sex``, kept in step by the
    archive's services), so the count is one index-only scan of the tags' ``(org_path, sex, person)`` index instead
    of a join with the 2,000,000 persons (issue 16 item 6, bench/BENCHMARKS.md). A person with several tags of the
    set counts once (distinct person per unit and sex)."""
    tagged = _tagged(tags, as_of).filter(org_path__startswith=root)
    if paths is not None:
        tagged = tagged.filter(org_path__in=paths)
    groups = tagged.order_by().values_list("org_path", "sex").annotate(
        n=Count("person_id", distinct=True),
        covered=Count("person_id", distinct=True, filter=Q(person_id__in=_planned(as_of, root))))
    for path, sex, n, covered in _serial(groups):
        yield path, covered, n, (f"sex={sex}",)


def _serial(queryset) -> list:
    """The rows of ``queryset``, on PostgreSQL without parallel workers (issue 16 item 6). For the CA1 count (419,000
    tagged persons of 2,000,000) PostgreSQL plans a parallel hash semi-join; on the 2-core machine the serial merge
    join of the two indexes in id order is faster (0.45-0.8 s against 0.65-1.1 s, bench/BENCHMARKS.md) and takes one
    core instead of three processes, which suits a background rebuild beside the web workers. Same rows either way."""
    db = queryset.db
    if connections[db].vendor != "postgresql":
        return list(queryset)
    # SET LOCAL lasts to the end of the outermost transaction; the previous value is put back for a caller's
    # transaction (tests, a rebuild inside atomic) to go on as before.
    with transaction.atomic(using=db), connections[db].cursor() as cursor:
        cursor.execute("SELECT current_setting('max_parallel_workers_per_gather'), set_config('max_parallel_workers_per_gather', '0', true)")
        previous = cursor.fetchone()[0]
        try:
            return list(queryset)
        finally:
            cursor.execute("SELECT set_config('max_parallel_workers_per_gather', %s, true)", [previous])


def t09_rows(root: str, year: int, as_of: datetime.date):
    """T09 fact rows for the registry's scan. Where regions set different tag sets, the persons of each set's units
    are counted with that set (one grouped query per distinct set).

    When every org unit under ``root`` (and ``root`` itself) has the same set in force, so has every person under it
    (a person's set is the one of the nearest unit on their path that has a row, or of ``root``'s), and the persons'
    paths need not be read."""
    unit_paths = {root, *OrgUnit.objects.filter(path__startswith=root).values_list("path", flat=True)}
    if len(set(t09_tag_sets(unit_paths).values())) == 1:
        yield from _group_rows(root, as_of, t09_tag_sets([root])[root])
        return
    paths = set(Person.objects.filter(org_path__startswith=root).order_by().values_list("org_path", flat=True).distinct())
    by_set = defaultdict(list)
    for path, tags in t09_tag_sets(paths).items():
        by_set[tags].append(path)
    if len(by_set) == 1:
        ((tags, _paths),) = by_set.items()
        yield from _group_rows(root, as_of, tags)
        return
    for tags, group_paths in by_set.items():
        yield from _group_rows(root, as_of, tags, paths=group_paths)


def care_rows(root: str, year: int, as_of: datetime.date):
    """CA1 fact rows (the care groups; no regional variation)."""
    yield from _group_rows(root, as_of, CARE_GROUPS)
