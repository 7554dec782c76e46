"""Forms of the engineer pages: the engineer, their citizenships and permanent residencies, and
the CSV import's upload."""

from __future__ import annotations

from typing import Any

from django import forms

from dispatch.countries import country_choices
from dispatch.validators import SingleLineFormField

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _countries(blank: str) -> list[tuple[str, str]]:
    return [("", blank), *((code, f"{name} ({code})") for code, name in country_choices())]


class EngineerForm(forms.Form):
    name = SingleLineFormField(max_length=200)
    employee_id = SingleLineFormField(label="Employee id", max_length=50)
    home_country = forms.ChoiceField(
        label="Home country",
        choices=_countries("Choose a country"),
        help_text="Where the engineer is based; their location for remote work.",
    )
    us_protected_individual = forms.BooleanField(
        label="US protected individual",
        required=False,
        help_text="Protected individual under 8 U.S.C. 1324b(a)(3) (certain refugees and asylees).",
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        widget=_DATE,
        help_text="Optional. Screening uses it to tell a listed person from a namesake.",
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)


class CitizenshipForm(forms.Form):
    country = forms.ChoiceField(choices=_countries("—"), required=False)
    since = forms.DateField(label="Acquired", required=False, widget=_DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("since") and not data.get("country"):
            self.add_error("country", "Choose the country of this citizenship.")
        return data


class ResidencyForm(forms.Form):
    country = forms.ChoiceField(choices=_countries("—"), required=False)
    since = forms.DateField(required=False, widget=_DATE)
    until = forms.DateField(required=False, widget=_DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("since") or data.get("until")) and not data.get("country"):
            self.add_error("country", "Choose the country of this residency.")
        return data


CitizenshipFormSet = forms.formset_factory(
    CitizenshipForm, extra=2, can_delete=True, max_num=20, validate_max=True
)
ResidencyFormSet = forms.formset_factory(
    ResidencyForm, extra=1, can_delete=True, max_num=20, validate_max=True
)


def formset_rows(formset: Any, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """The rows of a valid formset the user filled in and did not mark for deletion."""
    return [
        {name: form.cleaned_data.get(name) or None for name in fields}
        for form in formset.forms
        if form.cleaned_data.get("country") and not form.cleaned_data.get("DELETE")
    ]


class EngineerImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 CSV with the template's columns; at most 384 KiB and 2,000 rows.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,text/csv", "data-max-bytes": str(384 * 1024)}
        ),
    )


class EngineerImportConfirmForm(forms.Form):
    digest = forms.CharField(max_length=64, min_length=64, widget=forms.HiddenInput)
