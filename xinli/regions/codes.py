"""The 12-digit statistical division code (统计用区划代码) and its digit rules (DOMAIN.md §1).

``PP CC DD TTT VVV``: 6 digits GB/T 2260 (province, city, county) + 3 township + 3 village.
Township digits: 001–099 街道, 100–199 镇, 200–399 乡, 400–599 政企合一.
Village digits: 001–199 居委会 (community), 200–399 村委会 (village).
"""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinli.core.i18n import bilingual

CODE_RE = re.compile(r"^\d{12}$")


class Level(models.TextChoices):
    PROVINCE = "province", _("province")
    CITY = "city", _("city")
    COUNTY = "county", _("county")
    TOWNSHIP = "township", _("township")
    VILLAGE = "village", _("village")


LEVEL_ORDER = [Level.PROVINCE, Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE]


class Kind(models.TextChoices):
    PROVINCE = "province", _("省 province")
    CITY = "city", _("市 city")
    COUNTY = "county", _("区/县 county")
    SUBDISTRICT = "subdistrict", _("街道 subdistrict")
    TOWN = "town", _("镇 town")
    TOWNSHIP = "township", _("乡 township")
    GOV_ENTERPRISE = "gov_enterprise", _("政企合一 government-enterprise unit")
    COMMUNITY = "community", _("居委会 community")
    VILLAGE = "village", _("村委会 village")


# Kinds accepted in import files by their Chinese names, too.
KIND_ALIASES = {
    "省": Kind.PROVINCE, "自治区": Kind.PROVINCE, "直辖市": Kind.PROVINCE,
    "市": Kind.CITY, "地区": Kind.CITY, "州": Kind.CITY, "盟": Kind.CITY,
    "区": Kind.COUNTY, "县": Kind.COUNTY, "县级市": Kind.COUNTY, "旗": Kind.COUNTY,
    "街道": Kind.SUBDISTRICT, "镇": Kind.TOWN, "乡": Kind.TOWNSHIP, "苏木": Kind.TOWNSHIP,
    "政企合一": Kind.GOV_ENTERPRISE, "居委会": Kind.COMMUNITY, "社区": Kind.COMMUNITY,
    "村委会": Kind.VILLAGE, "村": Kind.VILLAGE,
}

KINDS_BY_LEVEL = {
    Level.PROVINCE: {Kind.PROVINCE},
    Level.CITY: {Kind.CITY},
    Level.COUNTY: {Kind.COUNTY},
    Level.TOWNSHIP: {Kind.SUBDISTRICT, Kind.TOWN, Kind.TOWNSHIP, Kind.GOV_ENTERPRISE},
    Level.VILLAGE: {Kind.COMMUNITY, Kind.VILLAGE},
}


class UrbanRural(models.TextChoices):
    """统计用城乡划分代码 (the statistics bureau's urban-rural classification code of a village or community, 国家统计局
    《统计用区划代码和城乡划分代码》, following 《统计上划分城乡的规定》): 1xx urban (城镇), 2xx rural (乡村)."""

    MAIN_URBAN = "111", _("111 main urban area")
    URBAN_FRINGE = "112", _("112 urban-rural fringe")
    TOWN_CENTRE = "121", _("121 town centre")
    TOWN_FRINGE = "122", _("122 town-rural fringe")
    SPECIAL = "123", _("123 special area")
    TOWNSHIP_CENTRE = "210", _("210 township centre")
    VILLAGE = "220", _("220 village")


URBAN_CODES = frozenset({"111", "112", "121", "122", "123"})
RURAL_CODES = frozenset({"210", "220"})
# Without a code: the unit's kind decides (村委会, 镇 and 乡 rural; 居委会 and the rest urban), shown as "estimated".
RURAL_KINDS = frozenset({Kind.VILLAGE, Kind.TOWNSHIP, Kind.TOWN})


def is_rural(urban_rural_code: str, kind: str) -> bool:
    """Rural (乡村) by the 城乡划分代码 (210, 220); urban (城镇) by 111–123; without a code by the kind (estimated)."""
    if urban_rural_code:
        return urban_rural_code in RURAL_CODES
    return kind in RURAL_KINDS


def urban_rural_problems(value: str, level: str) -> list:
    """What is wrong with an 城乡划分代码 for a unit of ``level``, as bilingual messages; empty when it is good."""
    if not value:
        return []
    if value not in URBAN_CODES | RURAL_CODES:
        return [bilingual(_("urban_rural_code: '{value}' is not a code of the statistics bureau's urban-rural "
                            "classification; use 111, 112, 121, 122, 123 (urban) or 210, 220 (rural), or leave it empty"),
                          value=value[:20])]
    if level != Level.VILLAGE:
        return [bilingual(_("urban_rural_code: only a village or community (12-digit code ending in 001–399) has one; "
                            "leave it empty for this unit"))]
    return []


def parse_kind(value: str) -> str | None:
    value = (value or "").strip()
    if value in Kind.values:
        return value
    return KIND_ALIASES.get(value)


def level_of(code: str) -> str:
    if code[2:] == "0" * 10:
        return Level.PROVINCE
    if code[4:] == "0" * 8:
        return Level.CITY
    if code[6:] == "0" * 6:
        return Level.COUNTY
    if code[9:] == "000":
        return Level.TOWNSHIP
    return Level.VILLAGE


def kind_from_digits(code: str) -> str | None:
    """The kind the township/village digits allow, or None when they are outside every range."""
    level = level_of(code)
    if level == Level.TOWNSHIP:
        n = int(code[6:9])
        if 1 <= n <= 99:
            return Kind.SUBDISTRICT
        if 100 <= n <= 199:
            return Kind.TOWN
        if 200 <= n <= 399:
            return Kind.TOWNSHIP
        if 400 <= n <= 599:
            return Kind.GOV_ENTERPRISE
        return None
    if level == Level.VILLAGE:
        n = int(code[9:12])
        if 1 <= n <= 199:
            return Kind.COMMUNITY
        if 200 <= n <= 399:
            return Kind.VILLAGE
        return None
    return {Level.PROVINCE: Kind.PROVINCE, Level.CITY: Kind.CITY, Level.COUNTY: Kind.COUNTY}[level]


def expected_parent_code(code: str) -> str | None:
    level = level_of(code)
    if level == Level.PROVINCE:
        return None
    if level == Level.CITY:
        return code[:2] + "0" * 10
    if level == Level.COUNTY:
        return code[:4] + "0" * 8
    if level == Level.TOWNSHIP:
        return code[:6] + "0" * 6
    return code[:9] + "000"


def code_problems(code: str, kind: str | None = None, parent_code: str | None = None) -> list:
    """Every digit-rule problem of ``code`` as bilingual messages; empty when the code is good."""
    if not CODE_RE.match(code or ""):
        return [bilingual(_("code must be exactly 12 digits"))]
    problems = []
    if code[:2] == "00":
        problems.append(bilingual(_("the first two digits (province) cannot be 00")))
    level = level_of(code)
    if level == Level.CITY and code[2:4] == "00":
        problems.append(bilingual(_("city digits cannot be 00")))
    allowed = kind_from_digits(code)
    if allowed is None:
        if level == Level.TOWNSHIP:
            problems.append(bilingual(_("township digits (7–9) must be 001–599")))
        else:
            problems.append(bilingual(_("village digits (10–12) must be 001–399")))
    elif kind is not None and kind != allowed:
        problems.append(bilingual(_("kind does not match the digits: the code's digits mean {allowed}"), allowed=Kind(allowed).label))
    if parent_code is not None:
        expected = expected_parent_code(code)
        if (expected or "") != (parent_code or ""):
            problems.append(bilingual(_("parent code should be {expected} for this code"), expected=expected or _("empty")))
    return problems


def gbt2260_name(code6: str) -> str | None:
    """Name of a province/city/county code in python-stdnum's bundled GB/T 2260 list (None if unknown)."""
    from stdnum import numdb

    info = numdb.get("cn/loc").info(code6)
    if len(info) < 2 or not info[1][1]:
        return None
    name = info[1][1].get("county", "")
    return re.sub(r"^\[[^\]]*\]", "", name) or None
