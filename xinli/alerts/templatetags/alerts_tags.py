from django import template

from xinli.alerts import texts

register = template.Library()


@register.filter
def notification_text(note) -> str:
    return texts.render(note.kind, note.params)
