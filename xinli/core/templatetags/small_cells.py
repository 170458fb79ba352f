"""How a hidden cell reads on a page (docs/indicators.md "Small cells"): ``{% small_cell reason limit %}``."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from xinli.core import smallcells

register = template.Library()


@register.simple_tag
def small_cell(reason: str, limit: int):
    """"<5" for a small count, "*" for a figure hidden so that one cannot be worked out, each with its explanation as
    a tooltip."""
    if reason == smallcells.SMALL:
        return format_html('<abbr class="small-cell" title="{}">&lt;{}</abbr>',
                           _("Fewer than {limit} persons: not shown, to protect the persons counted (small-cell rule).").format(limit=limit), limit)
    return format_html('<abbr class="small-cell" title="{}">*</abbr>',
                       _("Hidden so that a small count cannot be worked out from the other figures (small-cell rule)."))
