from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "xinli.governance"
    verbose_name = _("departments and work orders")

    def ready(self):
        from xinli.core import audit_display

        # The audit viewer names departments (stored by code in the leading group's entries).
        def department(value, data):
            from xinli.regions.models import Department

            found = Department.objects.filter(code=value).first()
            return found.label if found is not None else value

        for key in ("department", "departments"):
            audit_display.VALUE_FORMATTERS[key] = department

        # The person fields pushed to an exchange partner, by their labels.
        from .models import PERSON_FIELDS

        audit_display.VALUE_FORMATTERS["person_fields"] = lambda value, data: str(PERSON_FIELDS.get(value, value))
