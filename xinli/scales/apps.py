from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScalesConfig(AppConfig):
    name = "xinli.scales"
    label = "scales"
    verbose_name = _("Instruments")

    def ready(self):
        from xinli.core import audit_display

        from . import definitions

        # The audit viewer names an instrument as it is known (PHQ-9), not by its code.
        audit_display.VALUE_FORMATTERS["scale"] = definitions.short_name
