"""The API's JSON parser: DRF's, with nesting bounded. Python's json module recurses once per level, so a body nested
1,000 levels deep raised RecursionError (a 500) before any view ran — also on ``/api/v1/auth/token/`` without login.
No request of this API needs more than a few levels; deeper bodies answer a bilingual 400 naming the body."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .i18n import bilingual

DEFAULT_MAX_DEPTH = 32


def max_depth() -> int:
    return int(getattr(settings, "XINLI_MAX_JSON_DEPTH", DEFAULT_MAX_DEPTH))


def too_deep(value, limit: int) -> bool:
    """Whether ``value`` nests lists/objects deeper than ``limit`` (iterative: no recursion of our own)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _too_deep_error() -> ParseError:
    return ParseError(bilingual(_("Request body: JSON nested too deeply (at most {limit} levels); send a flatter body."),
                                limit=max_depth()), code="too_deep")


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise _too_deep_error() from None
        if too_deep(data, max_depth()):
            raise _too_deep_error()
        return data
