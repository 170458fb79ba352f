from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScalesConfig(AppConfig):
    name = "xinli.scales"
    label = "scales"
    verbose_name = _("Instruments")

    def ready(self):
        from xinli.core import audit_display

        from . import definitions

        # The audit viewer names an instrument as it is known (PHQ-9) and a band by its label, not by their codes.
        audit_display.VALUE_FORMATTERS["scale"] = lambda value, data: definitions.short_name(value)
        audit_display.VALUE_FORMATTERS["band"] = lambda value, data: definitions.band_name(data.get("scale", ""), value)
        audit_display.VALUE_FORMATTERS["scales"] = lambda value, data: definitions.short_name(value)
