from django import forms
from django.utils.translation import gettext_lazy as _

from xinli.core.forms import BilingualForm
from xinli.core.widgets import DateInput

from .models import EDITABLE_STATUSES, ConsentGiver, ConsentPurpose, LegalBasis, Sex, Tag


class PersonForm(BilingualForm):
    name = forms.CharField(label=_("name"), max_length=50)
    id_number = forms.CharField(label=_("resident ID number"), max_length=25, required=False)
    # No default: an empty choice, filled from the ID number (by the server, and by static/js/id-fill.js as it is typed).
    sex = forms.ChoiceField(label=_("sex"), choices=[("", "—"), *Sex.choices], required=False,
                            help_text=_("filled from the ID number when one is given"))
    birth_date = forms.DateField(label=_("birth date"), required=False, widget=DateInput(),
                                 help_text=_("filled from the ID number when one is given"))
    phone = forms.CharField(label=_("phone"), max_length=20, required=False)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    org_unit = forms.TypedChoiceField(label=_("residence org unit"), coerce=int)
    status = forms.ChoiceField(label=_("status"), choices=EDITABLE_STATUSES, required=False)
    tags = forms.MultipleChoiceField(label=_("population tags"), choices=Tag.choices, required=False,
                                     widget=forms.CheckboxSelectMultiple)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].choices = [(u.pk, f"{u.name}（{u.code}）") for u in units]


class RegisterForm(PersonForm):
    consent_given = forms.BooleanField(label=_("consent to the psychological service archive recorded"), required=False)
    consent_given_by = forms.ChoiceField(label=_("given by"), choices=ConsentGiver.choices, required=False)
    guardian_name = forms.CharField(label=_("guardian name"), max_length=50, required=False)
    guardian_relation = forms.CharField(label=_("guardian relation"), max_length=30, required=False)


class ConsentForm(BilingualForm):
    purpose = forms.ChoiceField(label=_("purpose"), choices=ConsentPurpose.choices)
    legal_basis = forms.ChoiceField(label=_("legal basis"), choices=LegalBasis.choices)
    given_by = forms.ChoiceField(label=_("given by"), choices=ConsentGiver.choices)
    guardian_name = forms.CharField(label=_("guardian name"), max_length=50, required=False)
    guardian_relation = forms.CharField(label=_("guardian relation"), max_length=30, required=False)
    given_at = forms.DateField(label=_("date given"), widget=DateInput())


class ResolveDuplicateForm(BilingualForm):
    """An officer's decision on a duplicate ID-number request: transfer (only when the record is in their area),
    resolved or rejected, and the required note."""

    outcome = forms.ChoiceField(label=_("decision"))
    note = forms.CharField(label=_("resolution note"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("why you decided so; kept with the request and in the audit log, not sent to the requester"))

    def __init__(self, *args, can_transfer: bool = True, **kwargs):
        from .duplicates import OUTCOME_LABELS, TRANSFER

        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [("", "—")] + [(k, v) for k, v in OUTCOME_LABELS.items() if can_transfer or k != TRANSFER]
