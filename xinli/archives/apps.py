from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchivesConfig(AppConfig):
    name = "xinli.archives"
    label = "archives"
    verbose_name = _("Resident archive")

    def ready(self):
        from xinli.core import audit_display

        from .merge import moved_summary

        audit_display.LIST_FORMATTERS["moved"] = lambda value, data: moved_summary(value)
