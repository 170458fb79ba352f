"""Filling ``county_code`` on existing rows, for data migrations (historical models come from ``apps``).

The county of a row is ``OrgUnit.county_code`` of the unit its ``org_path`` ends in (the first six digits of that
unit's statistical code, which a village shares with its county); a row without a path gets "". Child rows without a
path of their own take their parent's value.
"""

from __future__ import annotations


def county_of_paths(apps, paths) -> dict[str, str]:
    """``{org_path: county_code}`` for the given paths (one query per 1,000 distinct units)."""
    OrgUnit = apps.get_model("regions", "OrgUnit")
    last = {p: int(p.strip("/").split("/")[-1]) for p in paths if p and p.strip("/")}
    ids = sorted(set(last.values()))
    codes = {}
    for i in range(0, len(ids), 1000):
        codes.update(OrgUnit.objects.filter(pk__in=ids[i:i + 1000]).values_list("pk", "code"))
    return {p: codes.get(uid, "")[:6] for p, uid in last.items()}


def fill_from_path(apps, label: str) -> None:
    """Set ``county_code`` from ``org_path`` on every row of ``app_label.Model`` (one UPDATE per distinct path)."""
    model = apps.get_model(*label.split("."))
    paths = list(model.objects.order_by().values_list("org_path", flat=True).distinct())
    for path, county in county_of_paths(apps, paths).items():
        if county:
            model.objects.filter(org_path=path).update(county_code=county)


def fill_from_parent(apps, label: str, parent_field: str) -> None:
    """Set ``county_code`` from the parent row's (already filled) ``county_code``."""
    model = apps.get_model(*label.split("."))
    parent = model._meta.get_field(parent_field).related_model
    counties = parent.objects.order_by().values_list("county_code", flat=True).distinct()
    for county in counties:
        if county:
            model.objects.filter(**{f"{parent_field}__county_code": county}).update(county_code=county)
