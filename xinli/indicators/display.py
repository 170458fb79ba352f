"""How an indicator's value (and target) reads on the pages: in the unit of its kind, with the unit written out —
a rate (stored as a fraction) as a percentage with one decimal, a per-mille value with two decimals and ‰, a value
per 10,000 residents with one decimal, a count as a whole number, a yes/no indicator as 是/否. Display only: the
stored values, definitions and Excel exports keep their numbers.

``format_parts`` shows a value's numerator and denominator as counted ("213 / 50,000"), for the tables of the Word
reports."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

# kind -> (multiplier, decimals)
UNITS = {"rate": (Decimal(100), 1), "permille": (Decimal(1), 2), "per10k": (Decimal(1), 1), "count": (Decimal(1), 0)}


def unit_suffix(kind: str) -> str:
    return {"rate": "%", "permille": "‰", "per10k": _("/10,000 people")}.get(kind, "")


def format_value(value, kind: str) -> str:
    """``value`` (a Decimal, a number or None) as it reads in its unit; "—" when there is none."""
    if value is None or value == "":  # "" : a template looked up the value of a missing rollup
        return "—"
    value = Decimal(str(value))
    if kind == "flag":
        return _("yes") if value else _("no")
    multiplier, decimals = UNITS.get(kind, (Decimal(1), 3))
    shown = (value * multiplier).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return f"{shown:f}{unit_suffix(kind)}"


def _count(value: Decimal) -> str:
    """A count with thousands separators, without trailing zeros ("50,000", "2.5")."""
    value = value.normalize()
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,f}"


def format_parts(rollup, indicator) -> str:
    """The numerator and denominator of ``rollup`` (a Rollup or None) as counted — "213 / 50,000", a count or a
    yes/no value alone ("3"); numerators are stored unscaled (``Indicator.scale`` applies to the value only); "—" when
    there is no numerator."""
    if rollup is None or rollup.numerator is None:
        return "—"
    numerator = Decimal(str(rollup.numerator))
    if rollup.denominator is None:
        return _count(numerator)
    return f"{_count(numerator)} / {_count(Decimal(str(rollup.denominator)))}"



# The Excel number format of each kind: the cell keeps the stored number (a rate as its fraction) and reads in the
# unit the pages show.
EXCEL_FORMATS = {"rate": "0.0%", "permille": '0.00"‰"', "per10k": '0.0" /万人"', "count": "#,##0", "flag": '"是";"是";"否"'}


def excel_value(value, kind: str):
    """A value (or target) for an Excel table, shown in its indicator's unit (``xlsx.Number``); None stays empty."""
    from xinli.core.xlsx import Number

    return None if value is None else Number(value, EXCEL_FORMATS.get(kind, "General"))
