from django import forms
from django.utils.translation import gettext_lazy as _

from xinli.core.forms import BilingualForm
from xinli.core.i18n import bilingual
from xinli.core.policy import Role
from xinli.regions.models import Department


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    otp = forms.CharField(label=_("One-time code"), max_length=8, required=False,
                          help_text=_("6 digits from your authenticator app, if your role requires two-factor login."),
                          widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class TokenForm(forms.Form):
    token = forms.CharField(label=_("One-time code"), max_length=8,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}))


class UserCreateForm(BilingualForm):
    username = forms.RegexField(label=_("Username"), max_length=150, regex=r"^[A-Za-z0-9_.@-]+$")
    display_name = forms.CharField(label=_("display name"), max_length=100)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput)
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)
    org_unit = forms.TypedChoiceField(label=_("org unit"), coerce=int)
    department = forms.ModelChoiceField(label=_("department"), queryset=Department.objects.filter(active=True), required=False,
                                        help_text=_("For department staff only: the department they work for."))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].choices = [(u.pk, f"{'　' * u.depth}{u.name}（{u.code}）") for u in units]
        self.fields["department"].label_from_instance = lambda d: d.label


class AssignmentForm(BilingualForm):
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)
    org_unit = forms.TypedChoiceField(label=_("org unit"), coerce=int)
    department = forms.ModelChoiceField(label=_("department"), queryset=Department.objects.filter(active=True), required=False,
                                        help_text=_("For department staff only: the department they work for."))

    def __init__(self, *args, units=(), **kwargs):
        kwargs.setdefault("auto_id", "id_assign_%s")  # shares the page with UserCreateForm: ids must differ
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].choices = [(u.pk, f"{'　' * u.depth}{u.name}（{u.code}）") for u in units]
        self.fields["department"].label_from_instance = lambda d: d.label


class PasswordChangeForm(BilingualForm):
    current_password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                   help_text=_("At least 10 characters, mixing at least three of upper case, lower case, digits and symbols."))
    new_password2 = forms.CharField(label=_("New password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    otp = forms.CharField(label=_("One-time code"), max_length=8, required=False,
                          help_text=_("6 digits from your authenticator app."),
                          widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))

    def __init__(self, *args, with_otp=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_otp:
            del self.fields["otp"]

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password2") and data["new_password"] != data["new_password2"]:
            self.add_error("new_password2", bilingual(_("New password again: does not match; type the same new password twice.")))
        return data
