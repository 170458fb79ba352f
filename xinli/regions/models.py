"""The org-unit tree: province → city → county → township → village/community."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .codes import RURAL_CODES, URBAN_CODES, Kind, Level, UrbanRural
from .codes import is_rural as _is_rural


def path_prefixes(path: str) -> list[str]:
    """A materialised path and its ancestors' paths, top first: '/1/7/42/' → ['/1/', '/1/7/', '/1/7/42/']."""
    out, prefix = [], "/"
    for part in path.strip("/").split("/"):
        if part:
            prefix += part + "/"
            out.append(prefix)
    return out


def common_path(paths) -> str:
    """The deepest path that holds every path given ('/' when they share no unit): the root of one scan over all."""
    common = []
    for segs in zip(*(p.strip("/").split("/") for p in paths), strict=False):
        if len(set(segs)) != 1:
            break
        common.append(segs[0])
    return "/" + "".join(c + "/" for c in common)


def valid_on(day) -> Q:
    """Units that existed on ``day`` (``valid_from`` and ``valid_to`` inclusive; empty = open-ended): the hierarchy
    as of a period, so a unit merged this year still carries last year's figures."""
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))


class OrgUnit(models.Model):
    """One administrative unit for a period of time.

    Codes change with mergers, so the code is not the key: a recoded or merged unit gets a new row with a new
    ``valid_from`` and the old one keeps its history (``valid_to``). ``path`` is the materialised path of ids
    (``/1/7/42/``); "everything under this unit" is ``path__startswith=unit.path`` (an index range scan).
    """

    code = models.CharField(_("statistical code"), max_length=12, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    population = models.PositiveIntegerField(_("resident population"), null=True, blank=True)
    # 统计用城乡划分代码 of a village or community (blank for the other levels, and where not yet imported).
    urban_rural_code = models.CharField(_("urban-rural classification code"), max_length=3, blank=True, default="",
                                        choices=UrbanRural.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        indexes = [
            # varchar_pattern_ops lets PostgreSQL use the index for LIKE 'prefix%' whatever the collation.
            models.Index(fields=["path"], name="orgunit_path_like", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=Q(valid_to__isnull=True), name="orgunit_current_code_unique"),
            models.CheckConstraint(condition=Q(urban_rural_code="") | Q(level=Level.VILLAGE, urban_rural_code__in=sorted(URBAN_CODES | RURAL_CODES)),
                                   name="orgunit_urban_rural_code_valid"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def county_code(self) -> str:
        return self.code[:6]

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]

    @property
    def is_rural(self) -> bool:
        """Rural (乡村) by the 城乡划分代码; without one, by the kind (村委会 rural, 居委会 urban): ``urban_rural_estimated``."""
        return _is_rural(self.urban_rural_code, self.kind)

    @property
    def urban_rural_estimated(self) -> bool:
        """True when urban/rural comes from the kind because the unit has no 城乡划分代码 (shown as "推定")."""
        return not self.urban_rural_code


class UnitPopulation(models.Model):
    """The resident population of an org unit in a year (denominator of prevalence indicators). A unit without a row
    for the year counts the sum of its descendants' rows."""

    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("org unit"), on_delete=models.CASCADE, related_name="populations")
    year = models.PositiveSmallIntegerField(_("year"))
    residents = models.PositiveIntegerField(_("resident population"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org_unit", "year"], name="unit_population_unique")]


class RegionParameter(models.Model):
    """A rule a region sets for itself (e.g. ``small_cell_threshold``), keyed by name; the known keys, their type,
    range and default are in ``regions.parameters.KNOWN``. A change adds a row: the latest row of a unit is its
    value, the earlier ones its history, and a unit without a row takes its nearest ancestor's (else the default)."""

    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("org unit"), on_delete=models.CASCADE, related_name="parameters")
    key = models.CharField(_("parameter"), max_length=40, db_index=True)
    value = models.JSONField(_("value"))
    source = models.CharField(_("source of the rule"), max_length=200)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        ordering = ["-set_at", "-id"]
        verbose_name = _("region parameter")
        verbose_name_plural = _("region parameters")


class NamedInTwoLanguages:
    """A row named as data in Chinese (``name``) and English (``name_en``): ``label`` is the reader's."""

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name


class Department(NamedInTwoLanguages, models.Model):
    """A department of the social psychological service system (issue 19): the 政法委/综治 office that leads it
    (``lead``) and the departments the pilot plan gives a part — health, education, civil affairs, public security,
    justice, petitions, human resources, medical insurance, the disability and women's federations, the youth league,
    the unions. Data: a region adds its own. ``name`` is the department's Chinese name as used on orders (民政);
    ``name_en`` the English one."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80, blank=True, default="")
    lead = models.BooleanField(_("leading department (综治)"), default=False)
    sort = models.PositiveSmallIntegerField(_("order"), default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["sort", "code"]



class DepartmentUnit(models.Model):
    """A department's office at one level of the tree (市民政局 at the city, 区民政局 at a district, 街道民政办 at a
    street): where its work orders go and where its staff's role is assigned. ``org_path`` is the unit's path."""

    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="units")
    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="department_units")
    name = models.CharField(_("name"), max_length=100)
    org_path = models.CharField(_("org path"), max_length=255, editable=False, db_index=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department office")
        verbose_name_plural = _("department offices")
        ordering = ["org_path", "department__sort"]
        constraints = [models.UniqueConstraint(fields=["department", "org_unit"], name="department_unit_unique")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.org_path = self.org_unit.path
        super().save(*args, **kwargs)
