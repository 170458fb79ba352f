from django import template
from django.urls import reverse

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


@register.filter
def notification_link(note) -> str:
    """``{{ n|notification_link }}``: where the message leads — the alert, the SMD patient it is about or the transfer
    (those pages check the reader's scope themselves); empty when there is nowhere to go."""
    if note.alert_id:
        return reverse("alerts:alert_detail", args=[note.alert_id])
    patient = note.params.get("patient")
    if isinstance(patient, int) and note.kind.startswith("smd_"):
        return reverse("smd:patient_detail", args=[patient])
    transfer = note.params.get("transfer")
    if isinstance(transfer, int) and note.kind.startswith("transfer_"):  # residents who move: the transfer page
        return reverse("transfer_detail", args=[transfer])
    order = note.params.get("order")
    if isinstance(order, int) and note.kind.startswith("order_"):  # work orders between departments
        return reverse("governance:order_detail", args=[order])
    task = note.params.get("task")
    if isinstance(task, int) and note.kind.startswith("task_"):  # the leading group's tasks
        return reverse("governance:task_detail", args=[task])
    if note.kind == "id_request_transferred":  # the record is now in the requester's area: the archive search
        return reverse("archives:person_list")
    return ""


@register.filter
def alert_reason(alert) -> str:
    """Why the alert was raised, as shown to the reader: its summary (what fired: instrument, item or band, triage),
    else the kind of source. The one place pages render the reason, so its wording can change in one place."""
    return alert.summary_text() or alert.get_source_display()
