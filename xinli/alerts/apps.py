from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "xinli.alerts"
    label = "alerts"
    verbose_name = _("Alerts")

    def ready(self):
        from xinli.core import audit_display

        from .models import cause_label

        # The audit viewer shows an alert's cause in words.
        audit_display.VALUE_FORMATTERS["cause"] = lambda value, data: cause_label(value)

        # The inbox of the apps below this one in the layers (the archive's duplicate ID-number requests).
        from xinli.core import notices

        from . import services

        notices.register(lambda users, kind, params: services.notify(users, kind, params=params))
        from . import transfers  # noqa: F401 — registers what this app hands over when a resident moves
