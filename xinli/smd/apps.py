from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmdConfig(AppConfig):
    name = "xinli.smd"
    label = "smd"
    verbose_name = _("Severe mental disorders")
