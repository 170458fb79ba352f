"""Notification texts, rendered in the reader's language from a kind and its parameters."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Level

TEXTS = {
    "alert_raised": gettext_lazy("{level} alert #{alert} at {unit}: acknowledge by {due}."),
    "alert_escalated": gettext_lazy(
        "{level} alert #{alert} at {unit} was not acknowledged in time and is now yours: acknowledge by {due}."),
    "alert_upgraded": gettext_lazy("Alert #{alert} at {unit} is now {level}: acknowledge by {due}."),
    "alert_transferred": gettext_lazy(
        "{level} alert #{alert} came to {unit} with a resident who moved: it is now your team's; see the duty console."),
    "smd_team": gettext_lazy("Patient #{patient} is unstable: the case-management team is convened."),
    "smd_due": gettext_lazy("Follow-up of patient #{patient} is due on {day}."),
    "appointment": gettext_lazy("Appointment {booking} on {when}."),
    "plans_due": gettext_lazy("{count} personalised plans are due for review."),
    "smd_overdue": gettext_lazy("Follow-up of patient #{patient} was due on {day} and is overdue."),
    # Duplicate ID-number requests (issue 15): the requester learns the outcome, never whose the number is or where.
    "id_request_transferred": gettext_lazy(
        "Your review request of {day} for a resident ID number at {unit} is closed: the record with that number now "
        "belongs to {unit}; find it in the archive by the ID number."),
    "id_request_resolved": gettext_lazy(
        "Your review request of {day} for a resident ID number at {unit} is closed: the number stays registered as it "
        "is; check the number against the person's ID card."),
    "id_request_rejected": gettext_lazy(
        "Your review request of {day} for a resident ID number at {unit} was rejected by a higher-level "
        "administrator; the number cannot be registered at {unit}."),
    # Residents who move (issue 17): the receiving unit's users, the sender, and the officers above an overdue one.
    "transfer_incoming": gettext_lazy(
        "A resident moved to {unit}: transfer #{transfer} of their records waits for your acceptance by {day}."),
    "transfer_accepted": gettext_lazy("Transfer #{transfer} was accepted by {unit}; the records are now theirs."),
    "transfer_returned": gettext_lazy(
        "Transfer #{transfer} was returned by {unit}; the records stay with you. See the reason on the transfer page."),
    "transfer_escalated": gettext_lazy(
        "Transfer #{transfer} to {unit} was not accepted by {day} and is escalated to you: see that it is accepted."),
    # Work orders between departments (issue 19): the office, the sender, the 综治 office above an overdue order.
    "order_dispatched": gettext_lazy("Work order #{order} for {office}: {title}. Accept it or return it by {due}."),
    "order_accepted": gettext_lazy("Work order #{order} was accepted by {office}."),
    "order_returned": gettext_lazy("Work order #{order} was returned by {office}: see the reason and pass it on or withdraw it."),
    "order_completed": gettext_lazy("Work order #{order} was completed by {office}: read the result and close it."),
    "order_cancelled": gettext_lazy("Work order #{order} for {office} was withdrawn by the sender."),
    "order_supervised": gettext_lazy("Work order #{order} for {office} is being supervised by the comprehensive governance office: see the note."),
    "order_overdue": gettext_lazy("Work order #{order} at {office} is past its deadline and is escalated to {unit}: supervise it."),
    # The leading group (issue 19 part 4): a department's staff are given a task.
    "task_assigned": gettext_lazy("The leading group of {unit} gave your department a task, due {day}: {title}. Report its progress."),
}


def render(kind: str, params: dict) -> str:
    template = TEXTS.get(kind)
    if template is None:
        return kind
    values = dict(params)
    if "level" in values:
        values["level"] = Level(values["level"]).label
    if values.get("due"):
        due = timezone.localtime(timezone.datetime.fromisoformat(values["due"]))
        values["due"] = due.strftime("%m-%d %H:%M")
    return str(template).format(**values)


def subject() -> str:
    return _("Xinli alert")
