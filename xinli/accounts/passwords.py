import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from xinli.core.i18n import bilingual


class ComplexityValidator:
    """MLPS 2.0: passwords mix at least three of upper case, lower case, digits and symbols."""

    classes = (r"[A-Z]", r"[a-z]", r"\d", r"[^A-Za-z0-9]")

    def validate(self, password, user=None):
        if sum(bool(re.search(c, password)) for c in self.classes) < 3:
            raise ValidationError(
                bilingual(_("Password: use at least three of upper case, lower case, digits and symbols.")),
                code="password_too_simple",
            )

    def get_help_text(self):
        return bilingual(_("Password: use at least three of upper case, lower case, digits and symbols."))
