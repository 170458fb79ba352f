"""Instrument and band names for pages: codes (``phq9``, ``moderately_severe``) are never shown raw."""

from django import template

from xinli.scales import definitions

register = template.Library()


@register.filter
def scale_name(code) -> str:
    """``{{ a.scale|scale_name }}`` → PHQ-9; a list of codes gives the names joined by the Chinese list comma."""
    if isinstance(code, (list, tuple)):
        return "、".join(definitions.short_name(c) for c in code)
    return definitions.short_name(str(code))


@register.filter
def band_name(band, scale) -> str:
    """``{{ a.band|band_name:a.scale }}`` → the band's label in the page's language."""
    return definitions.band_name(str(scale), str(band))
