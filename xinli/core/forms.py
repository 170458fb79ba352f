from django import forms

from .i18n import generic_message
from .ids import parse_id


class BilingualForm(forms.Form):
    """A form whose built-in errors (required, invalid, too long ...) name the field in Chinese and English.
    Errors raised by services are bilingual already and are left as they are."""

    def full_clean(self):
        super().full_clean()
        for name, errors in list(self._errors.items()):
            field = self.fields.get(name)
            label = field.label if field is not None and field.label else name
            rewritten = []
            for err in errors.as_data():
                text = " ".join(err.messages)
                # Django's own errors carry a code; ours (bilingual already) are raised without one.
                if err.code:
                    text = generic_message(err.code, label) or text
                rewritten.append(text)
            self._errors[name] = self.error_class(rewritten, renderer=self.renderer)

    def add_service_error(self, exc):
        """Attach a service's ValidationError to the matching fields (others go to the form's top)."""
        if hasattr(exc, "error_dict"):
            for key, errs in exc.message_dict.items():
                self.add_error(key if key in self.fields else None, errs)
        else:
            self.add_error(None, exc.messages)


def form_pk(value) -> int:
    """An object id posted by a form: the integer, or 0 (matches nothing) for anything else — never an exception."""
    pk = parse_id(value)
    return 0 if pk is None else pk
