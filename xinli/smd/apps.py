from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmdConfig(AppConfig):
    name = "xinli.smd"
    label = "smd"
    verbose_name = _("Severe mental disorders")

    def ready(self):
        from . import transfers  # noqa: F401 — registers what this app hands over when a resident moves
