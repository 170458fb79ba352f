from django import template

from xinli.core.i18n import in_language as _in_language

register = template.Library()


@register.filter
def in_language(text) -> str:
    """``{{ item.text|in_language }}``: the reader's half of data stored as ``"中文 / English"``."""
    return _in_language(text)
