from django import template

from xinli.indicators.display import format_value

register = template.Library()


@register.filter
def in_unit(value, kind: str) -> str:
    """``{{ row.r.value|in_unit:row.ind.kind }}``: the value (or target) in its indicator's unit."""
    return format_value(value, kind)
