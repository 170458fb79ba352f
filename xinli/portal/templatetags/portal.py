"""Template tags of the portal base template: the hotline number and the resident's larger-text choice."""

from django import template

register = template.Library()

TEXT_SIZE_COOKIE = "xinli_text"


@register.simple_tag
def hotline_number() -> str:
    from xinli.portal.views import HOTLINE

    return HOTLINE


@register.simple_tag(takes_context=True)
def large_text_on(context) -> bool:
    """Whether the resident chose the larger text (适老化); the choice lives in a cookie, so it survives navigation and
    return visits and needs no script."""
    request = context.get("request")
    return request is not None and request.COOKIES.get(TEXT_SIZE_COOKIE) == "large"
