from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    otp = forms.CharField(label=_("One-time code"), max_length=8, required=False,
                          help_text=_("6 digits from your authenticator app, if your role requires two-factor login."),
                          widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class TokenForm(forms.Form):
    token = forms.CharField(label=_("One-time code"), max_length=8,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}))
