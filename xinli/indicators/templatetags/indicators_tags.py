from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html

from xinli.core import smallcells
from xinli.core.templatetags.small_cells import small_cell
from xinli.indicators import display
from xinli.indicators.display import format_value

register = template.Library()


@register.filter
def in_unit(value, kind: str) -> str:
    """``{{ row.r.value|in_unit:row.ind.kind }}``: the value (or target) in its indicator's unit."""
    return format_value(value, kind)


@register.filter
def unit_suffix(kind: str) -> str:
    """The sign of an indicator kind's unit (%, ‰, /10,000 people), "" for counts and yes/no."""
    return display.unit_suffix(kind)


@register.simple_tag
def masked(r, part: str, kind: str = ""):
    """A rollup's ``numerator``, ``denominator`` or ``value`` as the page shows it: the small-cell mark when it is
    hidden from the reader (``disclosure.apply``), else the number (the value in its indicator's unit)."""
    if r is None or r == "":
        return "—" if part == "value" else ""
    reason = (getattr(r, "hidden", None) or {}).get(part)
    if reason is not None:
        return small_cell(reason, getattr(r, "cell_limit", smallcells.threshold()))
    value = getattr(r, part)
    if part == "value":
        return format_value(value, kind)
    return "" if value is None else floatformat(value, 0)


@register.simple_tag
def fraction(r):
    """``numerator / denominator`` of a rollup (the denominator left out for counts and yes/no indicators)."""
    if r is None or r == "":
        return ""
    num = masked(r, "numerator")
    if r.denominator is None and "denominator" not in (getattr(r, "hidden", None) or {}):
        return num
    return format_html("{} / {}", num, masked(r, "denominator"))
