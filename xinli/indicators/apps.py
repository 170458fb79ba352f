from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "xinli.indicators"
    label = "indicators"
    verbose_name = _("Indicators")

    def ready(self):
        from xinli.core import audit_display

        from .appraisal import label

        # The audit viewer names an appraisal scheme's parts and their weights.
        audit_display.VALUE_FORMATTERS["parts"] = lambda value, data: "；".join(
            f"{label(str(code))}：{weight}" for code, weight in dict(value).items())
