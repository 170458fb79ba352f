from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounsellingConfig(AppConfig):
    name = "xinli.counselling"
    label = "counselling"
    verbose_name = _("Counselling")

    def ready(self):
        from . import transfers  # noqa: F401 — registers what this app hands over when a resident moves
