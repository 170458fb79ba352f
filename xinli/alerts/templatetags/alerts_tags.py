from django import template

from xinli.alerts import texts

register = template.Library()


@register.filter
def alert_summary(alert) -> str:
    """``{{ alert|alert_summary }}``: the alert's summary in the reader's language (``Alert.summary_text``)."""
    return alert.summary_text()


@register.filter
def notification_text(note) -> str:
    return texts.render(note.kind, note.params)
