from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldConfig(AppConfig):
    name = "xinli.field"
    label = "field"
    verbose_name = _("Field app")

    def ready(self):
        from . import transfers  # noqa: F401 — registers what this app hands over when a resident moves
