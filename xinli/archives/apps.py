from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchivesConfig(AppConfig):
    name = "xinli.archives"
    label = "archives"
    verbose_name = _("Resident archive")

    def ready(self):
        from xinli.core import audit_display

        from .transfers import kind_counts, kind_names

        # The audit viewer names the kinds of records a transfer handed over, accepted or returned.
        for key in ("items", "accepted", "returned"):
            audit_display.VALUE_FORMATTERS[key] = lambda value, data: kind_names(value)
        # A package to another city: the records it carried, took in, or closed, per kind.
        for key in ("records", "closed"):
            audit_display.VALUE_FORMATTERS[key] = lambda value, data: kind_counts(value)
        from .merge import moved_summary

        audit_display.LIST_FORMATTERS["moved"] = lambda value, data: moved_summary(value)
