from django import template

from xinli.alerts import texts

register = template.Library()


@register.filter
def alert_summary(alert) -> str:
    """``{{ alert|alert_summary }}``: the alert's summary in the reader's language (``Alert.summary_text``)."""
    return alert.summary_text()


@register.filter
def channel_label(name) -> str:
    """``{{ d.channel|channel_label }}``: e-mail, SMS — not the channel's code."""
    from xinli.alerts.channels import CHANNELS

    channel = CHANNELS.get(name)
    return str(channel.label) if channel is not None and channel.label else name


@register.filter
def notification_text(note) -> str:
    return texts.render(note.kind, note.params)
