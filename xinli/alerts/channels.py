"""Outside channels behind one interface. A channel knows a user's address for it and sends one short text.

Texts never carry a resident's name or details: they say which alert, how urgent and by when, and the reader opens
the platform (where access is scoped and audited) to see more.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

log = logging.getLogger("xinli.notifications")


class Channel:
    name = ""
    label = ""  # what people call it, on pages

    def address(self, user) -> str | None:
        raise NotImplementedError

    def send(self, address: str, subject: str, text: str) -> None:
        raise NotImplementedError


class EmailChannel(Channel):
    """Django's e-mail backend (``XINLI_EMAIL_BACKEND``; the console backend in the demo)."""

    name = "email"
    label = _("e-mail")

    def address(self, user) -> str | None:
        return user.email or None

    def send(self, address: str, subject: str, text: str) -> None:
        send_mail(subject, text, None, [address], fail_silently=False)


class LoggingSmsBackend:
    """The demo's SMS gateway: writes the message to the log (number masked) instead of sending it."""

    def send(self, number: str, text: str) -> None:
        log.warning("SMS to %s****%s: %s", number[:3], number[-4:], text)


class SmsChannel(Channel):
    """SMS through the pluggable gateway class named by ``XINLI_SMS_BACKEND`` (an object with ``send(number, text)``)."""

    name = "sms"
    label = _("SMS")

    def address(self, user) -> str | None:
        return getattr(user, "mobile", None) or None

    def send(self, address: str, subject: str, text: str) -> None:
        import_string(settings.XINLI_SMS_BACKEND)().send(address, f"【{subject}】{text}")


CHANNELS: dict[str, Channel] = {c.name: c for c in (EmailChannel(), SmsChannel())}


def enabled_channels() -> list[Channel]:
    return [CHANNELS[name] for name in settings.XINLI_NOTIFY_CHANNELS if name in CHANNELS]
