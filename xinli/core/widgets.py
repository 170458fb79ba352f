"""Form widgets shared by every page."""

from django import forms


class DateInput(forms.DateInput):
    """A browser date picker (``<input type="date">``). Its value must be ISO (``2026-12-04``) whatever the page's
    language: the Chinese format (``2026/12/04``) is not a valid value, and the browser shows the field empty — a
    worker would lose the date they typed when the form comes back with an error."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
