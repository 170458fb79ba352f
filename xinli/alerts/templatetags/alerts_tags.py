from django import template

from xinli.alerts import texts

register = template.Library()


@register.filter
def notification_text(note) -> str:
    return texts.render(note.kind, note.params)


@register.filter
def alert_reason(alert) -> str:
    """Why the alert was raised, as shown to the reader: its summary (what fired: instrument, item or band, triage),
    else the kind of source. The one place pages render the reason, so its wording can change in one place."""
    return alert.summary or alert.get_source_display()
